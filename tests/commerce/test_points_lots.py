"""Points lots (SPEC "Points"): every batch earned is a lot with an expiry date; spends take
the earliest-expiring first and remember which lots they took, so a refund gives back to
the right ones; reminders 30 and 7 days ahead (once each); a nightly expiry of what is
left, never without a reminder 30 days before; Σ lots = the ledger's balances."""

import itertools
import threading
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection, connections
from django.utils import timezone

from linli.commerce import lots
from linli.commerce.models import PointsLot, PointsLotUse
from linli.commerce.services import flash_sale_buy, flash_sale_create, sale_consume, sale_refund
from linli.communities.selectors import policy_in_force
from linli.ledger.models import AccountKind, Journal, Transfer
from linli.ledger.services import Leg, chart_ensure, hold_create, hold_void, journal_post
from linli.ledger.verification import ledger_verify
from linli.members.models import Member, Notice
from tests.commerce.conftest import balance, build_shop, code_of, merchant_of, wallet_of
from tests.factories import make_community, make_member

pytestmark = pytest.mark.django_db
_KEYS = itertools.count(1)
_MINUTES = itertools.count(1)


def _earn(member: Member, points: int, at: datetime) -> None:
    """Points earned at a past moment: the ledger stamps the journal with `at`."""
    chart = chart_ensure(community=member.community)
    wallet = wallet_of(member, "PTS")
    policy = policy_in_force(community=member.community)
    with mock.patch("django.utils.timezone.now", return_value=at):
        journal_post(
            community=member.community,
            code="member.referral_reward",
            legs=[Leg(chart[(AccountKind.ISSUANCE, "PTS")].id, wallet.id, points)],
            idempotency_key=f"earn:{member.id}:{next(_KEYS)}",
            policy=policy,
        )


def _ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def _lots(member: Member) -> list[tuple[int, int]]:
    """(amount, remaining) of the spendable lots, earliest-expiring first."""
    lots.lots_sync(member=member)
    rows = PointsLot.objects.filter(member=member, frozen=False).order_by("expires_at", "id")
    return [(lot.amount, lot.remaining) for lot in rows]


def _flash_buy(shop: Any, member: Member, price: int) -> Any:
    flash = flash_sale_create(merchant=shop.merchant, title="茶叶", price_points=price, stock=1)
    return flash_sale_buy(flash_sale=flash, member=member)


def _sale(shop: Any, request_no: str, points_paid: int) -> Any:
    now = timezone.now() + timedelta(minutes=next(_MINUTES))
    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(shop.buyer, now=now),
        amount_fen=10_000,
        points=points_paid,
        now=now,
    )
    return sale


def test_a_spend_takes_the_earliest_expiring_lots_first(shop_b):
    buyer = shop_b.buyer
    _earn(buyer, 100, _ago(100))  # expires in ~265 days
    _earn(buyer, 100, _ago(300))  # expires in ~65 days: spent first
    _earn(buyer, 100, _ago(200))  # ~165 days: second
    order = _flash_buy(shop_b, buyer, 150)
    assert _lots(buyer) == [(100, 0), (100, 50), (100, 100)]
    uses = PointsLotUse.objects.filter(journal_id=order.journal_id).order_by("lot__expires_at")
    assert [(u.kind, u.amount) for u in uses] == [("spend", 100), ("spend", 50)]
    assert lots.lots_reconcile(member=buyer).matches
    assert balance(wallet_of(buyer, "PTS")) == 150


def test_expiry_dates_come_from_the_policy_validity(shop_b):
    earned = datetime(2026, 1, 31, 10, 0, tzinfo=timezone.get_current_timezone())
    _earn(shop_b.buyer, 10, earned)
    lots.lots_sync(member=shop_b.buyer)
    lot = PointsLot.objects.get(member=shop_b.buyer)
    assert lot.expires_at == earned.replace(year=2027)  # 12 months (preset B)
    assert lots.add_months(earned, 1).day == 28  # a shorter month ends on its last day


def test_a_refund_gives_points_back_to_the_lots_they_came_from(shop_b):
    buyer = shop_b.buyer
    _earn(buyer, 100, _ago(300))
    _earn(buyer, 100, _ago(100))
    sale = _sale(shop_b, "l-1", points_paid=160)  # 40 CNY of the 100 in points
    assert _lots(buyer) == [(100, 0), (100, 40)]
    sale_refund(sale=sale, actor=shop_b.cashier, request_no="l-r1", amount_fen=5_000)
    # 80 points back: the latest-expiring lot first (its 60), then 20 to the older one
    assert _lots(buyer) == [(100, 20), (100, 100)]
    sale.refresh_from_db()
    sale_refund(sale=sale, actor=shop_b.cashier, request_no="l-r2", amount_fen=5_000)
    assert _lots(buyer) == [(100, 100), (100, 100)]
    reconciled = lots.lots_reconcile(member=buyer)
    assert reconciled.matches and (reconciled.wallet_balance, reconciled.frozen_balance) == (200, 0)


