"""The issuer of a cross-store coupon leaves the alliance (issue 5 × A§2.2): when shop A's
seat closes, the unused coupons it issued for shop B are settled — A's reserved share is
released and paid from A's deposit to the subsidy account, which then funds that share at
B — so the member keeps the coupon. A coupon whose issuer left unsettled is refused at
the till with `coupon_issuer_exited`, never `insufficient_funds`. To the fen, on preset A:
spend 60 yuan at A → 5 yuan for B; platform 20% (100), A 40% (200), B the rest (200)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.commerce import coupon_errors as errors
from linli.commerce.coupon_models import ClaimStatus, CouponClaim, SaleCoupon
from linli.commerce.services import sale_undo
from linli.ledger.models import AccountKind, Journal, Transfer
from linli.ledger.services import chart_ensure
from linli.ledger.verification import ledger_verify
from linli.merchants.leaving import exit_preview
from linli.merchants.models import Merchant, MerchantStatus
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from tests.commerce.conftest import balance, merchant_of
from tests.commerce.test_cross_store import Street


@pytest.fixture
def street(db) -> Street:
    return Street("A")


def _system(community, kind) -> int:
    return balance(chart_ensure(community=community)[(kind, "CNY")])


def _paid_out_to(merchant) -> int:
    out = chart_ensure(community=merchant.community)[(AccountKind.CASH_OUT, "CNY")]
    return sum(
        Transfer.objects.filter(
            debit_account=merchant_of(merchant, "CNY"), credit_account=out
        ).values_list("amount", flat=True)
    )


def _close(shop, actor):
    shop = merchant_exit_request(merchant=shop, actor=shop.owner)
    return merchant_exit_complete(
        merchant=shop, actor=actor, now=shop.exit_effective_at + timedelta(seconds=1)
    )


def test_issuer_leaves_and_the_member_still_uses_the_coupon_at_b(street):
    campaign = street.campaign()
    a_cny, b_cny = merchant_of(street.a, "CNY"), merchant_of(street.b, "CNY")
    street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(campaign=campaign)
    assert coupon.hold_id is not None
    a_cny.refresh_from_db()
    a_free = a_cny.credits_posted - a_cny.debits_posted - a_cny.debits_pending
    assert a_free == 5_910 - 200  # A's share of the coupon is held for B

    shown = exit_preview(merchant=street.a)
    assert (shown.coupons_settled, shown.coupons_settled_fen) == (1, 200)
    assert shown.return_fen == 50_000 + 5_910 - 200
    subsidy0 = _system(street.community, AccountKind.SUBSIDY)

    _close(street.a, street.operator)

    coupon.refresh_from_db()
    assert coupon.status == ClaimStatus.AVAILABLE
    assert coupon.hold_id is None and coupon.issuer_settled_at is not None
    settle = Journal.objects.get(code="cross_coupon_issuer_settle")
    legs = [(t.debit_account_id, t.credit_account_id, t.amount) for t in settle.transfers.all()]
    subsidy = chart_ensure(community=street.community)[(AccountKind.SUBSIDY, "CNY")]
    assert legs == [(a_cny.id, subsidy.id, 200)]
    assert _system(street.community, AccountKind.SUBSIDY) - subsidy0 == 200
    assert _paid_out_to(street.a) == shown.return_fen == 55_710
    a_cny.refresh_from_db()
    assert (balance(a_cny), a_cny.debits_pending) == (0, 0)  # nothing left behind at A

    # At B: 29 yuan, the coupon pays 5. The subsidy account funds platform + A's share.
    b0, cost0 = balance(b_cny), _system(street.community, AccountKind.COUPON_COST)
    sale = street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id])
    assert (sale.amount_fen, sale.cash_fen) == (2_900, 2_400)
    used = SaleCoupon.objects.get(sale=sale)
    assert (used.paid_fen, used.hold_journal_id) == (500, None)
    funding = Journal.objects.get(id=used.funding_journal_id)
    assert sorted((t.debit_account_id, t.amount) for t in funding.transfers.all()) == sorted(
        [(subsidy.id, 100 + 200), (b_cny.id, 200)]
    )
    assert balance(b_cny) - b0 == 2_400 - 24 - 12 + 500 - 5 - 3 - 200 == 2_656
    assert _system(street.community, AccountKind.COUPON_COST) - cost0 == 0
    assert _system(street.community, AccountKind.SUBSIDY) - subsidy0 == 200 - 300
    assert ledger_verify(community=street.community).problem is None

    # Undone at B: the funding is reversed, the coupon is the member's again, still
    # settled, and nothing is reserved at (or paid back to) the shop that left.
    sale_undo(sale=sale, actor=street.till_b, now=sale.created_at + timedelta(minutes=1))
    coupon.refresh_from_db()
    assert coupon.status == ClaimStatus.AVAILABLE
    assert coupon.hold_id is None and coupon.issuer_settled_at is not None
    assert balance(b_cny) == b0
    assert _system(street.community, AccountKind.SUBSIDY) - subsidy0 == 200
    assert (balance(a_cny), a_cny.debits_pending) == (0, 0)
    assert ledger_verify(community=street.community).problem is None


def test_a_coupon_used_before_the_issuer_left_and_refunded_after(street):
    """The share A's hold paid B goes back to the subsidy account, not to a closed shop."""
    campaign = street.campaign()
    street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(campaign=campaign)
    sale = street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id])
    assert SaleCoupon.objects.get(sale=sale).hold_journal_id is not None
    _close(street.a, street.operator)
    a_cny = merchant_of(street.a, "CNY")
    subsidy0 = _system(street.community, AccountKind.SUBSIDY)

    sale_undo(sale=sale, actor=street.till_b, now=sale.created_at + timedelta(minutes=1))

    coupon.refresh_from_db()
    assert (coupon.status, coupon.hold_id) == (ClaimStatus.AVAILABLE, None)
    assert coupon.issuer_settled_at is not None
    # funding reversed (+100 platform share back), A's 200 back to the subsidy, not to A
    assert _system(street.community, AccountKind.SUBSIDY) - subsidy0 == 100 + 200
    assert (balance(a_cny), a_cny.debits_pending) == (0, 0)
    again = street.sell(street.b, street.till_b, "b-2", 2_900, [coupon.id])
    assert SaleCoupon.objects.get(sale=again).paid_fen == 500
    assert _system(street.community, AccountKind.SUBSIDY) - subsidy0 == 0
    assert ledger_verify(community=street.community).problem is None


