"""A renewal's covers under real concurrency on PostgreSQL: the holder removing a member
while that member answers the invitation, round after round, never deadlocks and leaves
the running package and its renewal saying the same thing."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections

from linli.communities.models import Building, Neighbourhood, Role
from linli.errors import DomainError
from linli.members.models import HouseholdCover, Member
from linli.members.services import charter_publish
from linli.members.services.household import cover_answer, cover_invite, cover_remove
from tests.commerce.conftest import build_shop
from tests.commerce.test_household import pay, resident
from tests.commerce.test_household_renewal import _noon
from tests.factories import make_role, make_user
from tests.members.test_fees import apply, verified

ROUNDS = 6


def _together(*actions: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(actions)
    barrier = threading.Barrier(len(actions))

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = actions[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def renewed(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    shop = build_shop("B")
    charter_publish(community=shop.community, body="会员章程 v1", actor=None)
    operator = make_user()
    make_role(operator, shop.community, Role.OPERATOR)
    hood = Neighbourhood.objects.create(community=shop.community, name="园")
    building = Building.objects.create(community=shop.community, neighbourhood=hood, name="3")
    holder = verified(shop.community, building=building, unit_label="302")
    package = apply(holder, plan="family")
    pay(package, operator, "fam")
    package.refresh_from_db()
    now = _noon(package.ends_on - timedelta(days=10))
    renewal = apply(holder, plan="family", now=now)
    from linli.members.services import fee_payment_confirm

    fee_payment_confirm(
        membership=renewal, amount_fen=renewal.fee_fen, method="cash",
        idempotency_key="renew", actor=operator, now=now,
    )  # fmt: skip
    holder = Member.objects.get(pk=holder.pk)
    return {"holder": holder, "package": package, "renewal": renewal, "now": now}


def test_remove_and_answer_at_once_agree_on_both_packages(renewed):
    holder, now = renewed["holder"], renewed["now"]
    child = resident(holder, "张小宝")
    for round_no in range(ROUNDS):
        cover = cover_invite(holder=holder, member_id=child.id, now=now)
        results = _together(
            lambda: cover_remove(holder=holder, member_id=child.id, now=now),
            lambda: cover_answer(
                member=child, cover_id=cover.id, accept=round_no % 2 == 0, now=now
            ),
        )
        unexpected = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(r, DomainError) for r in unexpected), unexpected
        running = HouseholdCover.objects.get(membership=renewed["package"], member=child)
        renewal = HouseholdCover.objects.get(membership=renewed["renewal"], member=child)
        assert (running.status, running.removed_at, running.decided_at) == (
            renewal.status,
            renewal.removed_at,
            renewal.decided_at,
        )
