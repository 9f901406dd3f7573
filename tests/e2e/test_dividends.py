"""The diamond dividend page in Chromium (zh-hans and en): operator A previews and proposes
a quarter; A's own approval is refused inline (`dividend_needs_two_people`); operator B
approves and the page shows the quarter paid."""

from typing import Any

import pytest

from linli.communities.models import Role
from linli.members.models import DiamondDividend, DiamondDividendProposal
from linli.members.services import charter_publish
from tests.factories import make_community, make_role, make_user

NEEDS_TWO = {"zh-hans": "必须由另一位运营人员批准", "en": "A different operator must approve"}
PAID = {"zh-hans": "已批准并发放", "en": "approved and paid"}


@pytest.fixture
def alliance(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    from tests.members.test_diamond import _diamond, _revenue

    community = make_community("A")
    charter_publish(community=community, body="会员章程", actor=None)
    maker, checker = make_user(password="pw"), make_user(password="pw")
    for user in (maker, checker):
        make_role(user, community, Role.OPERATOR)
    diamonds = [_diamond(community, maker) for _ in range(3)]
    _revenue(community, 100_000)
    return {"community": community, "maker": maker, "checker": checker, "diamonds": diamonds}


def _as(page: Any, site_url: str, language: str, login: Any, user: Any) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site_url}])
    login(page, user.get_username(), "pw")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_a_proposes_operator_b_approves_and_the_page_shows_paid(
    page, site_url, login, audit_page, alliance, language
) -> None:
    from playwright.sync_api import expect

    community = alliance["community"]
    url = f"{site_url}/c/{community.slug}/ops/dividends/"

    _as(page, site_url, language, login, alliance["maker"])
    page.goto(f"{site_url}/c/{community.slug}/ops/members/")
    with page.expect_navigation():
        page.get_by_test_id("dividends-link").click()
    page.locator("#quarter").fill("2026Q3")
    page.locator("#pool").fill("100")
    page.locator("#approval_ref").fill("会员大会 2026-10 第3号决议")
    with page.expect_navigation():
        page.get_by_test_id("dividend-preview-send").click()
    preview = page.get_by_test_id("dividend-preview")
    expect(preview.locator("li")).to_have_count(3)
    expect(preview).to_contain_text("33.33")
    expect(preview).to_contain_text("0.01")
    audit_page(page, elderly=False)
    with page.expect_navigation():
        page.get_by_test_id("dividend-propose-send").click()
    row = page.get_by_test_id("dividend-proposal")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "proposed")
    with page.expect_navigation():
        row.get_by_test_id("approve").click()
    refusal = page.get_by_test_id("error")
    expect(refusal).to_have_attribute("data-code", "dividend_needs_two_people")
    expect(refusal).to_contain_text(NEEDS_TWO[language])
    assert not DiamondDividend.objects.exists()

    _as(page, site_url, language, login, alliance["checker"])
    page.goto(url)
    row = page.get_by_test_id("dividend-proposal")
    expect(page.locator("main")).to_contain_text("2026Q3")
    audit_page(page, elderly=False)
    with page.expect_navigation():
        row.get_by_test_id("approve").click()
    row = page.get_by_test_id("dividend-proposal")
    expect(row).to_have_attribute("data-status", "paid")
    expect(row.get_by_test_id("proposal-status")).to_have_text(PAID[language])
    expect(row.get_by_test_id("approve")).to_have_count(0)
    audit_page(page, elderly=False)
    proposal = DiamondDividendProposal.objects.get()
    assert proposal.status == "paid" and proposal.decided_by == alliance["checker"]
    assert DiamondDividend.objects.get().quarter == "2026Q3"