def test_expired_coupons_of_the_issuer_are_only_released(street):
    campaign = street.campaign(valid_days=1)
    street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(campaign=campaign)
    # expired, and the job that voids expired holds has not run yet
    CouponClaim.objects.filter(id=coupon.id).update(
        valid_until=timezone.now() - timedelta(minutes=1)
    )
    _close(street.a, street.operator)
    coupon.refresh_from_db()
    assert (coupon.hold_id, coupon.issuer_settled_at) == (None, None)
    assert not Journal.objects.filter(code="cross_coupon_issuer_settle").exists()
    a_cny = merchant_of(street.a, "CNY")
    assert (balance(a_cny), a_cny.debits_pending) == (0, 0)
    assert _paid_out_to(street.a) == 50_000 + 5_910
    assert ledger_verify(community=street.community).problem is None


def test_the_till_refuses_a_coupon_whose_issuer_left_unsettled(street):
    """A seat closed before exits settled issued coupons (older data): a clear refusal."""
    campaign = street.campaign()
    street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(campaign=campaign)
    Merchant.objects.filter(id=street.a.id).update(status=MerchantStatus.EXITED)
    journals = Journal.objects.count()
    with pytest.raises(errors.CouponIssuerExited) as refused:
        street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id])
    payload = refused.value.as_payload()
    assert (refused.value.status, payload["code"]) == (409, "coupon_issuer_exited")
    assert "left the alliance" in payload["message"]["en"]
    assert "退出" in payload["message"]["zh-hans"]
    assert Journal.objects.count() == journals
    coupon.refresh_from_db()
    assert coupon.status == ClaimStatus.AVAILABLE
