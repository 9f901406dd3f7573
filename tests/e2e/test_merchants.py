"""Merchant alliance in Chromium: a member applies, the chair admits, the merchant sees
its console; the public page. Each page audited once in 长辈版 (tests/e2e/conftest.py)."""

from typing import Any

import pytest

from linli.merchants.models import Merchant
from linli.merchants.services import industries_ensure
from tests.factories import SHOP_LAT, SHOP_LNG, make_community, make_member, make_merchant


@pytest.fixture
def alliance(transactional_db: None, settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    community = make_community("A", slug="sunny")
    industries_ensure(community=community)
    chair = make_merchant(community, "supermarket", "chair", name="联华超市")
    applicant = make_member(community, "fruitseller").user
    return {"community": community, "chair": chair, "applicant": applicant}


def _elderly(page: Any) -> None:
    """Switch to 长辈版 unless the person's saved preference already did."""
    if page.get_by_test_id("elderly-on").count():
        page.get_by_test_id("elderly-on").click()
        page.wait_for_load_state("load")


def _english(page, site_url) -> None:
    """This walk-through reads English labels; the zh-hans run is the public page below."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site_url}])


def test_a_member_applies_the_chair_admits_the_merchant_sees_its_console(
    page, site_url, login, audit_page, alliance
) -> None:
    _english(page, site_url)
    login(page, "fruitseller", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/apply/")
    _elderly(page)
    audit_page(page, elderly=True)
    page.get_by_label("Trade").select_option(label="水果")
    page.get_by_label("Shop name").fill("鲜果坊")
    page.get_by_label("Business licence number").fill("91310000MA1E2E0001")
    page.get_by_label("Address").fill("幸福路 8 号")
    page.get_by_label("Latitude").fill("31.5")  # far outside the 1 km radius
    page.get_by_label("Longitude").fill(str(SHOP_LNG))
    page.get_by_label("Contact phone").fill("13800000003")
    page.get_by_label("I accept the exclusivity agreement").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("load")
    assert "m from the centre" in page.get_by_test_id("form-error").inner_text()
    page.get_by_label("Latitude").fill(str(SHOP_LAT))
    page.get_by_label("I accept the exclusivity agreement").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("application-submitted").is_visible()

    page.context.clear_cookies()
    _english(page, site_url)
    login(page, "chair", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/committee/")
    _elderly(page)
    assert "联华超市" in page.locator("main").inner_text()
    audit_page(page, elderly=True)
    row = page.get_by_test_id("application").filter(has_text="鲜果坊")
    row.get_by_role("button", name="Admit").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("application").count() == 0
    assert Merchant.objects.filter(name="鲜果坊", status="active").exists()

    page.context.clear_cookies()
    _english(page, site_url)
    login(page, "fruitseller", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/console/")
    _elderly(page)
    assert page.get_by_role("heading", level=1).inner_text() == "鲜果坊"
    assert page.get_by_test_id("deposit").inner_text() == "500.00"
    assert page.get_by_test_id("traffic-light").inner_text() in ("green", "amber")
    audit_page(page, elderly=True)


def test_public_merchant_page(page, site_url, audit_page, alliance) -> None:
    page.goto(f"{site_url}/c/sunny/merchants/")
    _elderly(page)
    assert page.get_by_test_id("public-merchant").count() == 1
    audit_page(page, elderly=True)
    page.goto(f"{site_url}/c/sunny/merchants/apply/")
    assert "/login/" in page.url
    other = make_community("A", slug="other")
    assert other.slug == "other"


def _queued_behind(alliance: dict[str, Any]) -> Any:
    """The fruit seat is held; the applicant waits first in line for it."""
    from linli.merchants.models import Industry
    from linli.merchants.services import application_submit

    community = alliance["community"]
    make_merchant(community, "fruit", name="老王水果")
    return application_submit(
        community=community,
        applicant=alliance["applicant"],
        industry=Industry.objects.get(community=community, code="fruit"),
        business_name="鲜果坊",
        licence_no="91310000MA1E2E0009",
        address="幸福路 8 号",
        lat=SHOP_LAT,
        lng=SHOP_LNG,
        contact_phone="13800000003",
        exclusivity_accepted=True,
        join_waiting_list=True,
    )


def test_waiting_list_page_in_chinese(page, site_url, login, audit_page, alliance) -> None:
    _queued_behind(alliance)
    login(page, "fruitseller", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/waiting/")
    _elderly(page)
    assert page.get_by_role("heading", level=1).inner_text() == "我的候补排位"
    assert page.get_by_test_id("waiting-place").inner_text() == "排第 1 位"
    audit_page(page, elderly=True)


def test_waiting_list_page_accepts_a_reopened_seat_in_english(
    page, site_url, login, audit_page, alliance
) -> None:
    from datetime import timedelta

    from linli.merchants.services import merchant_exit_complete, merchant_exit_request

    application = _queued_behind(alliance)
    holder = Merchant.objects.get(name="老王水果")
    merchant_exit_request(merchant=holder, actor=holder.owner)
    holder.refresh_from_db()
    merchant_exit_complete(
        merchant=holder, actor=None, now=holder.exit_effective_at + timedelta(seconds=1)
    )
    _english(page, site_url)
    login(page, "fruitseller", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/waiting/")
    _elderly(page)
    assert page.get_by_test_id("waiting-status").inner_text() == "seat offered"
    audit_page(page, elderly=True)
    page.get_by_role("button", name="Accept the seat").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("waiting-status").inner_text() == "offer accepted"
    application.refresh_from_db()
    assert application.status == "pending"
