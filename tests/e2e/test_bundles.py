"""Bundles in Chromium on a phone-sized screen: the operator composes the weekend family
pack, the member buys it with time coins and reads the piece codes, the grocer's cashier
checks and redeems one piece; zh-hans (长辈版) and en, every page audited."""

from typing import Any

import pytest

from linli.commerce.bundle_models import BundleOrder, PieceStatus
from linli.commerce.services import sale_consume
from linli.communities.models import Role
from linli.merchants.services import staff_add
from tests.commerce.conftest import CASHIER_PASSWORD, build_shop, code_of, fund
from tests.e2e.test_commerce import _prepare
from tests.factories import make_community, make_member, make_merchant, make_role, make_user


@pytest.fixture
def world(transactional_db: None, settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    community = make_community("A")
    operator = make_user()
    make_role(operator, community, Role.OPERATOR)
    grocer = make_merchant(community, "supermarket", name="邻里超市")
    laundry = make_merchant(community, "dry-cleaning", name="洁净干洗")
    cashier = staff_add(
        merchant=grocer, username=f"till{grocer.id}", password=CASHIER_PASSWORD, actor=None
    ).user
    buyer = make_member(community, display_name="李阿姨")
    fund(buyer, "TIME", 10_000)
    return {
        "slug": community.slug,
        "operator": operator,
        "grocer": grocer,
        "laundry": laundry,
        "cashier": cashier,
        "buyer": buyer,
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_compose_buy_and_redeem_a_bundle(page, site_url, login, audit_page, world, language):
    slug, elderly = world["slug"], language == "zh-hans"

    login(page, world["operator"].username, "pw")
    page.goto(f"{site_url}/c/{slug}/bundles/manage/")
    _prepare(page, language, elderly)
    audit_page(page, elderly=elderly)
    page.locator("#title").fill("周末家庭套餐")
    page.locator("#price").fill("80")
    page.locator("#merchant_0").select_option(str(world["grocer"].id))
    page.locator("#title_0").fill("菜篮")
    page.locator("#price_0").fill("60")
    page.locator("#merchant_1").select_option(str(world["laundry"].id))
    page.locator("#title_1").fill("洗衣券")
    page.locator("#price_1").fill("40")
    with page.expect_navigation():
        page.get_by_test_id("bundle-create").click()
    assert page.get_by_test_id("managed-bundle").count() == 1

    page.context.clear_cookies()
    login(page, world["buyer"].user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/bundles/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("bundle-price").inner_text() == "80.00"
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("buy-TIME").click()
    assert page.get_by_test_id("bundle-piece").count() == 2
    code = page.get_by_test_id("piece-code").first.inner_text().replace(" ", "")
    audit_page(page, elderly=elderly)

    page.context.clear_cookies()
    login(page, world["cashier"].username, CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/{slug}/bundles/redeem/")
    _prepare(page, language, elderly)
    audit_page(page, elderly=elderly)
    page.locator("#code").fill(code)
    with page.expect_navigation():
        page.get_by_test_id("redeem-check-button").click()
    assert page.get_by_test_id("check-item").inner_text() == "菜篮"
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("redeem-confirm").click()
    assert page.get_by_test_id("redeemed-share").inner_text() == "48.00"
    audit_page(page, elderly=elderly)
    piece = BundleOrder.objects.get().pieces.get(code=code)
    assert piece.status == PieceStatus.REDEEMED


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_owner_sets_a_member_price_and_the_till_shows_the_discount(
    page, site_url, login, audit_page, transactional_db, settings, language
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    shop = build_shop("B")
    slug, elderly = shop.community.slug, language == "zh-hans"

    login(page, shop.merchant.owner.username, "pw")
    page.goto(f"{site_url}/c/{slug}/member-price/")
    _prepare(page, language, elderly)
    audit_page(page, elderly=elderly)
    page.locator("#percent").fill("12.5")
    with page.expect_navigation():
        page.get_by_test_id("price-save").click()
    assert page.get_by_test_id("price-saved").count() == 1
    audit_page(page, elderly=elderly)

    page.context.clear_cookies()
    login(page, shop.cashier.username, CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/{slug}/till/")
    _prepare(page, language, elderly)
    page.locator("#code").fill(code_of(shop.buyer))
    page.locator("#amount").fill("100")
    with page.expect_navigation():
        page.get_by_test_id("prepare").click()
    assert "12.50" in page.get_by_test_id("preview-list").inner_text()
    assert page.get_by_test_id("preview-amount").inner_text() == "87.50"
    audit_page(page, elderly=elderly)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_reads_the_points_page(
    page, site_url, login, audit_page, transactional_db, settings, language
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    shop = build_shop("B")
    fund(shop.buyer, "PTS", 300)
    sale_consume(  # 100 CNY: 50 points back, frozen for the 7-day return window
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="e2e-points",
        code=code_of(shop.buyer),
        amount_fen=10_000,
    )
    slug, elderly = shop.community.slug, language == "zh-hans"
    login(page, shop.buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/points/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("points-total").inner_text() == "300"
    assert page.get_by_test_id("points-frozen").inner_text() == "50"
    assert page.locator("[data-testid=points-rules] li").count() >= 6
    assert page.get_by_test_id("points-row").count() == 2
    lots = page.get_by_test_id("points-lot")
    assert lots.count() == 2
    frozen_words = "冻结至" if language == "zh-hans" else "frozen until"
    assert frozen_words in lots.first.inner_text() and "300" in lots.nth(1).inner_text()
    audit_page(page, elderly=elderly)