def test_points_back_for_a_lot_that_expired_meanwhile_come_in_a_new_lot(shop_b):
    """The rule: a lot past its expiry date takes nothing back; the points come back as a
    new lot that expires 30 days after the refund (a month's notice, like any expiry)."""
    buyer = shop_b.buyer
    _earn(buyer, 100, _ago(366))  # past its 12 months, the nightly job not run yet
    sale = _sale(shop_b, "l-2", points_paid=100)
    assert _lots(buyer) == [(100, 0)]
    refund = sale_refund(sale=sale, actor=shop_b.cashier, request_no="l-r3", amount_fen=10_000)
    assert _lots(buyer) == [(100, 0), (100, 100)]
    fresh = PointsLot.objects.get(member=buyer, source_journal_id=refund.journal_id)
    created = Journal.objects.get(id=refund.journal_id).created_at
    assert fresh.expires_at == created + timedelta(days=lots.NOTICE_DAYS)
    assert lots.lots_reconcile(member=buyer).matches


def test_reminders_go_out_30_and_7_days_ahead_once_each(shop_b):
    buyer = shop_b.buyer
    _earn(buyer, 70, _ago(365 - 40))  # expires in ~40 days
    lots.lots_sync(member=buyer)
    lot = PointsLot.objects.get(member=buyer)
    now = timezone.now()
    assert lots.points_remind_due(now=now) == 0  # 40 days: too early
    assert lots.points_remind_due(now=lot.expires_at - timedelta(days=30)) == 1
    assert lots.points_remind_due(now=lot.expires_at - timedelta(days=29)) == 0  # once
    assert lots.points_remind_due(now=lot.expires_at - timedelta(days=7)) == 1
    assert lots.points_remind_due(now=lot.expires_at - timedelta(days=1)) == 0
    notices = Notice.objects.filter(member=buyer, kind="points_expiring")
    assert notices.count() == 2
    day = timezone.localdate(lot.expires_at).isoformat()
    assert all(n.params == {"points": 70, "on": day} for n in notices)
    assert PointsLot.objects.get(id=lot.id).expires_at == lot.expires_at  # not postponed


def test_the_expiry_job_refuses_a_lot_without_a_reminder_30_days_before(shop_b):
    buyer = shop_b.buyer
    _earn(buyer, 60, _ago(370))  # past its expiry, never reminded (the job was down)
    assert lots.points_expire_due(now=timezone.now()) == 0
    assert balance(wallet_of(buyer, "PTS")) == 60
    now = timezone.now()
    assert lots.points_remind_due(now=now) == 1  # late: the expiry moves 30 days on
    lot = PointsLot.objects.get(member=buyer)
    assert lot.expires_at == now + timedelta(days=30) and lot.reminded_30_at == now
    assert lots.points_expire_due(now=now + timedelta(days=29)) == 0
    assert lots.points_remind_due(now=now + timedelta(days=23)) == 1  # the 7-day one
    assert lots.points_expire_due(now=now + timedelta(days=30)) == 1


def test_the_nightly_expiry_retires_what_is_left_of_the_lot(shop_b):
    buyer = shop_b.buyer
    _earn(buyer, 100, _ago(300))
    _earn(buyer, 100, _ago(10))
    _flash_buy(shop_b, buyer, 30)  # 70 left of the old lot
    lots.lots_sync(member=buyer)
    old = PointsLot.objects.filter(member=buyer).order_by("expires_at").first()
    assert lots.points_remind_due(now=old.expires_at - timedelta(days=30)) == 1
    assert lots.points_remind_due(now=old.expires_at - timedelta(days=7)) == 1
    assert lots.points_expire_due(now=old.expires_at) == 1
    assert lots.points_expire_due(now=old.expires_at + timedelta(days=1)) == 0  # once
    issuance = chart_ensure(community=shop_b.community)[(AccountKind.ISSUANCE, "PTS")]
    wallet = wallet_of(buyer, "PTS")
    expiry = Journal.objects.get(code="points_expire")
    legs = list(
        Transfer.objects.filter(journal=expiry).values_list(
            "debit_account", "credit_account", "amount"
        )
    )
    assert legs == [(wallet.id, issuance.id, 70)]
    old.refresh_from_db()
    assert (old.remaining, old.expired_at) == (0, expiry.created_at)
    assert balance(wallet) == 100
    assert lots.lots_reconcile(member=buyer).matches
    assert ledger_verify(community=shop_b.community).problem is None


