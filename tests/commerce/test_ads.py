"""Merchant ad slots: price within policy, no double booking, paid from the shop's
account, refunded by a reversing journal only before the month starts."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from linli.commerce import groupbuy_errors as errors
from linli.commerce.ads import ad_book, ad_booking_cancel, ad_slot_create, month_add, month_start
from linli.commerce.models import AdBooking, AdBookingStatus
from linli.errors import Forbidden, NotFound
from linli.ledger.models import Journal
from linli.ledger.verification import ledger_verify
from linli.merchants.services import staff_add
from tests.commerce.groupbuy_helpers import (
    available,
    build_town,
    merchant_cny,
    revenue,
    shop_takings,
)
from tests.factories import make_member, make_merchant


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _slot(town, price_fen=40_000, name="首页横幅"):
    return ad_slot_create(
        community=town.community,
        actor=town.operator,
        name=name,
        position="home top",
        price_fen=price_fen,
    )


def _next_month():
    return month_add(month_start(timezone.localdate()), 1)


@pytest.mark.django_db
def test_slot_price_must_be_within_the_policy_range():
    town = build_town("A")
    for price in (29_999, 50_001, 0, -40_000, "40000", 4e4, None, True):
        with pytest.raises(errors.AdPriceOutOfPolicy):
            _slot(town, price_fen=price)
    assert _slot(town, price_fen=30_000).price_fen == 30_000
    with pytest.raises(errors.AdSlotInvalid):
        _slot(town, price_fen=30_000)  # the same name twice
    with pytest.raises(Forbidden):
        ad_slot_create(
            community=town.community,
            actor=town.merchant.owner,
            name="x",
            position="y",
            price_fen=40_000,
        )


@pytest.mark.django_db
def test_book_pays_the_platform_and_cancel_before_the_month_refunds():
    town = build_town("A")
    slot = _slot(town)
    shop_takings(town.merchant, 50_000)
    account = merchant_cny(town.merchant)
    revenue_before = revenue(town.community)
    booking = ad_book(actor=town.merchant.owner, slot=slot, month=_next_month())
    assert available(account) == 10_000
    assert revenue(town.community) - revenue_before == 40_000

    with pytest.raises(errors.AdSlotTaken):
        shop_takings(town.other_merchant, 50_000)
        ad_book(actor=town.other_merchant.owner, slot=slot, month=_next_month())
    assert available(merchant_cny(town.other_merchant)) == 50_000

    cancelled = ad_booking_cancel(actor=town.merchant.owner, booking=booking)
    assert cancelled.status == AdBookingStatus.CANCELLED
    refund = Journal.objects.get(id=cancelled.refund_journal_id)
    assert refund.reverses_id == booking.journal_id
    assert available(account) == 50_000
    assert revenue(town.community) == revenue_before
    assert ad_booking_cancel(actor=town.merchant.owner, booking=booking).refund_journal_id == (
        cancelled.refund_journal_id
    )  # cancelling again refunds nothing more
    # The slot is free again for that month.
    ad_book(actor=town.other_merchant.owner, slot=slot, month=_next_month())
    assert ledger_verify(community=town.community).problem is None


@pytest.mark.django_db
def test_no_refund_once_the_month_has_started():
    town = build_town("A")
    slot = _slot(town)
    shop_takings(town.merchant, 80_000)
    this_month = month_start(timezone.localdate())
    booking = ad_book(actor=town.merchant.owner, slot=slot, month=this_month)
    with pytest.raises(errors.AdCancelTooLate):
        ad_booking_cancel(actor=town.merchant.owner, booking=booking)
    later = ad_book(actor=town.merchant.owner, slot=slot, month=month_add(this_month, 2))
    with pytest.raises(errors.AdCancelTooLate):  # asked for after that month began
        ad_booking_cancel(
            actor=town.merchant.owner,
            booking=later,
            now=timezone.now() + timedelta(days=100),
        )
    assert available(merchant_cny(town.merchant)) == 0
    later.refresh_from_db()
    assert later.status == AdBookingStatus.BOOKED and later.refund_journal_id is None


@pytest.mark.django_db
def test_booking_refusals():
    town = build_town("A")
    slot = _slot(town)
    owner = town.merchant.owner
    with pytest.raises(errors.AdFundsShort) as short:
        ad_book(actor=owner, slot=slot, month=_next_month())
    assert short.value.params == {"available": "0.00", "price": "400.00"}
    assert not AdBooking.objects.exists()
    shop_takings(town.merchant, 100_000)
    this_month = month_start(timezone.localdate())
    for month in (
        month_add(this_month, -1),
        month_add(this_month, 13),
        this_month.replace(day=2) if this_month.day == 1 else date(2020, 1, 5),
        "2026-12-01",
        None,
        timezone.now(),
    ):
        with pytest.raises(errors.AdMonthInvalid):
            ad_book(actor=owner, slot=slot, month=month)
    cashier = staff_add(
        merchant=town.merchant, username="gbcash", password="x-Pass-2026!", actor=None
    )
    with pytest.raises(Forbidden):
        ad_book(actor=cashier.user, slot=slot, month=_next_month())
    with pytest.raises(Forbidden):
        ad_book(actor=make_member(town.community).user, slot=slot, month=_next_month())
    elsewhere = build_town("A")
    foreign_slot = _slot(elsewhere)
    with pytest.raises(Forbidden):
        ad_book(actor=owner, slot=foreign_slot, month=_next_month())
    booking = ad_book(actor=owner, slot=slot, month=_next_month())
    with pytest.raises(NotFound):
        ad_booking_cancel(actor=town.other_merchant.owner, booking=booking)
    operator_cancel = ad_booking_cancel(actor=town.operator, booking=booking)
    assert operator_cancel.status == AdBookingStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_ten_shops_race_for_one_slot_month_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    town = build_town("A")
    slot = _slot(town)
    shops = [town.merchant, town.other_merchant]
    for code in ("supermarket", "convenience", "restaurant", "breakfast", "pharmacy"):
        shops.append(make_merchant(town.community, code))
    for shop in shops:
        shop_takings(shop, 50_000)
    month = _next_month()
    results: list = [None] * len(shops)
    barrier = threading.Barrier(len(shops))

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = ad_book(actor=shops[i].owner, slot=slot, month=month)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(shops))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    won = [r for r in results if isinstance(r, AdBooking)]
    lost = [r for r in results if isinstance(r, errors.AdSlotTaken)]
    assert len(won) == 1 and len(lost) == len(shops) - 1, [type(r) for r in results]
    paid = [s for s in shops if available(merchant_cny(s)) == 10_000]
    assert len(paid) == 1 and paid[0].id == won[0].merchant_id
    assert ledger_verify(community=town.community).problem is None
