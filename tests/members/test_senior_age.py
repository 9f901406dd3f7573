"""Who is a senior comes from the community's policy (`senior_age_years`), not a constant:
the 长辈版 default and the time bank's 60+ benefits follow a policy change."""

import pytest
from django.test import Client
from django.utils import timezone

from linli.communities.services import policy_version_create
from linli.members.models import Member
from linli.members.selectors import member_is_senior
from tests.members.conftest import join
from tests.web.people import years_ago


def _aged(community, years):
    member = join(community)
    born = years_ago(years=years, today=timezone.localdate())
    Member.objects.filter(pk=member.pk).update(birth_date=born)
    member.refresh_from_db()
    return member


@pytest.mark.parametrize(
    ("years", "senior_at_60", "senior_at_65"),
    [(59, False, False), (62, True, False), (65, True, True)],
)
def test_senior_age_follows_the_policy(community, years, senior_at_60, senior_at_65):
    member = _aged(community, years)
    today = timezone.localdate()
    assert member_is_senior(member=member, today=today) is senior_at_60
    client = Client()
    client.force_login(member.user)
    assert ('class="elderly"' in client.get("/").content.decode()) is senior_at_60
    policy_version_create(
        community=community, changes={"senior_age_years": 65}, actor=None, reason="assembly vote"
    )
    assert member_is_senior(member=member, today=today) is senior_at_65
    assert ('class="elderly"' in client.get("/").content.decode()) is senior_at_65
