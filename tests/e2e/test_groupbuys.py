"""Group-buys and ad slots in Chromium on a phone-sized screen: a member pledges and
withdraws, the shop confirms a pickup code, the owner books an ad month; zh-hans (长辈版)
and en, each page audited."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from linli.commerce.groupbuys import group_buy_close, group_buy_pledge
from linli.commerce.models import AdBooking, AdSlot, GroupBuy, Pledge
from tests.commerce.groupbuy_helpers import (
    available,
    build_town,
    cny_wallet,
    eggs,
    member_with_cash,
    shop_takings,
)
from tests.commerce.test_ads import _slot


@pytest.fixture
def town(transactional_db: None, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_town("A")


def _prepare(page: Any, language: str, elderly: bool) -> None:
    if language == "en" and page.get_by_role("button", name="English").count():
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
    if elderly and page.get_by_test_id("elderly-on").count():
        with page.expect_navigation():
            page.get_by_test_id("elderly-on").click()
    assert page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_pledges_and_withdraws(page, site_url, login, audit_page, town, language) -> None:
    slug, elderly = town.community.slug, language == "zh-hans"
    gb = eggs(town)
    buyer = member_with_cash(town, 20_000)

    login(page, buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/group-buys/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("wallet-available").inner_text() == "200.00"
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("group-buy-link").first.click()
    page.locator("#units").fill("3")
    with page.expect_navigation():
        page.get_by_test_id("pledge").click()
    assert page.get_by_test_id("pledge-held").inner_text() == "114.00"
    audit_page(page, elderly=elderly)
    assert available(cny_wallet(buyer)) == 20_000 - 11_400
    with page.expect_navigation():
        page.get_by_test_id("withdraw").click()
    assert page.get_by_test_id("pledge-form").count() == 1
    assert available(cny_wallet(buyer)) == 20_000
    assert Pledge.objects.get(group_buy=gb).status == "withdrawn"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_shop_confirms_pickup_and_books_an_ad_month(
    page, site_url, login, audit_page, town, language
) -> None:
    slug, elderly = town.community.slug, language == "zh-hans"
    gb = eggs(town)
    buyer = member_with_cash(town, 50_000)
    group_buy_pledge(group_buy=gb, member=buyer, units=10, now=town.now)
    group_buy_close(group_buy=gb, now=gb.deadline)
    pledge = Pledge.objects.get(group_buy=gb)

    login(page, buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/group-buys/{gb.id}/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("pickup-code").inner_text() == pledge.pickup_code
    assert page.get_by_test_id("pledge-paid").inner_text() == "380.00"
    audit_page(page, elderly=elderly)

    page.context.clear_cookies()
    login(page, town.merchant.owner.username, "pw")
    page.goto(f"{site_url}/c/{slug}/group-buy-desk/")
    _prepare(page, language, elderly)
    audit_page(page, elderly=elderly)
    page.locator("#code").fill(pledge.pickup_code.lower())
    with page.expect_navigation():
        page.get_by_test_id("pickup-confirm").click()
    pledge.refresh_from_db()
    assert pledge.picked_up_at is not None

    _slot(town)
    shop_takings(town.merchant, 40_000)
    page.goto(f"{site_url}/c/{slug}/ad-slots/")
    # 380.00 from the group-buy less the 8% margin (30.40), plus 400.00 of till takings.
    assert page.get_by_test_id("shop-balance").inner_text() == "749.60"
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("ad-book").nth(1).click()
    assert AdBooking.objects.filter(merchant=town.merchant, status="booked").count() == 1
    assert page.get_by_test_id("shop-balance").inner_text() == "349.60"
    assert page.get_by_test_id("ad-cancel").count() == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_takes_cash_publishes_for_a_supplier_and_adds_a_slot(
    page, site_url, login, audit_page, town, language
) -> None:
    slug, elderly = town.community.slug, language == "zh-hans"
    buyer = member_with_cash(town, 0)
    town.operator.set_password("pw")
    town.operator.save()

    login(page, town.operator.username, "pw")
    page.goto(f"{site_url}/c/{slug}/group-buy-desk/")
    _prepare(page, language, elderly)
    audit_page(page, elderly=elderly)
    page.locator("#member").fill(str(buyer.id))
    page.locator("#amount").fill("150")
    with page.expect_navigation():
        page.get_by_test_id("top-up").click()
    assert available(cny_wallet(buyer)) == 15_000

    page.locator("#merchant").select_option(str(town.other_merchant.id))
    page.locator("#title").fill("东北大米 10kg")
    page.locator("#tier1-units").fill("5")
    page.locator("#tier1-price").fill("59")
    page.locator("#tier2-units").fill("20")
    page.locator("#tier2-price").fill("55.5")
    page.locator("#threshold").fill("5")
    tomorrow = timezone.localtime() + timedelta(days=1)
    page.locator("#deadline").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#pickup-point").fill("社区服务站")
    page.locator("#margin").fill("9")
    with page.expect_navigation():
        page.get_by_test_id("create").click()
    assert page.get_by_test_id("form-error").count() == 0
    published = GroupBuy.objects.get()
    assert published.merchant == town.other_merchant and published.margin_bp == 900
    assert published.tiers == [
        {"min_units": 5, "price_fen": 5_900},
        {"min_units": 20, "price_fen": 5_550},
    ]
    assert page.get_by_test_id("desk-group-buy").count() == 1

    page.goto(f"{site_url}/c/{slug}/ad-slots/")
    audit_page(page, elderly=elderly)
    page.locator("#slot-name").fill("电梯海报")
    page.locator("#slot-position").fill("1 号楼电梯")
    page.locator("#slot-price").fill("450")
    with page.expect_navigation():
        page.get_by_test_id("slot-create").click()
    assert page.get_by_test_id("ad-slot").count() == 1
    assert AdSlot.objects.get().price_fen == 45_000
