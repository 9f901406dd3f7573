"""Leaving the alliance in Chromium (issue 5): the owner reads what leaving means on the
phone, confirms and gives notice, in zh-hans and in English; the cashier's console has
no way there, and the page itself refuses the cashier."""

from typing import Any

import pytest
from playwright.sync_api import expect

from linli.merchants.models import Merchant, MerchantStatus
from linli.merchants.services import industries_ensure, staff_add
from tests.factories import make_community, make_merchant

CASHIER_PASSWORD = "a-long-pass-42"


@pytest.fixture
def shop(transactional_db: None, settings: Any) -> Merchant:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    community = make_community("A", slug="sunny")
    industries_ensure(community=community)
    make_merchant(community, "supermarket", "chair", name="联华超市")
    merchant = make_merchant(community, "fruit", "fruitowner", name="鲜果坊")
    staff_add(merchant=merchant, username="fruitcashier", password=CASHIER_PASSWORD, actor=None)
    return merchant


def _language(page: Any, site_url: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site_url}])


def _give_notice(page: Any, site_url: str, texts: dict[str, str]) -> None:
    page.goto(f"{site_url}/c/sunny/merchants/console/")
    page.get_by_test_id("console-leave").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["heading"])
    expect(page.get_by_test_id("exit-preview")).to_contain_text(texts["notice"])
    expect(page.get_by_test_id("exit-return")).to_contain_text("500.00")
    page.get_by_test_id("exit-give").click()  # not confirmed yet: refused, nothing changes
    expect(page.get_by_test_id("form-error")).to_contain_text(texts["confirm_first"])
    page.get_by_test_id("exit-confirm").check()
    page.get_by_test_id("exit-give").click()
    expect(page.get_by_test_id("exit-closes-on")).to_contain_text(texts["leaves"])
    expect(page.get_by_test_id("exit-withdraw")).to_be_visible()


def test_owner_gives_notice_in_chinese(page, site_url, login, audit_page, shop) -> None:
    login(page, "fruitowner", "pw")
    _give_notice(
        page,
        site_url,
        {
            "heading": "退出商家联盟",
            "notice": "提前 30 天通知会员",
            "confirm_first": "请勾选确认",
            "leaves": "鲜果坊 将于",
        },
    )
    audit_page(page, elderly=False)
    shop.refresh_from_db()
    assert shop.status == MerchantStatus.EXITING


def test_owner_gives_notice_in_english_then_withdraws(
    page, site_url, login, audit_page, shop
) -> None:
    _language(page, site_url, "en")
    login(page, "fruitowner", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/console/leave/")
    audit_page(page, elderly=False)
    _give_notice(
        page,
        site_url,
        {
            "heading": "Leave the merchant alliance",
            "notice": "Members get 30 days' notice",
            "confirm_first": "Please tick the box",
            "leaves": "鲜果坊 leaves the alliance on",
        },
    )
    page.get_by_test_id("exit-withdraw").click()
    expect(page.get_by_test_id("exit-give")).to_be_visible()
    shop.refresh_from_db()
    assert shop.status == MerchantStatus.ACTIVE


def test_the_cashier_cannot_see_the_action(page, site_url, login, shop) -> None:
    _language(page, site_url, "en")
    login(page, "fruitcashier", CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/sunny/merchants/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("鲜果坊")
    expect(page.get_by_test_id("console-leave")).to_have_count(0)
    response = page.goto(f"{site_url}/c/sunny/merchants/console/leave/")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("exit-give")).to_have_count(0)
