"""Fixtures for the merchant alliance: a preset-A community with its taxonomy and people."""

import pytest

from linli.communities.models import Role
from linli.merchants.services import industries_ensure
from tests.factories import make_community, make_member, make_role, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def community(db):
    community = make_community("A", slug="sunny")
    industries_ensure(community=community)
    return community


@pytest.fixture
def operator(community):
    user = make_user("op")
    make_role(user, community, Role.OPERATOR)
    return user


@pytest.fixture
def auditor(community):
    user = make_user("jwh")
    make_role(user, community, Role.AUDITOR)
    return user


@pytest.fixture
def resident(community):
    return make_member(community, "resident").user
