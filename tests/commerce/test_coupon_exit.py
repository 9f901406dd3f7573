"""A shop leaving the alliance (issue 5 exit, issue 6 coupons): at notice its coupons stop
being claimed and its campaigns switch off; when the seat closes, the coupons only it
honours are withdrawn and the issuer's reserved share of a cross-store coupon comes back."""

from datetime import timedelta

import pytest

from linli.commerce import coupon_errors as errors
from linli.commerce.coupon_models import ClaimStatus, CouponClaim, CrossStoreCampaign
from linli.commerce.coupons import CouponTerms, coupon_claim, coupon_create
from linli.ledger.verification import ledger_verify
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from tests.commerce.conftest import merchant_of
from tests.commerce.test_cross_store import Street


@pytest.fixture
def street(db) -> Street:
    return Street("A")


def test_leaving_shop_withdraws_its_coupons_and_releases_the_reserved_share(street):
    campaign = street.campaign()
    a_cny = merchant_of(street.a, "CNY")
    deposit_held = a_cny.debits_pending
    street.sell(street.a, street.till_a, "a-1", 6_000)
    cross = CouponClaim.objects.get(campaign=campaign)
    own = coupon_create(
        merchant=street.b,
        terms=CouponTerms(kind="voucher", title="无门槛5元", off_fen=500, stock=5, valid_days=30),
    )
    claimed = coupon_claim(community=street.community, coupon_id=own.id, member=street.buyer)
    a_cny.refresh_from_db()
    assert a_cny.debits_pending == deposit_held + 200  # A's share, reserved for B

    shop = merchant_exit_request(merchant=street.b, actor=street.b.owner)

    assert not CrossStoreCampaign.objects.get(id=campaign.id).is_active
    with pytest.raises(errors.CouponNotFound):
        coupon_claim(community=street.community, coupon_id=own.id, member=street.buyer)
    street.sell(street.a, street.till_a, "a-2", 6_000)  # the campaign no longer issues
    assert CouponClaim.objects.filter(campaign=campaign).count() == 1
    assert CouponClaim.objects.get(id=claimed.id).status == ClaimStatus.AVAILABLE

    merchant_exit_complete(
        merchant=shop, actor=street.operator, now=shop.exit_effective_at + timedelta(days=1)
    )

    statuses = CouponClaim.objects.filter(id__in=[cross.id, claimed.id]).values_list(
        "status", flat=True
    )
    assert set(statuses) == {ClaimStatus.REVOKED}
    a_cny.refresh_from_db()
    assert a_cny.debits_pending == deposit_held
    assert ledger_verify(community=street.community).problem is None
