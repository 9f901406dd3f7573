"""Reads of the communities app. Access checks for a community live in one place here."""

import re
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.communities.errors import PolicyMissing
from linli.communities.models import AuditEntry, Community, PolicyVersion
from linli.communities.permissions import require_permission
from linli.errors import NotFound

PAGE_LIMIT_MAX = 100
# What a SlugField can hold; anything else (NUL bytes, slashes, 1 000 characters) cannot
# name a community, and PostgreSQL would reject a NUL in the query with a 500.
_SLUG_SHAPE = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def slug_is_valid(slug: Any) -> bool:
    """Can `slug` name a community at all (checked before it reaches a query)?"""
    return isinstance(slug, str) and _SLUG_SHAPE.fullmatch(slug) is not None


def community_get(*, slug: str) -> Community:
    """A community by its slug, for public pages and endpoints (communities are public)."""
    if not slug_is_valid(slug):
        raise NotFound()
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise NotFound()
    return community


def community_get_for_actor(*, slug: str, actor: Any, action: str = "community.view") -> Community:
    """A community the actor may perform `action` in: NotFound, else Forbidden, else it."""
    community = community_get(slug=slug)
    require_permission(user=actor, community=community, action=action)
    return community


def community_list(*, limit: int = 20, offset: int = 0) -> tuple[list[Community], int]:
    """One page of communities (at most PAGE_LIMIT_MAX) and the total count."""
    limit = max(1, min(limit, PAGE_LIMIT_MAX))
    offset = max(0, offset)
    queryset = Community.objects.order_by("id")
    return list(queryset[offset : offset + limit]), queryset.count()


def policy_current(*, community: Community, at: datetime | None = None) -> PolicyVersion | None:
    """The version in force at `at` (default now): the latest whose effective_from ≤ at.

    None when the community has no version yet at that time (communities made outside
    `community_create`, e.g. in ledger tests). Use `policy_in_force` to require one.
    """
    moment = at if at is not None else timezone.now()
    return (
        PolicyVersion.objects.filter(community=community, effective_from__lte=moment)
        .order_by("-effective_from", "-number")
        .first()
    )


def policy_current_id(*, community: Community, at: datetime | None = None) -> int | None:
    """The id of `policy_current`, in one narrow query: every ledger posting asks for it."""
    moment = at if at is not None else timezone.now()
    return (
        PolicyVersion.objects.filter(community=community, effective_from__lte=moment)
        .order_by("-effective_from", "-number")
        .values_list("id", flat=True)
        .first()
    )


def policy_in_force(*, community: Community, at: datetime | None = None) -> PolicyVersion:
    """Like `policy_current`, but a missing policy is a domain error (404 policy_missing)."""
    policy = policy_current(community=community, at=at)
    if policy is None:
        raise PolicyMissing()
    return policy


def policy_latest(*, community: Community) -> PolicyVersion | None:
    """The newest version, which may be scheduled for the future."""
    return PolicyVersion.objects.filter(community=community).order_by("-number").first()


def policy_history(*, community: Community) -> QuerySet[PolicyVersion]:
    """Every version, oldest first (the published rule history)."""
    return PolicyVersion.objects.filter(community=community).order_by("number")


def audit_page(
    *, community: Community, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    """One page of a community's audit log, newest first, and the total count."""
    limit = max(1, min(limit, PAGE_LIMIT_MAX))
    offset = max(0, offset)
    queryset = AuditEntry.objects.filter(community=community).order_by("-id")
    return list(queryset[offset : offset + limit]), queryset.count()