# --- real threads on PostgreSQL -----------------------------------------------------------

THREADS = 8


def _race(actions: list[Any]) -> list[Any]:
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


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_take_a_lot_twice_nor_overdraw():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    shop = build_shop("B")
    buyer = shop.buyer
    for days in (50, 150, 250, 350):
        _earn(buyer, 25, _ago(days))  # 100 points in four lots
    flashes = [
        flash_sale_create(merchant=shop.merchant, title=f"item {i}", price_points=15, stock=1)
        for i in range(THREADS)
    ]

    def spend_then_sync(flash: Any) -> Any:
        order = flash_sale_buy(flash_sale=flash, member=buyer)
        lots.lots_sync(member=buyer)
        return order

    results = _race([lambda f=f: spend_then_sync(f) for f in flashes])
    bought = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(bought) == 6 and all(getattr(r, "code", "") == "insufficient_funds" for r in refused)
    assert balance(wallet_of(buyer, "PTS")) == 10
    for lot in PointsLot.objects.filter(member=buyer):
        taken = sum(u.amount for u in lot.uses.all())
        assert taken == lot.amount - lot.remaining and 0 <= lot.remaining <= lot.amount
    for order in bought:
        uses = PointsLotUse.objects.filter(journal_id=order.journal_id)
        assert sum(u.amount for u in uses) == 15
    remaining = [
        lot.remaining for lot in PointsLot.objects.filter(member=buyer).order_by("expires_at")
    ]
    assert remaining == [0, 0, 0, 10]  # the latest-expiring lot is the one left
    assert lots.lots_reconcile(member=buyer).matches
    assert ledger_verify(community=shop.community).problem is None


def test_a_member_of_another_community_sees_only_their_own_lots(shop_b):
    _earn(shop_b.buyer, 40, _ago(1))
    other = make_member(make_community("B"))
    _earn(other, 5, _ago(1))
    assert _lots(other) == [(5, 5)] and _lots(shop_b.buyer) == [(40, 40)]


def test_the_reconciliation_catches_lots_that_drift_from_the_ledger(shop_b):
    _earn(shop_b.buyer, 40, _ago(3))
    assert lots.lots_reconcile(member=shop_b.buyer).matches
    assert lots.lots_reconcile_all() == []
    PointsLot.objects.filter(member=shop_b.buyer).update(remaining=39)  # a bug, simulated
    drift = lots.lots_reconcile(member=shop_b.buyer)
    assert not drift.matches and (drift.wallet_lots, drift.wallet_balance) == (39, 40)
    assert lots.lots_reconcile_all() == [shop_b.buyer.id]


def test_points_held_by_a_pledge_expire_only_once_released(shop_b):
    """Only what the wallet has available expires; the held rest is tried again later."""
    buyer = shop_b.buyer
    _earn(buyer, 100, _ago(300))
    wallet = wallet_of(buyer, "PTS")
    pledge = hold_create(
        community=shop_b.community,
        debit_account_id=wallet.id,
        credit_account_id=merchant_of(shop_b.merchant, "PTS").id,
        amount=80,
        expires_at=None,
        code="group_buy_pledge",
        idempotency_key="pledge-lots",
    )
    lots.lots_sync(member=buyer)
    lot = PointsLot.objects.get(member=buyer)
    lots.points_remind_due(now=lot.expires_at - timedelta(days=30))
    assert lots.points_expire_due(now=lot.expires_at) == 1
    lot.refresh_from_db()
    assert (lot.remaining, lot.expired_at) == (80, None) and balance(wallet) == 80
    hold_void(community=shop_b.community, hold_id=pledge.transfer_ids[0], idempotency_key="v-1")
    assert lots.points_expire_due(now=lot.expires_at + timedelta(days=1)) == 1
    lot.refresh_from_db()
    assert lot.remaining == 0 and lot.expired_at is not None and balance(wallet) == 0
    assert lots.lots_reconcile(member=buyer).matches


@pytest.mark.django_db(transaction=True)
def test_two_release_jobs_at_once_release_a_lot_once():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    shop = build_shop("B")
    sale = _sale(shop, "l-c1", points_paid=0)
    due = Journal.objects.get(id=sale.journal_id).created_at + timedelta(days=7)
    results = _race([lambda: lots.points_release_due(now=due) for _ in range(4)])
    assert sorted(results) == [0, 0, 0, 1], results
    assert Journal.objects.filter(code="points_release").count() == 1
    assert balance(wallet_of(shop.buyer, "PTS")) == 50
    assert lots.lots_reconcile(member=shop.buyer).matches
