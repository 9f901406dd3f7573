"""The shell in a real browser: languages, 长辈版, login, lockout and error pages, audited."""

from datetime import date

import pytest

from linli.members.models import Member
from tests.web.people import PASSWORD, person_create

pytestmark = pytest.mark.e2e


def switch_elderly(page, *, on: bool) -> None:
    button = page.get_by_test_id("elderly-on" if on else "elderly-off")
    with page.expect_navigation():
        button.click()


def body_is_elderly(page) -> bool:
    return "elderly" in page.evaluate("[...document.body.classList]")


def test_home_is_chinese_by_default(page, site_url, audit_page):
    page.goto(f"{site_url}/")

    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "街坊邻里，互帮互助"
    assert page.get_by_role("button", name="长辈版").is_visible()
    audit_page(page, elderly=False)


def test_home_in_english_through_the_language_form(page, site_url, audit_page):
    page.goto(f"{site_url}/")
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()

    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() == "Neighbours helping neighbours"
    assert page.get_by_role("button", name="Elderly mode").is_visible()
    audit_page(page, elderly=False)
    switch_elderly(page, on=True)
    audit_page(page, elderly=True)


def test_elderly_mode_on_and_off(page, site_url, audit_page):
    page.goto(f"{site_url}/")
    standard_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    switch_elderly(page, on=True)
    report = audit_page(page, elderly=True)
    assert report["measured"]["checkedTargets"] >= 4  # the switches, login, API docs
    elderly_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert elderly_size >= 18 > standard_size

    page.reload()  # the choice lives in the session, not in the page
    assert body_is_elderly(page)

    switch_elderly(page, on=False)
    audit_page(page, elderly=False)
    assert not body_is_elderly(page)


def test_senior_member_gets_elderly_mode_and_can_leave_it(page, site_url, login, audit_page):
    user = person_create(username="wang", birth_date=date(1950, 3, 8), display_name="王阿姨")

    login(page, "wang", PASSWORD)

    assert page.url == f"{site_url}/"
    assert body_is_elderly(page)
    assert page.get_by_text("幸福里社区").is_visible()
    assert page.get_by_text("王阿姨，欢迎回来。").is_visible()
    audit_page(page, elderly=True)

    switch_elderly(page, on=False)
    assert not body_is_elderly(page)
    assert Member.objects.get(user=user).prefers_elderly_mode is False
    audit_page(page, elderly=False)

    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    assert page.get_by_role("link", name="登录").first.is_visible()


def test_login_page_in_both_modes(page, site_url, audit_page):
    page.goto(f"{site_url}/login/")
    assert page.locator("h1").inner_text() == "登录"
    audit_page(page, elderly=False)
    switch_elderly(page, on=True)
    assert page.url == f"{site_url}/login/"
    audit_page(page, elderly=True)


def test_wrong_password_then_lockout_page_is_translated(page, site_url, audit_page):
    person_create(username="li")
    page.goto(f"{site_url}/login/")
    switch_elderly(page, on=True)
    for attempt in range(5):  # AXES_FAILURE_LIMIT: the fifth failure locks
        page.locator("input[name=username]").fill("li")
        page.locator("input[name=password]").fill(f"wrong-{attempt}")
        with page.expect_navigation():
            page.locator("form.stack-form button[type=submit]").click()
        if attempt == 0:
            assert page.get_by_role("alert").is_visible()
            audit_page(page, elderly=True)

    assert page.locator("h1").inner_text() == "登录已暂停"
    assert page.get_by_text("密码已连续输错 5 次").is_visible()
    audit_page(page, elderly=True)


def test_not_found_page_in_both_modes(page, site_url, audit_page):
    response = page.goto(f"{site_url}/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "找不到这个页面"
    audit_page(page, elderly=False)

    switch_elderly(page, on=True)  # goes home: error pages never echo the unknown path
    page.goto(f"{site_url}/no-such-page/")
    audit_page(page, elderly=True)
    with page.expect_navigation():
        page.get_by_role("link", name="返回首页").click()
    assert page.url == f"{site_url}/"
