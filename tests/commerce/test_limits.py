"""Velocity and amount limits at the till: each refusal a coded reason the cashier reads,
the limits read from settings, and concurrent tills counted one after the other."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from linli.commerce import errors, limits
from linli.commerce.models import Sale
from linli.commerce.services import sale_consume, sale_prepare, sale_undo
from tests.commerce.conftest import build_shop, code_of, sell_at_once
from tests.factories import make_member


def _sell(shop, request_no, at, *, buyer=None, amount_fen=1_000):
    buyer = buyer or shop.buyer
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(buyer, at),
        now=at,
        amount_fen=amount_fen,
    )[0]


def _minutes(start, n):
    return start + timedelta(minutes=n)


def test_limits_are_the_defaults_with_settings_overrides(settings):
    settings.LINLI_SALE_LIMITS = {"member_sales": 9, "merchant_sales": -1, "nonsense": 3}
    merged = limits.sale_limits()
    assert merged["member_sales"] == 9
    assert merged["merchant_sales"] == limits.DEFAULT_LIMITS["merchant_sales"]  # bad value
    assert "nonsense" not in merged


def test_member_velocity_counts_undone_sales_and_frees_up_after_the_window(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"member_sales": 2, "member_minutes": 10}
    start = timezone.now()
    first = _sell(shop_a, "v1", start)
    sale_undo(sale=first, actor=shop_a.cashier, now=_minutes(start, 1))
    _sell(shop_a, "v2", _minutes(start, 2))
    with pytest.raises(errors.MemberVelocityLimit) as refused:
        _sell(shop_a, "v3", _minutes(start, 3))
    assert refused.value.code == "member_velocity_limit" and refused.value.status == 429
    assert "10" in refused.value.render("zh-hans")
    with pytest.raises(errors.MemberVelocityLimit):
        sale_prepare(
            merchant=shop_a.merchant,
            code=code_of(shop_a.buyer, _minutes(start, 4)),
            amount_fen=500,
            now=_minutes(start, 4),
        )
    _sell(shop_a, "v4", _minutes(start, 11))  # the first sale left the window
    assert Sale.objects.filter(member=shop_a.buyer).count() == 3


def test_merchant_velocity_counts_every_member(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"merchant_sales": 2, "merchant_minutes": 1}
    other, third = make_member(shop_a.community), make_member(shop_a.community)
    start = timezone.now()
    _sell(shop_a, "m1", start)
    _sell(shop_a, "m2", start + timedelta(seconds=20), buyer=other)
    with pytest.raises(errors.MerchantVelocityLimit) as refused:
        _sell(shop_a, "m3", start + timedelta(seconds=40), buyer=third)
    assert refused.value.code == "merchant_velocity_limit"
    _sell(shop_a, "m4", start + timedelta(seconds=70), buyer=third)


def test_one_sale_over_the_amount_limit_is_refused(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"sale_max_fen": 10_000}
    start = timezone.now()
    with pytest.raises(errors.SaleAmountOverLimit) as refused:
        _sell(shop_a, "a1", start, amount_fen=10_001)
    assert refused.value.code == "sale_amount_over_limit"
    assert "100.00" in refused.value.render("en")
    assert _sell(shop_a, "a2", start, amount_fen=10_000).amount_fen == 10_000


def test_member_daily_amount_leaves_out_undone_sales_and_refunds(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"member_day_max_fen": 15_000, "sale_max_fen": 0}
    # Tomorrow 10:00: after the policy took effect, far from a day boundary.
    tomorrow = timezone.localtime() + timedelta(days=1)
    start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    first = _sell(shop_a, "d1", start, amount_fen=10_000)
    with pytest.raises(errors.MemberDailyAmountLimit) as refused:
        _sell(shop_a, "d2", _minutes(start, 1), amount_fen=6_000)
    assert refused.value.code == "member_daily_amount_limit"
    assert refused.value.params["left"] == "50.00"
    sale_undo(sale=first, actor=shop_a.cashier, now=_minutes(start, 2))
    assert _sell(shop_a, "d3", _minutes(start, 3), amount_fen=15_000).amount_fen == 15_000
    # The next day starts from zero.
    assert _sell(shop_a, "d4", start + timedelta(days=1), amount_fen=15_000)


def test_zero_switches_a_limit_off(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"member_sales": 0, "merchant_sales": 0}
    start = timezone.now()
    for n in range(7):
        _sell(shop_a, f"z{n}", start + timedelta(seconds=30 * n))
    assert Sale.objects.count() == 7


def test_the_api_answers_a_limit_with_its_code_and_both_languages(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"sale_max_fen": 5_000}
    till = Client()
    till.force_login(shop_a.cashier)
    response = till.post(
        f"/api/v1/commerce/communities/{shop_a.community.slug}/sales/prepare",
        {"code": code_of(shop_a.buyer), "amount_fen": 6_000},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "sale_amount_over_limit"
    assert "50.00" in body["message"]["zh-hans"] and "50.00" in body["message"]["en"]


def test_the_till_page_shows_the_refusal_in_chinese(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"sale_max_fen": 5_000}
    till = Client()
    till.force_login(shop_a.cashier)
    page = till.post(
        f"/c/{shop_a.community.slug}/till/",
        {"action": "prepare", "code": code_of(shop_a.buyer), "amount": "60"},
    )
    assert page.status_code == 200
    assert "50.00" in page.content.decode() and "till-error" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_tills_at_once_cannot_both_slip_under_the_shop_limit(settings):
    """Without the row locks both would count zero recent sales and both would post."""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LINLI_SALE_LIMITS = {"merchant_sales": 1, "merchant_minutes": 5}
    shop = build_shop("A")
    buyers = [shop.buyer, *(make_member(shop.community) for _ in range(5))]
    now = timezone.now()
    codes = [code_of(buyer, now) for buyer in buyers]
    results = sell_at_once(shop, codes, now, amount_fen=1_000)
    sold = [r for r in results if isinstance(r, Sale)]
    refused = [r for r in results if isinstance(r, errors.MerchantVelocityLimit)]
    assert len(sold) == 1 and len(refused) == len(buyers) - 1, results
    assert Sale.objects.filter(merchant=shop.merchant).count() == 1
