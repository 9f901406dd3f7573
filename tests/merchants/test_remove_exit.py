"""A committee removal takes the steps of every exit (issue 5), without the notice period:
members are told the shop has left, its offers end, its coupons are settled, the deposit
is returned through the ledger (a debt it cannot repay stays recorded), staff lose their
roles, the seat reopens. To the fen, and the books balance."""

import pytest

from linli.commerce.coupon_models import ClaimStatus, Coupon, CouponClaim, CrossStoreCampaign
from linli.commerce.coupons import CouponTerms, _release_reserved_share, coupon_create
from linli.commerce.services import flash_sale_create
from linli.communities.models import AuditEntry, CommunityRole, Role
from linli.ledger.models import AccountKind, Journal, Transfer
from linli.ledger.services import chart_ensure
from linli.ledger.verification import ledger_verify
from linli.members.models import Notice
from linli.merchants.models import MerchantStatus
from linli.merchants.selectors import debt_open_fen
from linli.merchants.services import merchant_exit_request
from linli.merchants.trust import complaint_decide, complaint_file, merchant_remove
from tests.commerce.conftest import balance, merchant_of
from tests.commerce.test_cross_store import Street
from tests.factories import make_member, make_role


@pytest.fixture(autouse=True)
def _member_confirmation_off(settings):
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 0}


@pytest.fixture
def street(db) -> Street:
    street = Street("A")
    operator = make_member(street.community, "op-resident")
    make_role(operator.user, street.community, Role.OPERATOR)
    street.operator = operator.user
    return street


def _cash_out(merchant) -> int:
    out = chart_ensure(community=merchant.community)[(AccountKind.CASH_OUT, "CNY")]
    return sum(
        Transfer.objects.filter(
            debit_account=merchant_of(merchant, "CNY"),
            credit_account=out,
            journal__code="merchant_deposit_return",
        ).values_list("amount", flat=True)
    )


def _subsidy(community) -> int:
    return balance(chart_ensure(community=community)[(AccountKind.SUBSIDY, "CNY")])


def test_removal_tells_members_ends_offers_settles_coupons_and_returns_the_deposit(street):
    campaign = street.campaign()
    street.sell(street.a, street.till_a, "a-1", 6_000)
    issued = CouponClaim.objects.get(campaign=campaign)
    flash = flash_sale_create(merchant=street.a, title="面包", price_points=100, stock=5)
    own = coupon_create(
        merchant=street.a,
        terms=CouponTerms(kind="voucher", title="无门槛2元", off_fen=200, stock=5, valid_days=30),
    )
    subsidy0 = _subsidy(street.community)

    merchant_remove(merchant=street.a, reason="季度末位", blacklist=False, actor=street.operator)

    shop = street.a
    shop.refresh_from_db()
    assert shop.status == MerchantStatus.REMOVED and shop.closed_at is not None
    # members told that it has left (no notice period), the committee not told "notice given"
    assert Notice.objects.get(kind="merchant_left").member_id == street.buyer.id
    assert not Notice.objects.filter(kind__in=["merchant_leaving", "merchant_exit_given"]).exists()
    # its offers ended
    flash.refresh_from_db()
    assert flash.stock == flash.sold == 0
    assert not Coupon.objects.get(id=own.id).is_active
    assert not CrossStoreCampaign.objects.get(id=campaign.id).is_active
    # the coupon it issued for B is settled: 200 fen from A to the subsidy, member keeps it
    issued.refresh_from_db()
    assert issued.status == ClaimStatus.AVAILABLE and issued.issuer_settled_at is not None
    assert _subsidy(street.community) - subsidy0 == 200
    # the deposit and balance came back, less the coupon share; nothing left at A
    assert _cash_out(shop) == 50_000 + 5_910 - 200
    a_cny = merchant_of(shop, "CNY")
    assert (balance(a_cny), a_cny.debits_pending) == (0, 0)
    assert not CommunityRole.objects.filter(
        community=street.community, user=street.till_a, role=Role.CASHIER
    ).exists()
    entry = AuditEntry.objects.get(action="merchant.remove")
    assert entry.after["returned_fen"] == 55_710
    assert "linli.commerce.coupons:merchant_leaving" in entry.after["hooks"]["settle"]
    assert "linli.merchants.exit_hooks:members_notify" in entry.after["hooks"]["notice"]

    used = street.sell(street.b, street.till_b, "b-1", 2_900, [issued.id])
    assert used.cash_fen == 2_400
    assert _subsidy(street.community) - subsidy0 == 200 - 300
    assert ledger_verify(community=street.community).problem is None


def test_removal_with_a_debt_leaves_it_recorded_and_the_subsidy_covers_the_coupon(street):
    campaign = street.campaign()
    street.sell(street.a, street.till_a, "a-1", 6_000)
    issued = CouponClaim.objects.get(campaign=campaign)
    # A could not cover its share when the coupon was issued: nothing is reserved
    _release_reserved_share(claim=issued, actor=None)
    CouponClaim.objects.filter(id=issued.id).update(hold_id=None)
    complaint = complaint_file(merchant=street.a, complainant=street.buyer.user, text="坏了")
    complaint_decide(
        complaint=complaint, verified=True, compensation_fen=60_000, actor=street.operator
    )
    assert debt_open_fen(merchant=street.a) == 60_000 - 50_000 - 5_910
    subsidy0 = _subsidy(street.community)

    merchant_remove(merchant=street.a, reason="红榜", blacklist=True, actor=street.operator)

    assert debt_open_fen(merchant=street.a) == 4_090  # recorded, not blocking
    assert not Journal.objects.filter(code="cross_coupon_issuer_settle").exists()
    assert _cash_out(street.a) == 0
    issued.refresh_from_db()
    assert issued.issuer_settled_at is not None
    assert _subsidy(street.community) == subsidy0
    street.sell(street.b, street.till_b, "b-1", 2_900, [issued.id])
    assert _subsidy(street.community) - subsidy0 == -300  # platform 100 + A's 200
    assert ledger_verify(community=street.community).problem is None


def test_removing_a_shop_serving_its_notice_does_not_tell_members_twice(street):
    street.sell(street.a, street.till_a, "a-1", 6_000)
    merchant_exit_request(merchant=street.a, actor=street.a.owner)
    merchant_remove(merchant=street.a, reason="违规", blacklist=False, actor=street.operator)
    notices = Notice.objects.filter(member=street.buyer).values_list("kind", flat=True)
    assert [k for k in notices if k.startswith("merchant_")] == ["merchant_leaving"]
    street.a.refresh_from_db()
    assert street.a.status == MerchantStatus.REMOVED
    assert _cash_out(street.a) == 50_000 + 5_910
    assert ledger_verify(community=street.community).problem is None
