"""Fixtures for the members tests: a community with a charter, people, helpers."""

import re
from datetime import date

import pytest

from linli.communities.models import Role
from linli.members.identity import id_check_char
from linli.members.services import charter_publish, member_register, sms_code_request
from tests.factories import make_community, make_role, make_user

_phones = iter(range(10_000_000, 99_999_999))


def valid_id(birth: date = date(1980, 5, 17), area: str = "110105", seq: str = "123") -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq}"
    return first17 + id_check_char(first17)


def next_phone() -> str:
    return f"139{next(_phones)}"


def code_for(phone: str, community=None) -> str:
    """Request a code and read it back from the console backend's record."""

    sms_code_request(phone=phone, ip=None, community=community)
    return code_for_latest()


def code_for_latest() -> str:
    from linli.members.models import ConsoleSms

    text = ConsoleSms.objects.order_by("-id").first().text
    return re.search(r"(?<!\d)\d{6}(?!\d)", text).group(0)


def join(community, phone: str | None = None, code: str | None = None, **extra):
    phone = phone or next_phone()
    code = code or code_for(phone, community)
    arguments = {"display_name": "邻居", "accepts_terms": True} | extra
    return member_register(community=community, phone=phone, code=code, **arguments)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")


@pytest.fixture
def community(db):
    community = make_community("A")
    charter_publish(community=community, body="会员章程 v1：7天无理由全额退款。", actor=None)
    return community


@pytest.fixture
def community_b(db):
    community = make_community("B")
    charter_publish(community=community, body="会员章程 v1", actor=None)
    return community


@pytest.fixture
def operator(community):
    user = make_user()
    make_role(user, community, Role.OPERATOR)
    return user
