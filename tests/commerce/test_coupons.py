"""Merchant coupons (满减, 每满减, 折扣, 代金/无门槛, 兑换): claiming, the discount at the till,
single use, refusals with their codes, coupons back on undo, honest "was" prices."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from linli.commerce import coupon_errors as errors
from linli.commerce.coupon_models import ClaimStatus, Coupon, CouponClaim, SaleCoupon
from linli.commerce.coupons import (
    CouponTerms,
    coupon_claim,
    coupon_create,
    coupon_discount,
    price_record,
)
from linli.commerce.errors import MixInvalid
from linli.commerce.services import sale_consume, sale_prepare, sale_refund, sale_undo
from linli.communities.services import policy_version_create
from linli.ledger.verification import ledger_verify
from tests.commerce.conftest import balance, build_shop, code_of, merchant_of
from tests.factories import make_community, make_member, make_merchant


def _coupon(shop, merchant=None, **terms):
    defaults = {"kind": "threshold", "title": "满100减20", "stock": 10, "valid_days": 30}
    defaults.update(terms)
    if "threshold_fen" not in terms and defaults["kind"] == "threshold":
        defaults.update(threshold_fen=10_000, off_fen=2_000)
    return coupon_create(merchant=merchant or shop.merchant, terms=CouponTerms(**defaults))


def _sell(shop, amount_fen, coupon_ids, request_no="c1", at=None, **kw):
    shop.steps = getattr(shop, "steps", 0) + 1
    now = (at or timezone.now()) + timedelta(seconds=30 * shop.steps)
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(shop.buyer, now),
        amount_fen=amount_fen,
        coupon_ids=coupon_ids,
        now=now,
        **kw,
    )


# --- the discount of each kind, by hand --------------------------------------------------


@pytest.mark.parametrize(
    "terms, gross, off",
    [
        ({"kind": "threshold", "threshold_fen": 10_000, "off_fen": 2_000}, 12_000, 2_000),
        (
            {"kind": "per_threshold", "threshold_fen": 10_000, "off_fen": 1_000, "cap_fen": 3_000},
            35_000,
            3_000,
        ),
        (
            {"kind": "per_threshold", "threshold_fen": 10_000, "off_fen": 1_000, "cap_fen": 3_000},
            45_000,
            3_000,  # 4 steps would be 40 yuan: the cap holds it at 30
        ),
        ({"kind": "per_threshold", "threshold_fen": 10_000, "off_fen": 1_000}, 25_000, 2_000),
        ({"kind": "percent", "discount_bp": 2_000}, 12_345, 2_469),  # 8折, floor of 24.69
        ({"kind": "voucher", "off_fen": 500}, 300, 300),  # before the policy's 80% cap
        ({"kind": "exchange", "item_name": "豆浆", "item_value_fen": 400}, 1_000, 400),
    ],
)
def test_each_kind_takes_off_what_its_rule_says(db, terms, gross, off):
    shop = build_shop("A")
    coupon = _coupon(shop, title="券", **terms)
    assert coupon_discount(coupon=coupon, gross_fen=gross) == off


@pytest.mark.parametrize(
    "terms",
    [
        {"kind": "percent", "discount_bp": 8_001},  # more than 80% off: below 2折
        {"kind": "percent", "discount_bp": 0},
        {"kind": "threshold", "threshold_fen": 1_000, "off_fen": 1_000},  # nothing left to pay
        {"kind": "voucher", "off_fen": 0},
        {"kind": "exchange", "item_name": " ", "item_value_fen": 100},
        {"kind": "threshold", "threshold_fen": 1_000, "off_fen": 100, "valid_days": None},
        {"kind": "voucher", "off_fen": 100, "stock": 0},
        {"kind": "voucher", "off_fen": -5},
        {"kind": "voucher", "off_fen": 10**15},
        {"kind": "voucher", "off_fen": True},
        {"kind": "bogus", "off_fen": 100},
    ],
)
def test_a_coupon_that_breaks_its_rule_is_refused(db, terms):
    shop = build_shop("A")
    with pytest.raises(errors.CouponInvalid):
        _coupon(shop, **terms)
    assert not Coupon.objects.exists()


def test_policy_max_discount_binds_a_percent_coupon(db):
    shop = build_shop("A")
    policy_version_create(
        community=shop.community,
        changes={"coupon_max_discount_bp": 3_000},
        actor=None,
        reason="test: at most 30% off",
    )
    with pytest.raises(errors.CouponInvalid):
        _coupon(shop, kind="percent", discount_bp=4_000)
    assert _coupon(shop, kind="percent", discount_bp=3_000).discount_bp == 3_000


# --- the sale: legs on the price after discount --------------------------------------------


def test_a_claimed_coupon_cuts_the_price_the_ledger_sees(db):
    shop = build_shop("A")
    claim = coupon_claim(community=shop.community, coupon_id=_coupon(shop).id, member=shop.buyer)
    preview = sale_prepare(
        merchant=shop.merchant,
        code=code_of(shop.buyer),
        amount_fen=12_000,
        coupon_ids=[claim.id],
    )
    assert (preview.gross_fen, preview.amount_fen, preview.cash_fen) == (12_000, 10_000, 10_000)
    assert preview.coupon_plan.discount_fen == 2_000
    shop_cny = merchant_of(shop.merchant, "CNY")
    before = balance(shop_cny)
    sale, replayed = _sell(shop, 12_000, [claim.id])
    assert not replayed and sale.amount_fen == 10_000 and sale.cash_fen == 10_000
    payment = [g for g in sale.legs if g["reason"] == "payment"]
    assert [g["amount"] for g in payment] == [10_000]
    # A: commission 1% = 100, fund 0.5% = 50, rebate to the referring shop 5% = 500
    assert balance(shop_cny) - before == 10_000 - 100 - 50 - 500
    used = SaleCoupon.objects.get(sale=sale)
    assert (used.gross_fen, used.discount_fen, used.paid_fen) == (12_000, 2_000, 0)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.USED and claim.used_in_id == sale.id
    # a retry with the same request number and the price as typed returns the same sale
    again, replayed = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="c1",
        code="",
        amount_fen=12_000,
        coupon_ids=[claim.id],
    )
    assert replayed and again.id == sale.id
    assert ledger_verify(community=shop.community).problem is None


def test_the_coupon_is_single_use_and_undo_gives_it_back(db):
    shop = build_shop("A")
    claim = coupon_claim(
        community=shop.community,
        coupon_id=_coupon(shop, kind="voucher", off_fen=500).id,
        member=shop.buyer,
    )
    sale, _ = _sell(shop, 3_000, [claim.id], request_no="u1")
    with pytest.raises(errors.CouponUsed):
        _sell(shop, 3_000, [claim.id], request_no="u2")
    sale_undo(sale=sale, actor=shop.cashier, now=sale.created_at + timedelta(minutes=1))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AVAILABLE and claim.used_in_id is None
    second, _ = _sell(shop, 3_000, [claim.id], request_no="u3")
    assert second.amount_fen == 2_500


def test_a_partial_refund_keeps_the_coupon_used_a_full_refund_returns_it(db):
    shop = build_shop("A")
    claim = coupon_claim(community=shop.community, coupon_id=_coupon(shop).id, member=shop.buyer)
    sale, _ = _sell(shop, 12_000, [claim.id], request_no="r1")
    sale_refund(sale=sale, actor=shop.cashier, request_no="p1", amount_fen=4_000)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.USED
    sale.refresh_from_db()
    sale_refund(sale=sale, actor=shop.cashier, request_no="p2", amount_fen=6_000)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AVAILABLE


def test_a_coupon_that_expired_meanwhile_is_not_given_back(db):
    shop = build_shop("A")
    claim = coupon_claim(
        community=shop.community, coupon_id=_coupon(shop, valid_days=1).id, member=shop.buyer
    )
    sale, _ = _sell(shop, 12_000, [claim.id], request_no="e1")
    sale_refund(
        sale=sale,
        actor=shop.cashier,
        request_no="late",
        amount_fen=10_000,
        now=sale.created_at + timedelta(days=2),
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.USED


# --- refusals, each with its code ----------------------------------------------------------


def _prepare(shop, gross, claim_ids, member=None, now=None):
    now = now or timezone.now()
    return sale_prepare(
        merchant=shop.merchant,
        code=code_of(member or shop.buyer, now),
        amount_fen=gross,
        coupon_ids=claim_ids,
        now=now,
    )


def test_refusals_at_the_till_name_their_reason(db):
    shop = build_shop("A")
    coupon = _coupon(shop, per_member_limit=3)
    mine = coupon_claim(community=shop.community, coupon_id=coupon.id, member=shop.buyer)
    with pytest.raises(errors.CouponThresholdNotMet) as caught:
        _prepare(shop, 9_999, [mine.id])
    assert caught.value.code == "coupon_threshold_not_met"
    with pytest.raises(errors.CouponExpired):
        _prepare(shop, 12_000, [mine.id], now=timezone.now() + timedelta(days=31))
    other = make_member(shop.community)
    theirs = coupon_claim(community=shop.community, coupon_id=coupon.id, member=other)
    with pytest.raises(errors.CouponNotYours):
        _prepare(shop, 12_000, [theirs.id])
    elsewhere = coupon_claim(
        community=shop.community,
        coupon_id=_coupon(shop, merchant=shop.referrer_shop).id,
        member=shop.buyer,
    )
    with pytest.raises(errors.CouponWrongMerchant):
        _prepare(shop, 12_000, [elsewhere.id])
    with pytest.raises(errors.CouponNotFound):
        _prepare(shop, 12_000, [10**9])
    for bad in (["1"], [-1], [True], [1, 2, 3, 4, 5, 6]):
        with pytest.raises(errors.CouponNotFound):
            _prepare(shop, 12_000, bad)
    with pytest.raises(errors.CouponUsed):
        _prepare(shop, 12_000, [mine.id, mine.id])
    second = coupon_claim(community=shop.community, coupon_id=coupon.id, member=shop.buyer)
    with pytest.raises(errors.CouponNotStackable):
        _prepare(shop, 30_000, [mine.id, second.id])


def test_not_yet_valid_and_other_community(db):
    shop = build_shop("A")
    start = timezone.now() + timedelta(days=2)
    later = _coupon(shop, valid_days=None, valid_from=start, valid_until=start + timedelta(days=5))
    claim = coupon_claim(community=shop.community, coupon_id=later.id, member=shop.buyer)
    with pytest.raises(errors.CouponNotYetValid):
        _prepare(shop, 12_000, [claim.id])
    assert _prepare(shop, 12_000, [claim.id], now=start + timedelta(hours=1)).amount_fen == 10_000
    far = build_shop("A")
    far_claim = coupon_claim(community=far.community, coupon_id=_coupon(far).id, member=far.buyer)
    with pytest.raises(errors.CouponOtherCommunity):
        _prepare(shop, 12_000, [far_claim.id])
    with pytest.raises(errors.CouponOtherCommunity):
        coupon_claim(community=shop.community, coupon_id=_coupon(far).id, member=shop.buyer)


def test_stackable_coupons_add_up_within_the_policy_cap(db):
    shop = build_shop("A")
    ids = [
        coupon_claim(
            community=shop.community,
            coupon_id=_coupon(shop, kind="voucher", off_fen=off, stackable=True).id,
            member=shop.buyer,
        ).id
        for off in (3_000, 3_000)
    ]
    assert _prepare(shop, 10_000, ids).amount_fen == 4_000
    # together they may not take more than 80% (the policy's coupon_max_discount_bp)
    assert _prepare(shop, 5_000, ids).amount_fen == 1_000
    assert _prepare(shop, 1, ids).amount_fen == 1  # a price is never cut to nothing


def test_coins_cannot_pay_more_than_the_price_after_discount(db):
    shop = build_shop("A")
    claim = coupon_claim(community=shop.community, coupon_id=_coupon(shop).id, member=shop.buyer)
    with pytest.raises(MixInvalid):
        sale_prepare(
            merchant=shop.merchant,
            code=code_of(shop.buyer),
            amount_fen=12_000,
            coin_units=11_000,
            coupon_ids=[claim.id],
        )


def test_claim_limit_and_stock(db):
    shop = build_shop("A")
    coupon = _coupon(shop, stock=2, per_member_limit=1)
    coupon_claim(community=shop.community, coupon_id=coupon.id, member=shop.buyer)
    with pytest.raises(errors.CouponLimitReached) as caught:
        coupon_claim(community=shop.community, coupon_id=coupon.id, member=shop.buyer)
    assert caught.value.code == "coupon_limit_reached"
    coupon_claim(community=shop.community, coupon_id=coupon.id, member=make_member(shop.community))
    with pytest.raises(errors.CouponStockExhausted):
        coupon_claim(
            community=shop.community, coupon_id=coupon.id, member=make_member(shop.community)
        )
    with pytest.raises(errors.CouponNotFound):
        coupon_claim(community=shop.community, coupon_id="1", member=shop.buyer)
    ended = _coupon(
        shop,
        valid_days=None,
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(errors.CouponExpired):
        coupon_claim(
            community=shop.community,
            coupon_id=ended.id,
            member=shop.buyer,
            now=timezone.now() + timedelta(hours=2),
        )


@pytest.mark.django_db(transaction=True)
def test_thirty_members_claim_a_coupon_of_stock_five_exactly_five_win():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    shop = build_shop("A")
    coupon = _coupon(shop, stock=5)
    members = [make_member(shop.community) for _ in range(30)]
    results: list = [None] * len(members)
    barrier = threading.Barrier(len(members))

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = coupon_claim(
                community=shop.community, coupon_id=coupon.id, member=members[i]
            )
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(members))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    won = [r for r in results if isinstance(r, CouponClaim)]
    lost = [r for r in results if isinstance(r, errors.CouponStockExhausted)]
    assert (len(won), len(lost)) == (5, 25)
    coupon.refresh_from_db()
    assert coupon.claimed == 5 == CouponClaim.objects.filter(coupon=coupon).count()


@pytest.mark.django_db(transaction=True)
def test_one_member_claiming_from_ten_threads_gets_only_their_limit():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    shop = build_shop("A")
    coupon = _coupon(shop, stock=50, per_member_limit=2)
    results: list = [None] * 10
    barrier = threading.Barrier(10)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = coupon_claim(
                community=shop.community, coupon_id=coupon.id, member=shop.buyer
            )
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(isinstance(r, CouponClaim) for r in results) == 2
    assert sum(isinstance(r, errors.CouponLimitReached) for r in results) == 8


# --- honest offers ---------------------------------------------------------------------------


def test_a_was_price_must_be_the_recorded_seven_day_low(db):
    shop = build_shop("A")
    now = timezone.now()
    price_record(
        merchant=shop.merchant, item_name="豆浆", price_fen=300, now=now - timedelta(days=8)
    )
    price_record(
        merchant=shop.merchant, item_name="豆浆", price_fen=450, now=now - timedelta(days=3)
    )
    price_record(
        merchant=shop.merchant, item_name="豆浆", price_fen=500, now=now - timedelta(days=1)
    )
    exchange = {"kind": "exchange", "item_name": "豆浆", "item_value_fen": 450}
    with pytest.raises(errors.WasPriceDishonest) as caught:
        _coupon(shop, was_price_fen=500, **exchange)  # the high price, not the low
    assert caught.value.code == "was_price_not_honest"
    with pytest.raises(errors.WasPriceDishonest):
        _coupon(shop, was_price_fen=300, **exchange)  # the low from 8 days ago is stale
    with pytest.raises(errors.WasPriceDishonest):
        _coupon(shop, was_price_fen=450, **{**exchange, "item_name": "油条"})  # no record
    assert _coupon(shop, was_price_fen=450, **exchange).was_price_fen == 450
    with pytest.raises(errors.CouponInvalid):
        price_record(merchant=shop.merchant, item_name="豆浆", price_fen=0)


def test_other_community_merchant_sees_nothing(db):
    other = make_community("A")
    stranger = make_merchant(other, "bakery")
    shop = build_shop("A")
    claim = coupon_claim(community=shop.community, coupon_id=_coupon(shop).id, member=shop.buyer)
    assert claim.community_id != stranger.community_id


@pytest.mark.django_db(transaction=True)
def test_eight_tills_racing_with_one_coupon_use_it_exactly_once():
    """Card and PIN (no one-time code), so only the coupon's conditional UPDATE decides."""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    from linli.commerce.cards import printed_card_issue
    from linli.commerce.models import Sale

    shop = build_shop("A")
    claim = coupon_claim(community=shop.community, coupon_id=_coupon(shop).id, member=shop.buyer)
    number, pin = printed_card_issue(member=shop.buyer)
    results: list = [None] * 8
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = sale_consume(
                merchant=shop.merchant,
                clerk=shop.cashier,
                request_no=f"race-{i}",
                code=number,
                pin=pin,
                amount_fen=12_000,
                coupon_ids=[claim.id],
            )[0]
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    sold = [r for r in results if isinstance(r, Sale)]
    refused = [r for r in results if isinstance(r, errors.CouponUsed)]
    assert (len(sold), len(refused)) == (1, 7), results
    assert Sale.objects.count() == 1 and SaleCoupon.objects.count() == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.USED and claim.used_in_id == sold[0].id
    assert ledger_verify(community=shop.community).problem is None
