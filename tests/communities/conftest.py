"""Fixtures for the communities tests: a preset-A community and people with roles in it."""

import pytest

from linli.communities.models import Role
from tests.factories import make_community, make_role, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.5 s a user; these tests are not about passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def community(db):
    return make_community("A", slug="sunny")


@pytest.fixture
def operator(community):
    user = make_user("op")
    make_role(user, community, Role.OPERATOR)
    return user


@pytest.fixture
def auditor(community):
    user = make_user("jwh")  # 居委会
    make_role(user, community, Role.AUDITOR)
    return user
