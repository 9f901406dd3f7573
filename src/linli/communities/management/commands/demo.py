"""`linli demo`: the demo communities and people, safe to run again and again.

Creates 阳光社区 (slug `yangguang`, preset A) and 幸福社区 (slug `xingfu`, preset B) in
Shanghai, their compounds and buildings, and people with the password `linli-demo`:
`operator` (both communities), `auditor` (居委会, yangguang), members `zhang` (born 1950:
elderly mode on by default), `li`, `wang`, and `shop`, a merchant owner. Whatever exists
already is left as it is, so a second run changes nothing.

Other apps add demo data through hooks: a module in DEMO_HOOKS that exists is imported
and its function called once per demo community; it must be idempotent too.
"""

import importlib
import importlib.util
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.communities.management.commands.community import describe_error, format_table
from linli.communities.models import Building, Community, Neighbourhood, Role
from linli.communities.services import (
    building_create,
    community_create,
    neighbourhood_create,
    role_grant,
)
from linli.errors import DomainError
from linli.members.models import Member
from linli.members.selectors import member_is_senior

DEMO_PASSWORD = "linli-demo"  # noqa: S105 - printed on screen on purpose: it is a demo


@dataclass(frozen=True)
class DemoCommunity:
    slug: str
    name: str
    preset: str
    lat: Decimal
    lng: Decimal
    compounds: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    roles: dict[str, tuple[str, ...]]  # community slug -> roles
    member_of: str | None = None  # home community (a Member profile) or none
    display_name: str = ""
    birth_date: date | None = None


COMMUNITIES = (
    DemoCommunity(
        "yangguang",
        "阳光社区",
        "A",
        Decimal("31.188000"),
        Decimal("121.437000"),
        {"阳光花园": ("1号楼", "2号楼"), "阳光新村": ("3号楼", "5号楼")},
    ),
    DemoCommunity(
        "xingfu",
        "幸福社区",
        "B",
        Decimal("31.259500"),
        Decimal("121.526000"),
        {"幸福里": ("1号楼", "2号楼")},
    ),
)

PEOPLE = (
    DemoPerson("operator", {"yangguang": (Role.OPERATOR,), "xingfu": (Role.OPERATOR,)}),
    DemoPerson("auditor", {"yangguang": (Role.AUDITOR,)}),
    DemoPerson("zhang", {"yangguang": (Role.MEMBER,)}, "yangguang", "张阿姨", date(1950, 3, 15)),
    DemoPerson("li", {"yangguang": (Role.MEMBER,)}, "yangguang", "李先生", date(1982, 8, 1)),
    DemoPerson("wang", {"yangguang": (Role.MEMBER,)}, "yangguang", "王女士", date(1991, 11, 20)),
    DemoPerson(
        "shop",
        {"yangguang": (Role.MERCHANT_OWNER, Role.MEMBER)},
        "yangguang",
        "陈老板",
        date(1978, 5, 6),
    ),
)

# "module:function" called as function(community=...) for each demo community.
DEMO_HOOKS = (
    "linli.ledger.demo:load_demo_ledger",
    "linli.members.demo:load_demo_members",
    "linli.merchants.demo:load_demo_merchants",
)


class Command(BaseCommand):
    help = "Load the demo communities and people (idempotent) and print the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                communities = [_community(spec) for spec in COMMUNITIES]
                by_slug = {c.slug: c for c in communities}
                for person in PEOPLE:
                    _person(person, by_slug)
        except DomainError as exc:
            raise CommandError(describe_error(exc)) from exc
        for community in communities:
            for hook in DEMO_HOOKS:
                _run_hook(hook, community)
        self.stdout.write(_logins_table())


def _community(spec: DemoCommunity) -> Community:
    community = Community.objects.filter(slug=spec.slug).first()
    if community is None:
        community = community_create(
            name=spec.name,
            slug=spec.slug,
            preset=spec.preset,
            centre_lat=spec.lat,
            centre_lng=spec.lng,
            radius_m=1000,
            actor=None,
        )
    for compound, buildings in spec.compounds.items():
        neighbourhood = Neighbourhood.objects.filter(community=community, name=compound).first()
        if neighbourhood is None:
            neighbourhood = neighbourhood_create(community=community, name=compound, actor=None)
        for building in buildings:
            if not Building.objects.filter(neighbourhood=neighbourhood, name=building).exists():
                building_create(neighbourhood=neighbourhood, name=building, actor=None)
    return community


def _person(spec: DemoPerson, communities: dict[str, Community]) -> None:
    users = get_user_model().objects
    user = users.filter(username=spec.username).first()
    if user is None:
        user = users.create_user(username=spec.username, password=DEMO_PASSWORD)
    for slug, roles in spec.roles.items():
        for role in roles:
            role_grant(user=user, community=communities[slug], role=role, actor=None)
    if spec.member_of is not None and not Member.objects.filter(user=user).exists():
        # members has no sign-up service yet; the demo writes the profile directly.
        Member.objects.create(
            user=user,
            community=communities[spec.member_of],
            display_name=spec.display_name,
            birth_date=spec.birth_date,
        )


def _run_hook(hook: str, community: Community) -> None:
    module_name, function_name = hook.split(":")
    if importlib.util.find_spec(module_name) is None:
        return
    getattr(importlib.import_module(module_name), function_name)(community=community)


def _logins_table() -> str:
    rows = [(_("login"), _("password"), _("roles"), _("notes"))]
    for person in PEOPLE:
        roles = ", ".join(
            f"{slug}:{'+'.join(str(r) for r in role_list)}"
            for slug, role_list in person.roles.items()
        )
        note = person.display_name
        if _is_senior(person.username, today=timezone.localdate()):
            note = f"{note} · " + _("60+, elderly mode on")
        rows.append((person.username, DEMO_PASSWORD, roles, note))
    return format_table(rows)


def _is_senior(username: str, *, today: date) -> bool:
    """By the member's community policy (`senior_age_years`), as the elderly-mode default."""
    member = Member.objects.select_related("community").filter(user__username=username).first()
    return member is not None and member_is_senior(member=member, today=today)
