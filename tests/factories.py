"""Shared test factories: plain functions, no factory_boy. Import them from any test app.

They go through the real services where one exists, so the objects they return look like
production ones (a community always has policy v1; roles are audited). Names are unique
per test run, so two calls never collide; pass your own to make a test read better.
"""

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from linli.communities.models import Community, CommunityRole, Role
from linli.communities.services import community_create, role_grant
from linli.members.models import Member

_serial = itertools.count(1)


def _next() -> int:
    return next(_serial)


def make_community(preset: str = "A", slug: str | None = None, **overrides: Any) -> Community:
    """A community in Shanghai with policy v1 from `preset` ("A" or "B").

    `overrides` go to `community_create` (name, centre_lat, centre_lng, radius_m, actor).
    """
    slug = slug or f"test-{_next()}"
    arguments: dict[str, Any] = {
        "name": f"测试社区 {slug}",
        "centre_lat": Decimal("31.230416"),
        "centre_lng": Decimal("121.473701"),
        "radius_m": 1000,
        "actor": None,
    }
    arguments.update(overrides)
    return community_create(slug=slug, preset=preset, **arguments)


def make_user(username: str | None = None, password: str = "pw", **extra: Any) -> Any:
    """An active user (not staff, not superuser unless `extra` says so)."""
    username = username or f"user{_next()}"
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def make_member(
    community: Community,
    username: str | None = None,
    birth_date: date | None = None,
    *,
    password: str = "pw",
    display_name: str | None = None,
) -> Member:
    """A resident of `community`: user + Member profile + the `member` role.

    `birth_date` decides elderly mode (60+ → on by default); the user is `member.user`.
    """
    user = make_user(username, password=password)
    member = Member.objects.create(
        user=user,
        community=community,
        display_name=display_name or user.get_username(),
        birth_date=birth_date,
    )
    role_grant(user=user, community=community, role=Role.MEMBER, actor=None)
    return member


def make_role(user: Any, community: Community, role: str) -> CommunityRole:
    """Give `user` a role ("operator", "auditor", "member", "merchant_owner", "cashier")."""
    return role_grant(user=user, community=community, role=role, actor=None)


# Inside the community's 1 km radius (make_community's centre is 31.230416, 121.473701).
SHOP_LAT, SHOP_LNG = Decimal("31.231000"), Decimal("121.474000")


def make_merchant(
    community: Community,
    industry_code: str = "fruit",
    username: str | None = None,
    *,
    name: str | None = None,
    admit: bool = True,
) -> Any:
    """A member who applies for an industry seat and (unless `admit=False`) is admitted by
    an operator through the real services: fee and deposit are posted. Returns the
    Merchant, or the MerchantApplication when not admitted."""
    from linli.merchants.models import Industry
    from linli.merchants.services import application_submit, industries_ensure, merchant_admit

    industries_ensure(community=community)
    owner = make_member(community, username).user
    serial = _next()
    application = application_submit(
        community=community,
        applicant=owner,
        industry=Industry.objects.get(community=community, code=industry_code),
        business_name=name or f"{industry_code} 店 {serial}",
        licence_no=f"91310000MA{serial:08d}",
        address="幸福路 1 号",
        lat=SHOP_LAT,
        lng=SHOP_LNG,
        contact_phone="13800000000",
        exclusivity_accepted=True,
    )
    if not admit:
        return application
    return merchant_admit(application=application, actor=None)
