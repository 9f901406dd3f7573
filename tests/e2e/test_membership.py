"""A new resident joins on a phone, pays at the counter (an operator confirms) and sees the
membership card, in zh-hans and in English; every membership page audited in 长辈版."""

import re
from typing import Any

import pytest

from linli.communities.models import Building, Neighbourhood, Role
from linli.members.identity import id_check_char
from linli.members.models import ConsoleSms, Membership
from linli.members.services import charter_publish
from tests.factories import make_community, make_role, make_user


@pytest.fixture
def world(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    community = make_community("A")
    charter_publish(community=community, body="会员章程：7天无理由全额退款。", actor=None)
    hood = Neighbourhood.objects.create(community=community, name="阳光小区")
    Building.objects.create(community=community, neighbourhood=hood, name="3号楼")
    operator = make_user(password="pw")
    make_role(operator, community, Role.OPERATOR)
    return {"community": community, "operator": operator}


def _elderly(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_test_id("elderly-on").click()


def _english(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_resident_joins_pays_at_the_counter_and_sees_the_card(
    browser, page, site_url, login, audit_page, world, language
) -> None:
    community = world["community"]
    page.goto(f"{site_url}/c/{community.slug}/join/")
    if language == "en":
        _english(page)
    assert page.evaluate("document.documentElement.lang") == language
    elderly = language == "zh-hans"  # each page audited once in 长辈版, once standard
    if elderly:
        _elderly(page)
    audit_page(page, elderly=elderly)
    page.locator("#phone").fill("13912345678")
    with page.expect_navigation():
        page.get_by_test_id("send-code").click()
    assert page.get_by_test_id("console-note").is_visible()
    audit_page(page, elderly=elderly)
    code = re.search(r"\d{6}", ConsoleSms.objects.get().text).group(0)
    page.locator("#code").fill(code)
    page.locator("#display_name").fill("王阿姨")
    page.locator("#building").select_option(label="阳光小区 3号楼")
    page.locator("#unit_label").fill("1202")
    page.get_by_test_id("accept-terms").check()
    with page.expect_navigation():
        page.get_by_test_id("join").click()
    assert page.url.endswith("/me/membership/")
    audit_page(page, elderly=elderly)

    # Age comes from the ID number: 60+ turns 长辈版 on by default, so the zh-hans resident
    # (already in 长辈版) is 71 and the English one 41.
    first17 = "11010519550517123" if elderly else "11010519850517123"
    page.locator("#real_name").fill("王芳")
    page.locator("#id_number").fill(first17 + id_check_char(first17))
    page.locator("input[name=consents]").check()
    with page.expect_navigation():
        page.get_by_test_id("verify").click()
    page.get_by_test_id("accept-charter").check()
    with page.expect_navigation():
        page.get_by_test_id("apply").click()
    reference = page.get_by_test_id("payment-reference").inner_text()
    assert reference == Membership.objects.get().payment_reference
    audit_page(page, elderly=elderly)

    counter = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    desk = counter.new_page()
    login(desk, world["operator"].get_username(), "pw")
    desk.goto(f"{site_url}/c/{community.slug}/ops/members/")
    if language == "en":
        _english(desk)
    assert "13912345678" not in desk.content()
    audit_page(desk, elderly=False)
    with desk.expect_navigation():
        desk.get_by_test_id("confirm-payment").click()
    assert desk.get_by_test_id("awaiting").count() == 0
    counter.close()

    page.reload()
    card = page.get_by_test_id("membership-card")
    assert card.is_visible()
    assert Membership.objects.get().status == "active"
    assert page.get_by_test_id("entitlement").count() == 1
    audit_page(page, elderly=elderly)
    page.goto(f"{site_url}/me/referrals/")
    audit_page(page, elderly=elderly)
    page.goto(f"{site_url}/me/inbox/")
    assert page.get_by_test_id("notice").count() == 2  # joined, fee paid
    audit_page(page, elderly=elderly)
    page.goto(f"{site_url}/me/groups/")
    page.locator("#name").fill("太极拳" if elderly else "Tai chi")
    with page.expect_navigation():
        page.get_by_test_id("create-group").click()
    assert page.get_by_test_id("group").count() == 1
    audit_page(page, elderly=elderly)
    page.goto(f"{site_url}/c/{community.slug}/charter/")
    audit_page(page, elderly=elderly)
    page.goto(f"{site_url}/login/phone/")
    audit_page(page, elderly=elderly)
