"""核销 in three verbs: prepare → consume(request_no) → undo(request_no); refunds."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.commerce import errors
from linli.commerce.models import Sale, SaleStatus
from linli.commerce.services import sale_consume, sale_prepare, sale_refund, sale_undo
from linli.ledger.errors import InsufficientFunds
from linli.ledger.models import Journal, Transfer
from tests.commerce.conftest import balance, build_shop, code_of, fund, wallet_of


def _sell(shop, request_no="s1", amount_fen=10_000, coin_units=4_000, points=0, **kw):
    """Each sale at the next 30-second step (a member code is single use)."""
    shop.sales_made = getattr(shop, "sales_made", 0) + 1
    now = timezone.now() + timedelta(seconds=30 * (shop.sales_made - 1))
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=kw.pop("code", None) or code_of(shop.buyer, now),
        now=now,
        amount_fen=amount_fen,
        coin_units=coin_units,
        points=points,
        **kw,
    )[0]


def test_prepare_shows_masked_member_tier_totals_and_legs(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    preview = sale_prepare(
        merchant=shop_a.merchant, code=code_of(shop_a.buyer), amount_fen=10_000, coin_units=4_000
    )
    assert (preview.masked_name, preview.tier, preview.cash_fen) == ("王**", "silver", 6_000)
    assert {leg.reason for leg in preview.legs} == {
        "payment",
        "commission",
        "fund",
        "rebate",
        "cashback",
    }
    assert not Sale.objects.exists() and not Journal.objects.filter(code="sale").exists()


def test_retry_returns_the_first_result_and_records_till_data(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    first = _sell(shop_a, source="mobile")
    again, replayed = sale_consume(
        merchant=shop_a.merchant,
        clerk=shop_a.cashier,
        request_no="s1",
        code="000",  # a retry does not need the code again
        amount_fen=10_000,
        coin_units=4_000,
    )
    assert replayed and again.id == first.id
    assert Journal.objects.filter(code="sale").count() == 1
    assert (first.source, first.clerk_id, first.merchant_id) == (
        "mobile",
        shop_a.cashier.id,
        shop_a.merchant.id,
    )
    with pytest.raises(errors.RequestConflict):
        sale_consume(
            merchant=shop_a.merchant,
            clerk=shop_a.cashier,
            request_no="s1",
            code="0",
            amount_fen=1,
            coin_units=0,
        )


def test_not_enough_coins_is_refused_and_the_code_stays_usable(shop_a):
    fund(shop_a.buyer, "TIME", 1_000)
    code = code_of(shop_a.buyer)
    with pytest.raises(InsufficientFunds):
        _sell(shop_a, code=code)
    assert balance(wallet_of(shop_a.buyer, "TIME")) == 1_000
    assert _sell(shop_a, "s2", coin_units=1_000, code=code).cash_fen == 9_000


def test_mix_over_the_amount_is_refused(shop_a):
    with pytest.raises(errors.MixInvalid):
        sale_prepare(
            merchant=shop_a.merchant, code=code_of(shop_a.buyer), amount_fen=100, coin_units=101
        )


def test_points_daily_cap_preset_b(shop_b):
    fund(shop_b.buyer, "PTS", 20_000)
    _sell(shop_b, "p1", amount_fen=200_000, coin_units=0, points=4_000)
    with pytest.raises(errors.PointsCapReached):
        _sell(shop_b, "p2", amount_fen=200_000, coin_units=0, points=1_001)
    assert _sell(shop_b, "p3", amount_fen=200_000, coin_units=0, points=1_000).points == 1_000


def test_undo_reverses_every_leg_and_is_idempotent(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    sale = _sell(shop_a)
    undo = sale_undo(sale=sale, actor=shop_a.cashier)
    assert sale_undo(sale=sale, actor=shop_a.cashier).id == undo.id
    sale.refresh_from_db()
    assert sale.status == SaleStatus.UNDONE and sale.refunded_fen == sale.amount_fen
    original = {
        (t.debit_account_id, t.credit_account_id, t.amount)
        for t in Transfer.objects.filter(journal_id=sale.journal_id)
    }
    back = {
        (t.credit_account_id, t.debit_account_id, t.amount)
        for t in Transfer.objects.filter(journal_id=undo.journal_id)
    }
    assert original == back
    assert Journal.objects.get(id=undo.journal_id).external_ref == str(sale.journal_id)
    assert balance(wallet_of(shop_a.buyer, "TIME")) == 10_000


def test_undo_window_then_refund_within_return_window(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    sale = _sell(shop_a)
    later = timezone.now() + timedelta(hours=1)
    with pytest.raises(errors.UndoNotAllowed):
        sale_undo(sale=sale, actor=shop_a.cashier, now=later)
    refund = sale_refund(
        sale=sale, actor=shop_a.cashier, request_no="r1", amount_fen=2_500, now=later
    )
    sale.refresh_from_db()
    assert sale.status == SaleStatus.PARTLY_REFUNDED and refund.amount_fen == 2_500
    with pytest.raises(errors.RefundInvalid):
        sale_refund(sale=sale, actor=shop_a.cashier, request_no="r2", amount_fen=7_501)
    too_late = timezone.now() + timedelta(days=sale.policy.return_window_days + 1)
    with pytest.raises(errors.UndoNotAllowed):
        sale_refund(sale=sale, actor=shop_a.cashier, request_no="r3", amount_fen=1, now=too_late)


def test_spent_cashback_is_written_off_to_subsidy_not_member_debt(shop_a):
    """A cash sale earns 5 coins back; the member spends them; a full refund cannot take
    them back, so the platform's subsidy account bears them (legs.py rule). A refund that
    gives coins back nets the cash-back against them instead."""
    sale = _sell(shop_a, coin_units=0)  # all cash: wallet 0 + 500 cash-back
    _sell(shop_a, "spend", amount_fen=500, coin_units=500)  # the member spends it
    wallet = wallet_of(shop_a.buyer, "TIME")
    refund = sale_refund(sale=sale, actor=shop_a.cashier, request_no="full", amount_fen=10_000)
    writeoffs = [leg for leg in refund.legs if leg["reason"] == "writeoff"]
    # The wallet holds the second sale's 25 cash-back: taken first, the other 475 written off.
    assert [leg["amount"] for leg in writeoffs] == [475]
    assert balance(wallet) == 0


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    amount=st.integers(1, 50_000),
    coin_share=st.integers(0, 100),
    refunds=st.lists(st.integers(1, 50_000), max_size=4),
    preset=st.sampled_from(["A", "B"]),
)
@pytest.mark.django_db
def test_any_sale_and_refund_sequence_balances_and_member_never_negative(
    amount, coin_share, refunds, preset
):
    from collections import defaultdict

    shop = build_shop(preset)
    asset = "TIME" if preset == "A" else "PTS"
    fund(shop.buyer, asset, 60_000)  # more than any sale below can spend
    units = amount * coin_share // 100
    if asset == "PTS":
        units = units // 25  # 1 point = 25 fen
    sale = _sell(
        shop,
        amount_fen=amount,
        coin_units=units if asset == "TIME" else 0,
        points=units if asset == "PTS" else 0,
    )
    journals = [sale.journal_id]
    refunded = 0
    for i, r in enumerate(refunds):
        left = amount - refunded
        if left == 0:
            break
        r = min(r, left)
        try:
            refund = sale_refund(sale=sale, actor=shop.cashier, request_no=f"r{i}", amount_fen=r)
        except errors.RefundInvalid:  # too small to move any leg: refused, nothing posted
            continue
        refunded += r
        journals.append(refund.journal_id)
        sale.refresh_from_db()
    for journal_id in journals:
        net = defaultdict(int)
        for t in Transfer.objects.filter(journal_id=journal_id):
            net[(t.debit_account_id, t.asset_id)] -= t.amount
            net[(t.credit_account_id, t.asset_id)] += t.amount
        by_asset = defaultdict(int)
        for (_, asset_id), value in net.items():
            by_asset[asset_id] += value
        assert all(v == 0 for v in by_asset.values())
    for wallet_asset in ("CNY", "TIME", "PTS"):
        assert balance(wallet_of(shop.buyer, wallet_asset)) >= 0
    if refunded == amount:  # a full refund gives the member back exactly what they paid
        assert balance(wallet_of(shop.buyer, asset)) == 60_000
