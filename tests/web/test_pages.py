"""The shell's pages: login/logout, lockout, error pages, and the strict CSP they live under."""

import re

import pytest
from django.test import Client

from tests.web.people import PASSWORD, person_create

pytestmark = pytest.mark.django_db

INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on…= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def inline_code_in(html: str) -> list[str]:
    return [name for pattern, name in INLINE_CODE if pattern.search(html)]


def lockout(client: Client, username: str) -> object:
    response = None
    for _ in range(6):
        response = client.post("/login/", {"username": username, "password": "wrong"})
    return response


def test_csp_forbids_inline_scripts_and_styles(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy


def test_pages_carry_no_inline_code(client):
    user = person_create(username="member", birth_date=None)
    pages = {
        "home (anonymous)": client.get("/"),
        "login": client.get("/login/"),
        "404": client.get("/no-such-page/"),
    }
    client.force_login(user)
    pages["home (member)"] = client.get("/")
    for name, response in pages.items():
        assert inline_code_in(response.content.decode()) == [], name


def test_htmx_comes_from_our_own_static_files(client):
    html = client.get("/").content.decode()
    match = re.search(r'<script src="(/static/django_htmx/htmx-2\.min\.js)" defer>', html)
    assert match, "htmx script tag missing"
    assert "https://" not in re.sub(r'href="https?://[^"]*"', "", html.split("<body")[0])
    static = client.get(match.group(1))
    assert static.status_code == 200
    assert b"htmx" in b"".join(static.streaming_content)


def test_home_shows_the_members_community(client):
    client.force_login(person_create(username="member", display_name="李叔叔"))
    html = client.get("/").content.decode()
    assert "幸福里社区" in html
    assert "李叔叔" in html


def test_home_links_only_to_pages_that_exist(client):
    client.force_login(person_create(username="op", is_member=False, is_staff=True))
    html = client.get("/").content.decode()
    links = set(re.findall(r'href="(/[^"]*)"', html)) - {"/static/web/linli.css"}
    assert "/admin/" in links
    for link in links:
        status = client.get(link).status_code
        assert status in (200, 302), (link, status)


def test_login_and_logout(client):
    person_create(username="member")
    response = client.post("/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "退出登录" in client.get("/").content.decode()

    assert client.get("/logout/").status_code == 405  # a link cannot log you out
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "退出登录" not in client.get("/").content.decode()


def test_wrong_password_is_explained_in_chinese(client):
    person_create(username="member")
    response = client.post("/login/", {"username": "member", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own zh-hans message


def test_lockout_after_five_failures_is_a_translated_page(client):
    person_create(username="member")
    response = lockout(client, "member")

    assert response.status_code == 429
    html = response.content.decode()
    assert "登录已暂停" in html
    assert "连续输错 5 次" in html
    assert "1 小时后再试" in html
    assert inline_code_in(html) == []
    # …and the right password does not get through while locked.
    response = client.post("/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 429


def test_lockout_page_in_english(client):
    person_create(username="member")
    client.cookies["django_language"] = "en"
    html = lockout(client, "member").content.decode()
    assert "Logging in is paused" in html
    assert "wrong 5 times in a row" in html
    assert "try again in 1 hour," in html


def test_404_is_friendly_and_echoes_nothing(client):
    response = client.get("/a-secret-marker-in-the-path/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到这个页面" in html
    assert "secret-marker" not in html


@pytest.mark.urls("tests.web.urls_boom")
def test_500_is_friendly_and_leaks_nothing():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "我们这边出了点问题" in html
    for leak in ("hunter2", "secret-internal-detail", "Traceback", "RuntimeError"):
        assert leak not in html
    assert inline_code_in(html) == []


@pytest.mark.urls("tests.web.urls_boom")
def test_403_is_friendly_and_keeps_the_reason_to_itself(client):
    response = client.get("/forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "您无法打开这个页面" in html
    assert "secret-reason" not in html


def test_csrf_failure_page(client):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/elderly-mode/", {"mode": "on", "next": "/"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "表单已过期" in html
    assert "cookie" not in html.lower()  # Django's reason ("CSRF cookie not set") stays in the log
    assert inline_code_in(html) == []
