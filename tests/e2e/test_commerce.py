"""Alliance commerce in Chromium on a phone-sized screen: the member opens the card, the
cashier records a sale in three steps (code + Enter like a barcode gun, amount, confirm),
the member sees the receipt with every leg; zh-hans (长辈版) and en."""

from typing import Any

import pytest

from linli.commerce.models import Sale
from tests.commerce.conftest import CASHIER_PASSWORD, build_shop, fund


@pytest.fixture
def shop(transactional_db: None, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    shop = build_shop("A")
    fund(shop.buyer, "TIME", 10_000)
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
def test_cashier_records_a_sale_and_the_member_sees_the_receipt(
    page, site_url, login, audit_page, shop, language
) -> None:
    slug, elderly = shop.community.slug, language == "zh-hans"

    login(page, shop.buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/card/")
    _prepare(page, language, elderly)
    code = page.get_by_test_id("member-code").inner_text().replace(" ", "")
    assert code.startswith("88") and len(code) == 18
    assert page.locator("[data-testid=member-card] svg").count() == 1

    page.context.clear_cookies()
    login(page, shop.cashier.username, CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/{slug}/till/")
    _prepare(page, language, elderly)
    audit_page(page, elderly=elderly)
    page.locator("#code").fill(code)
    page.locator("#code").press("Enter")  # a barcode gun ends with Enter: on to the amount
    assert page.evaluate("document.activeElement.id") == "amount"
    page.locator("#amount").fill("100")
    page.locator("details summary").click()
    page.locator("#coins").fill("40")
    with page.expect_navigation():
        page.get_by_test_id("prepare").click()
    assert page.get_by_test_id("preview-member").inner_text() == "王**"
    assert page.get_by_test_id("preview-cash").inner_text() == "60.00"
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    sale = Sale.objects.get()
    assert page.url.endswith(f"/receipts/{sale.id}/")

    page.context.clear_cookies()
    login(page, shop.buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/card/")
    _prepare(page, language, elderly)
    with page.expect_navigation():
        page.get_by_test_id("receipt-link").first.click()
    assert page.get_by_test_id("receipt-amount").inner_text() == "100.00"
    assert page.get_by_test_id("receipt-leg").count() == 9
    audit_page(page, elderly=elderly)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_till_preview_warns_that_the_member_must_approve(
    page, site_url, login, audit_page, shop, settings, language
) -> None:
    """Coins worth more than the threshold: the preview says so before the cashier
    confirms; confirming then asks for the member's approval, as the preview said."""
    from playwright.sync_api import expect

    from tests.commerce.conftest import code_of

    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 5_000}
    slug, elderly = shop.community.slug, language == "zh-hans"
    login(page, shop.cashier.username, CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/{slug}/till/")
    _prepare(page, language, elderly)
    page.locator("#code").fill(code_of(shop.buyer))
    page.locator("#amount").fill("100")
    page.locator("details summary").click()
    page.locator("#coins").fill("60")
    with page.expect_navigation():
        page.get_by_test_id("prepare").click()
    warning = page.get_by_test_id("preview-confirmation")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("50.00")
    expect(warning).to_contain_text("手机" if language == "zh-hans" else "phone")
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("till-error")).to_contain_text(
        "会员卡页面" if language == "zh-hans" else "member card page"
    )
    assert not Sale.objects.exists()
