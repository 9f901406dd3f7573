"""Coupons in Chromium on a phone: the member claims a coupon and sees it under "my
coupons"; the operator creates a cross-store campaign, runs the dry run and switches it
on — in zh-hans (长辈版) and en, each page audited."""

from typing import Any

import pytest

from linli.commerce.coupon_models import CouponClaim, CrossStoreCampaign
from linli.commerce.coupons import CouponTerms, coupon_create
from linli.communities.models import Role
from tests.commerce.conftest import build_shop
from tests.factories import make_role, make_user


@pytest.fixture
def shop(transactional_db: None, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    shop = build_shop("A")
    coupon_create(
        merchant=shop.merchant,
        terms=CouponTerms(
            kind="threshold",
            title="满100减20",
            threshold_fen=10_000,
            off_fen=2_000,
            stock=5,
            valid_days=30,
        ),
    )
    return shop


def _prepare(page: Any, language: str, elderly: bool) -> None:
    if language == "en" and page.get_by_role("button", name="English").count():
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
    if elderly and page.get_by_test_id("elderly-on").count():
        with page.expect_navigation():
            page.get_by_test_id("elderly-on").click()
    assert page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_claims_a_coupon_and_sees_it_in_my_coupons(
    page, site_url, login, audit_page, shop, language
) -> None:
    elderly = language == "zh-hans"
    login(page, shop.buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{shop.community.slug}/coupons/")
    _prepare(page, language, elderly)
    offer = page.get_by_test_id("coupon-offer")
    assert offer.count() == 1
    expected = "满 100.00 元减 20.00 元" if language == "zh-hans" else "20.00 yuan off when you"
    assert expected in offer.inner_text()
    assert page.get_by_test_id("my-coupon").count() == 0
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("claim").click()
    mine = page.get_by_test_id("my-coupon")
    assert mine.count() == 1 and mine.get_attribute("data-state") == "available"
    claim = CouponClaim.objects.get(member=shop.buyer)
    assert page.get_by_test_id("coupon-number").inner_text() == str(claim.id)
    assert ("可使用" if language == "zh-hans" else "usable") in mine.inner_text()
    audit_page(page, elderly=elderly)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_creates_dry_runs_and_switches_on_a_campaign(
    page, site_url, login, audit_page, shop, language
) -> None:
    elderly = language == "zh-hans"
    operator = make_user(password="pw")
    make_role(operator, shop.community, Role.OPERATOR)
    login(page, operator.username, "pw")
    page.goto(f"{site_url}/c/{shop.community.slug}/campaigns/")
    _prepare(page, language, elderly)
    rule = page.get_by_test_id("campaign-rule").inner_text()
    assert ("50.00" in rule) and ("5.00" in rule) and ("20%" in rule)
    audit_page(page, elderly=elderly)
    page.locator("#name").fill("面包换水果")
    page.locator("#issuer").select_option(str(shop.referrer_shop.id))
    page.locator("#redeemer").select_option(str(shop.merchant.id))
    with page.expect_navigation():
        page.get_by_test_id("create-campaign").click()
    campaign = CrossStoreCampaign.objects.get()
    assert not campaign.is_active
    assert page.get_by_test_id("campaign-state").inner_text() == (
        "已关闭" if language == "zh-hans" else "off"
    )
    with page.expect_navigation():
        page.get_by_test_id("dry-run-button").click()
    assert page.get_by_test_id("dry-issued").inner_text() == "0"
    assert page.get_by_test_id("dry-cost").inner_text() == "0.00"
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("switch").click()
    campaign.refresh_from_db()
    assert campaign.is_active
    assert page.get_by_test_id("campaign-state").inner_text() == (
        "已开启" if language == "zh-hans" else "on"
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_shop_owner_records_a_price_and_publishes_an_honest_coupon(
    page, site_url, login, audit_page, shop, language
) -> None:
    elderly = language == "zh-hans"
    login(page, shop.merchant.owner.username, "pw")
    page.goto(f"{site_url}/c/{shop.community.slug}/shop-coupons/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("shop-coupon").count() == 1
    audit_page(page, elderly=elderly)
    page.locator("#price-item").fill("豆浆")
    page.locator("#price").fill("4.5")
    with page.expect_navigation():
        page.get_by_test_id("record-price").click()
    assert "4.50" in page.get_by_test_id("price-row").inner_text()
    page.locator("#kind").select_option("exchange")
    page.locator("#title").fill("豆浆兑换券")
    page.locator("#item").fill("豆浆")
    page.locator("#item_value").fill("4")
    page.locator("#was").fill("5")
    with page.expect_navigation():
        page.get_by_test_id("publish").click()
    assert "4.50" in page.get_by_test_id("shop-coupon-error").inner_text()
    page.locator("#kind").select_option("exchange")
    page.locator("#title").fill("豆浆兑换券")
    page.locator("#item").fill("豆浆")
    page.locator("#item_value").fill("4")
    page.locator("#was").fill("4.5")
    with page.expect_navigation():
        page.get_by_test_id("publish").click()
    assert page.get_by_test_id("shop-coupon").count() == 2
    audit_page(page, elderly=elderly)
