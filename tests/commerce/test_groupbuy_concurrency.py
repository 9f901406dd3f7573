"""Group-buys under real threads on PostgreSQL: settlement run twice at once posts once;
pledges racing the settlement either settle or are refused, never left held."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from linli.commerce import groupbuy_errors as errors
from linli.commerce.groupbuys import group_buy_close, group_buy_pledge
from linli.commerce.models import GroupBuy, GroupBuyStatus, Pledge, PledgeStatus
from linli.ledger.models import Journal
from linli.ledger.verification import ledger_verify
from tests.commerce.groupbuy_helpers import (
    available,
    build_town,
    cny_wallet,
    eggs,
    member_with_cash,
    revenue,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")


def _race(count, work):
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_settlement_runs_at_once_post_once():
    town = build_town("A")
    gb = eggs(town)
    buyers = [member_with_cash(town, 50_000) for _ in range(4)]
    for buyer in buyers:
        group_buy_pledge(group_buy=gb, member=buyer, units=8, now=town.now)
    revenue_before = revenue(town.community)
    when = gb.deadline + timedelta(minutes=1)

    results = _race(4, lambda _i: group_buy_close(group_buy=gb, now=when))

    assert all(isinstance(r, GroupBuy) for r in results), results
    assert {r.status for r in results} == {GroupBuyStatus.SETTLED}
    assert Journal.objects.filter(community=town.community, code="group_buy_settle").count() == 4
    assert Journal.objects.filter(community=town.community, code="group_buy_margin").count() == 1
    # 32 units ≥ 30: 35.00 each; 8 × 35.00 = 280.00 paid per buyer, 8% of 1120.00 = 89.60.
    assert [available(cny_wallet(b)) for b in buyers] == [22_000] * 4
    assert revenue(town.community) - revenue_before == 8_960
    assert ledger_verify(community=town.community).problem is None


def test_one_member_pledging_twice_at_once_holds_once():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 50_000)
    results = _race(
        5, lambda _i: group_buy_pledge(group_buy=gb, member=buyer, units=2, now=town.now)
    )
    made = [r for r in results if isinstance(r, Pledge)]
    refused = [r for r in results if isinstance(r, errors.AlreadyPledged)]
    assert len(made) == 1 and len(refused) == 4, results
    assert available(cny_wallet(buyer)) == 50_000 - 7_600


def test_pledges_racing_the_settlement_are_settled_or_refused_never_left_held():
    town = build_town("A")
    gb = eggs(town, threshold_units=10)
    early = [member_with_cash(town, 50_000) for _ in range(5)]
    for buyer in early:
        group_buy_pledge(group_buy=gb, member=buyer, units=2, now=town.now)
    late = [member_with_cash(town, 50_000) for _ in range(6)]
    # Pledges that reach the lock first still count (their clock is before the deadline).
    before, after = gb.deadline - timedelta(seconds=1), gb.deadline + timedelta(seconds=1)

    def work(i: int):
        if i == 0:
            return group_buy_close(group_buy=gb, now=after)
        return group_buy_pledge(group_buy=gb, member=late[i - 1], units=1, now=before)

    results = _race(7, work)
    assert not [
        r for r in results if isinstance(r, Exception) and not isinstance(r, errors.GroupBuyClosed)
    ], results
    gb.refresh_from_db()
    assert gb.status == GroupBuyStatus.SETTLED
    assert not Pledge.objects.filter(group_buy=gb, status=PledgeStatus.HELD).exists()
    settled = Pledge.objects.filter(group_buy=gb, status=PledgeStatus.SETTLED)
    assert gb.settled_units == sum(p.units for p in settled)
    for buyer in late:
        pledge = Pledge.objects.filter(group_buy=gb, member=buyer).first()
        expected = 50_000 - (pledge.paid_fen if pledge else 0)
        assert available(cny_wallet(buyer)) == expected
    assert ledger_verify(community=town.community).problem is None
