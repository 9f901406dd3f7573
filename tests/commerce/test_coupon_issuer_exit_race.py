"""The issuer's seat closes while a member pays with its coupon at the partner shop
(PostgreSQL, real threads). The closing locks the issuer's open coupons before the
issuer's ledger accounts (exit hook phase "prepare"), the till locks the coupon's row
before the issuer's account: whichever goes first, the other waits — no deadlock, both
succeed, and the money is the same to the fen either way."""

from datetime import timedelta

import pytest

from linli.commerce.coupon_models import ClaimStatus, CouponClaim
from linli.commerce.models import Sale
from linli.ledger.models import AccountKind, Transfer
from linli.ledger.services import chart_ensure
from linli.ledger.verification import ledger_verify
from linli.merchants.models import Merchant, MerchantStatus
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from tests.commerce.conftest import balance, merchant_of
from tests.commerce.test_cross_store import Street
from tests.threads import run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("trial", range(3))
def test_closing_and_redeeming_at_once(transactional_db, trial):
    street = Street("A")
    street.campaign()
    street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(campaign__issuer=street.a)
    shop = merchant_exit_request(merchant=street.a, actor=street.a.owner)
    chart = chart_ensure(community=street.community)
    subsidy0 = balance(chart[(AccountKind.SUBSIDY, "CNY")])
    b0 = balance(merchant_of(street.b, "CNY"))
    closing_at = shop.exit_effective_at + timedelta(seconds=1)

    results = run_threads(
        [
            lambda: merchant_exit_complete(
                merchant=Merchant.objects.get(pk=shop.pk), actor=None, now=closing_at
            ),
            lambda: street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id]),
        ]
    )

    assert isinstance(results[0], Merchant), results
    assert isinstance(results[1], Sale), results
    assert Merchant.objects.get(pk=shop.pk).status == MerchantStatus.EXITED
    assert CouponClaim.objects.get(pk=coupon.pk).status == ClaimStatus.USED
    a_cny = merchant_of(street.a, "CNY")
    assert (balance(a_cny), a_cny.debits_pending) == (0, 0)
    paid_out = Transfer.objects.filter(
        debit_account=a_cny,
        credit_account=chart[(AccountKind.CASH_OUT, "CNY")],
        journal__code="merchant_deposit_return",
    ).values_list("amount", flat=True)
    assert sum(paid_out) == 50_000 + 5_910 - 200
    assert balance(chart[(AccountKind.SUBSIDY, "CNY")]) - subsidy0 == -100
    assert balance(merchant_of(street.b, "CNY")) - b0 == 2_656
    assert balance(chart[(AccountKind.COUPON_COST, "CNY")]) == 0
    assert ledger_verify(community=street.community).problem is None
