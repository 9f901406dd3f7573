"""The last founding place under two concurrent approvals (PostgreSQL, real threads): the
grant locks the community row before counting, so exactly one approval wins and the other
changes nothing (its application stays waiting)."""

import pytest

from linli.communities.services import policy_version_create
from linli.members import errors
from linli.members.models import FoundingApplication, Member
from linli.members.services import founding_apply, founding_decide
from tests.members.conftest import join
from tests.threads import run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("trial", range(3))
def test_two_approvals_for_the_last_place_one_wins(community, operator, trial):
    policy_version_create(
        community=community, changes={"founding_members_max": 1}, actor=None, reason="one"
    )
    applications = [
        founding_apply(member=join(community), motivation="", contribution="", consents=False)
        for _ in range(2)
    ]
    results = run_threads(
        [
            lambda a=a: founding_decide(application=a, approve=True, reason="好", actor=operator)
            for a in applications
        ]
    )
    approved = [r for r in results if isinstance(r, FoundingApplication)]
    refused = [r for r in results if isinstance(r, errors.FoundingPlacesTaken)]
    assert len(approved) == 1 and len(refused) == 1, results
    assert Member.objects.filter(community=community, is_founding=True).count() == 1
    statuses = sorted(
        FoundingApplication.objects.filter(community=community).values_list("status", flat=True)
    )
    assert statuses == ["approved", "pending"]
