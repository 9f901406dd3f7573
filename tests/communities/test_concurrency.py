"""Two operators changing the policy at the same moment get versions 2 and 3, no gap."""

import threading

import pytest
from django.db import connection, connections

from linli.communities.models import PolicyVersion
from linli.communities.services import policy_version_create
from tests.factories import make_community


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_policy_changes_are_serialised():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    community = make_community("A")
    barrier = threading.Barrier(2)
    errors = []

    def change(fee_fen):
        try:
            barrier.wait(timeout=10)
            policy_version_create(
                community=community,
                changes={"member_fee_fen": fee_fen},
                actor=None,
                reason="race",
            )
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=change, args=(fee,)) for fee in (12_900, 15_900)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    versions = PolicyVersion.objects.filter(community=community).order_by("number")
    assert [v.number for v in versions] == [1, 2, 3]
    assert {v.member_fee_fen for v in versions[1:]} == {12_900, 15_900}
