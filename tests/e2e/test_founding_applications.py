"""Founding places online, in Chromium (zh-hans and en): a resident applies on the founding
page and sees the application waiting; an operator finds it in the queue and approves it
with a reason; the resident then sees their founding status and the inbox notice."""

from typing import Any

import pytest

from linli.communities.models import Role
from linli.members.models import FoundingApplication, Member
from linli.members.services import charter_publish
from tests.factories import make_community, make_role, make_user


@pytest.fixture
def resident(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    from tests.members.conftest import join

    community = make_community("A")
    charter_publish(community=community, body="会员章程", actor=None)
    operator = make_user(password="pw")
    make_role(operator, community, Role.OPERATOR)
    member = join(community, display_name="李老师")
    member.user.set_password("pw")
    member.user.save()
    return {"community": community, "member": member, "operator": operator}


def _as(page: Any, site_url: str, language: str, login: Any, user: Any) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site_url}])
    login(page, user.get_username(), "pw")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_apply_online_operator_approves_member_sees_founding_status(
    page, site_url, login, audit_page, resident, language
) -> None:
    from playwright.sync_api import expect

    community, member = resident["community"], resident["member"]
    url = f"{site_url}/c/{community.slug}/founding/"

    _as(page, site_url, language, login, member.user)
    page.goto(url)
    expect(page.get_by_test_id("founding-apply")).to_be_visible()
    audit_page(page, elderly=False)
    page.locator("#motivation").fill("退休教师，想为社区出力")
    page.locator("#contribution").fill("周末组织儿童读书会")
    page.get_by_test_id("founding-consent").check()
    with page.expect_navigation():
        page.get_by_test_id("founding-apply-send").click()
    expect(page.get_by_test_id("application-status")).to_be_visible()
    assert FoundingApplication.objects.get(member=member).status == "pending"

    _as(page, site_url, language, login, resident["operator"])
    page.goto(url)
    row = page.get_by_test_id("founding-application")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("周末组织儿童读书会")
    audit_page(page, elderly=False)
    row.get_by_test_id("decision-reason").fill("读书会组织者")
    with page.expect_navigation():
        row.get_by_test_id("approve").click()
    expect(page.locator(".messages")).to_contain_text("李老师")
    expect(page.get_by_test_id("founding-application")).to_have_count(0)
    assert Member.objects.get(pk=member.id).is_founding

    _as(page, site_url, language, login, member.user)
    page.goto(url)
    expect(page.get_by_test_id("founding-mine")).to_be_visible()
    audit_page(page, elderly=False)
    page.goto(f"{site_url}/me/inbox/")
    expect(page.locator("main")).to_contain_text("读书会组织者")
