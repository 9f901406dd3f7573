"""The merchant's back office and the committee's anomaly view in Chromium on a phone-sized
screen: the owner searches the sales list and opens a receipt, reads the daily settlement
and downloads it; an operator reads the anomalies — zh-hans (长辈版) and en."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from linli.commerce.models import Sale
from linli.commerce.services import sale_consume, sale_undo
from linli.communities.models import Role
from tests.commerce.conftest import build_shop, code_of, fund
from tests.factories import make_member, make_role, make_user


@pytest.fixture
def shop(transactional_db: None, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LINLI_SALE_ANOMALIES = {"clerk_undos": 2}
    shop = build_shop("A")
    fund(shop.buyer, "TIME", 10_000)
    # Tomorrow 10:00 local: the policy is in force and the sales never straddle midnight.
    tomorrow = timezone.localtime() + timedelta(days=1)
    at = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    shop.day, shop.anchor = at.date().isoformat(), at
    for n in range(3):
        sale = sale_consume(
            merchant=shop.merchant,
            clerk=shop.cashier,
            request_no=f"E2E-{n}",
            code=code_of(shop.buyer, at + timedelta(seconds=30 * n)),
            now=at + timedelta(seconds=30 * n),
            amount_fen=2_000 + n,
            coin_units=500,
        )[0]
        if n < 2:
            sale_undo(sale=sale, actor=shop.cashier, now=sale.created_at)
    shop.operator = make_user()
    make_role(shop.operator, shop.community, Role.OPERATOR)
    make_member(shop.community)
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
def test_owner_reads_sales_and_settlement_operator_reads_anomalies(
    page, site_url, login, audit_page, shop, language
) -> None:
    slug, elderly = shop.community.slug, language == "zh-hans"
    login(page, shop.merchant.owner.username, "pw")
    page.goto(f"{site_url}/c/{slug}/shop/sales/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("sale-row").count() == 3
    audit_page(page, elderly=elderly)
    page.locator("#q").fill("E2E-2")
    with page.expect_navigation():
        page.get_by_test_id("sales-search").click()
    assert page.get_by_test_id("sale-row").count() == 1
    assert page.get_by_test_id("sale-member").inner_text() == "王**"
    with page.expect_navigation():
        page.get_by_test_id("sale-receipt").click()
    assert page.url.endswith(f"/receipts/{Sale.objects.get(request_no='E2E-2').id}/")
    assert page.get_by_test_id("receipt-amount").inner_text() == "20.02"

    page.goto(f"{site_url}/c/{slug}/shop/settlement/?from={shop.day}&to={shop.day}")
    heading = "每日结算" if language == "zh-hans" else "Daily settlement"
    assert heading in page.locator("h1").inner_text()
    today = page.get_by_test_id("settlement-day").first
    assert today.get_by_test_id("settlement-sales").inner_text() == "3"
    assert today.get_by_test_id("settlement-gross").inner_text() == "60.03"
    audit_page(page, elderly=elderly)
    with page.expect_download() as download:
        page.get_by_test_id("settlement-csv").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.context.clear_cookies()
    login(page, shop.operator.username, "pw")
    page.goto(f"{site_url}/c/{slug}/sales/anomalies/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("anomaly-undos").count() == 1
    assert shop.cashier.username in page.get_by_test_id("anomaly-undos").inner_text()
    audit_page(page, elderly=elderly)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_approves_a_coin_payment_on_the_card_page(
    page, site_url, login, audit_page, shop, settings, language
) -> None:
    from linli.commerce import errors
    from linli.commerce.models import ConfirmationStatus, SaleConfirmation

    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 1_000}
    slug, elderly = shop.community.slug, language == "zh-hans"
    at = shop.anchor + timedelta(minutes=30)  # a later code step than the fixture's sales
    with pytest.raises(errors.MemberConfirmationRequired):
        sale_consume(
            merchant=shop.merchant,
            clerk=shop.cashier,
            request_no="E2E-confirm",
            code=code_of(shop.buyer, at),
            now=at,
            amount_fen=3_000,
            coin_units=2_000,
        )
    login(page, shop.buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{slug}/card/")
    _prepare(page, language, elderly)
    assert page.get_by_test_id("confirmation").count() == 1
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("confirm-approve").click()
    assert page.get_by_test_id("confirmation").count() == 0
    assert SaleConfirmation.objects.get().status == ConfirmationStatus.APPROVED


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_reads_and_filters_the_refusals_at_the_till(
    page, site_url, login, audit_page, shop, language
) -> None:
    """The owner rings a sale to themselves (self-dealing) and a screenshot of a used code
    is tried: both refused, both listed for the operator, filtered by kind."""
    from playwright.sync_api import expect

    from linli.commerce import errors
    from linli.commerce.services import sale_prepare
    from linli.members.models import Member

    owner_member = Member.objects.get(user=shop.merchant.owner)
    with pytest.raises(errors.SelfDealing):
        sale_prepare(
            merchant=shop.merchant,
            clerk=shop.merchant.owner,
            code=code_of(owner_member),
            amount_fen=1_000,
        )
    used = code_of(shop.buyer, shop.anchor)  # the first fixture sale used this one
    with pytest.raises(errors.CodeUsed):
        sale_prepare(
            merchant=shop.merchant, clerk=shop.cashier, code=used, amount_fen=1_000, now=shop.anchor
        )
    slug, elderly = shop.community.slug, language == "zh-hans"
    login(page, shop.operator.username, "pw")
    page.goto(f"{site_url}/c/{slug}/sales/anomalies/")
    _prepare(page, language, elderly)
    expect(page.get_by_test_id("anomaly-refusal")).to_have_count(2)
    audit_page(page, elderly=elderly)
    page.locator("#refusal").select_option("self_dealing")
    with page.expect_navigation():
        page.get_by_test_id("refusal-filter-apply").click()
    expect(page.get_by_test_id("anomaly-refusal")).to_have_count(1)
    label = "员工在本店给自己消费" if language == "zh-hans" else "staff buying at their own shop"
    expect(page.get_by_test_id("refusal-label")).to_have_text(label)
    expect(page.get_by_test_id("anomaly-refusal")).to_contain_text(f"{owner_member.id} (")
