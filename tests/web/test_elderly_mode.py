"""长辈版: on by default for members aged 60+, one tap away for anyone (SPEC "Feel native")."""

import pytest
from django.utils import timezone

from linli.members.models import Member
from tests.web.people import person_create, years_ago

pytestmark = pytest.mark.django_db


def body_class(response) -> str:
    html = response.content.decode()
    start = html.index("<body")
    tag = html[start : html.index(">", start)]
    return tag.split('class="', 1)[1].split('"', 1)[0]


def is_elderly(response) -> bool:
    return "elderly" in body_class(response).split()


def test_anonymous_visitor_sees_standard_mode(client):
    assert not is_elderly(client.get("/"))


@pytest.mark.parametrize(
    ("years", "days_later", "chosen", "expected"),
    [
        (59, 0, None, False),  # 59 today
        (60, 1, None, False),  # turns 60 tomorrow
        (60, 0, None, True),  # 60 today
        (82, 0, None, True),
        (82, 0, False, False),  # a senior who chose the standard mode
        (45, 0, True, True),  # anyone may choose 长辈版
    ],
)
def test_default_follows_age_unless_the_member_chose(client, years, days_later, chosen, expected):
    born = years_ago(years=years, today=timezone.localdate(), days_later=days_later)
    user = person_create(username="member", birth_date=born, prefers_elderly_mode=chosen)
    client.force_login(user)

    assert is_elderly(client.get("/")) is expected


def test_member_without_birth_date_gets_standard_mode(client):
    client.force_login(person_create(username="nobirth", birth_date=None))
    assert not is_elderly(client.get("/"))


def test_staff_without_member_profile_gets_standard_mode(client):
    client.force_login(person_create(username="operator", is_member=False, is_staff=True))
    assert not is_elderly(client.get("/"))


def test_anyone_can_switch_on_and_off_and_returns_to_next(client):
    response = client.post("/elderly-mode/", {"mode": "on", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert is_elderly(client.get("/login/"))
    assert is_elderly(client.get("/"))

    client.post("/elderly-mode/", {"mode": "off", "next": "/"})
    assert not is_elderly(client.get("/"))


def test_member_choice_is_saved_on_the_member(client):
    born = years_ago(years=70, today=timezone.localdate())
    user = person_create(username="senior", birth_date=born)
    client.force_login(user)
    assert is_elderly(client.get("/"))

    client.post("/elderly-mode/", {"mode": "off", "next": "/"})

    assert Member.objects.get(user=user).prefers_elderly_mode is False
    assert not is_elderly(client.get("/"))
    # …and it follows the member to a new device (a fresh session).
    client.logout()
    client.force_login(user)
    assert not is_elderly(client.get("/"))


def test_choice_made_before_login_carries_into_the_session(client):
    client.post("/elderly-mode/", {"mode": "on", "next": "/login/"})
    client.force_login(person_create(username="younger", birth_date=None))
    assert is_elderly(client.get("/"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_unsafe_or_missing_next_goes_home(client, target):
    response = client.post("/elderly-mode/", {"mode": "on", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switch_needs_post(client):
    assert client.get("/elderly-mode/?mode=on").status_code == 405
    assert not is_elderly(client.get("/"))
