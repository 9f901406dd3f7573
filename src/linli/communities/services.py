"""Writes of the communities app: one function per use case, each audited, each atomic.

Permission checks happen at the boundary (API, pages, CLI) through
`selectors.community_get_for_actor`; `actor` here is who gets recorded (None = the system,
e.g. a command run by the platform's administrator).
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.audit import audit_record, snapshot
from linli.communities.errors import (
    CommunityInvalid,
    GeographyInvalid,
    LastOperator,
    NameTaken,
    PolicyConflict,
    PolicyInvalid,
    PolicyMissing,
    RoleInvalid,
    SlugTaken,
    UnknownPreset,
)
from linli.communities.models import (
    Building,
    Community,
    CommunityRole,
    Neighbourhood,
    PolicyVersion,
    Role,
    policy_setting_names,
)
from linli.communities.presets import PRESETS
from linli.communities.selectors import policy_latest
from linli.errors import NotFound

# A policy may not start in the past (it would re-rate postings already made), give or
# take a minute of clock skew between the client and us.
POLICY_PAST_TOLERANCE = timedelta(seconds=60)
POLICY_FUTURE_MAX = timedelta(days=3653)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,49}$")
REASON_MAX_LENGTH = 2000
COORDINATE_STEP = Decimal("0.000001")


def _person(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            name: [str(m) for e in errs for m in e.messages]
            for name, errs in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


def _coordinate(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise CommunityInvalid(fields={name: [str(_("not a number"))]}) from exc
    if not number.is_finite():
        raise CommunityInvalid(fields={name: [str(_("not a number"))]})
    return number.quantize(COORDINATE_STEP)


def community_create(
    *,
    name: str,
    slug: str,
    preset: str,
    centre_lat: Decimal | float | str,
    centre_lng: Decimal | float | str,
    radius_m: int = 1000,
    actor: Any,
) -> Community:
    """Open a community with policy v1 from a preset (SPEC capability 1; A§2.2 1 km radius)."""
    if preset not in PRESETS:
        raise UnknownPreset(preset=preset)
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise CommunityInvalid(fields={"slug": [str(_("2–50 of a-z, 0-9 and “-”"))]})
    if isinstance(radius_m, bool) or not isinstance(radius_m, int):
        raise CommunityInvalid(fields={"radius_m": [str(_("not a whole number of metres"))]})
    community = Community(
        name=(name or "").strip(),
        slug=slug,
        centre_lat=_coordinate(centre_lat, "centre_lat"),
        centre_lng=_coordinate(centre_lng, "centre_lng"),
        radius_m=radius_m,
    )
    try:
        community.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise CommunityInvalid(fields=_messages(exc)) from exc
    if Community.objects.filter(slug=slug).exists():
        raise SlugTaken(slug=slug)
    policy = PolicyVersion(**PRESETS[preset])
    with transaction.atomic():
        try:
            with transaction.atomic():
                community.save()
        except IntegrityError as exc:  # a concurrent create took the slug since the check
            raise SlugTaken(slug=slug) from exc
        policy.community = community
        policy.number = 1
        policy.effective_from = community.created_at
        policy.created_by = _person(actor)
        policy.preset = preset
        policy.reason = f"preset {preset}"
        # Presets are tested against every constraint (tests/communities/test_presets.py)
        # and the database checks them again on insert; fields are enough here.
        _validate_policy(policy, constraints=False)
        policy.save()
        audit_record(
            actor=actor, action="community.create", target=community, after=snapshot(community)
        )
        audit_record(actor=actor, action="policy.create", target=policy, after=snapshot(policy))
    return community


COMMUNITY_EDITABLE = ("name", "centre_lat", "centre_lng", "radius_m")


def community_update(*, community: Community, changes: dict[str, Any], actor: Any) -> Community:
    """Rename a community or move its centre/radius (SPEC capability 1); the slug stays."""
    unknown = sorted(set(changes) - set(COMMUNITY_EDITABLE))
    if unknown:
        raise CommunityInvalid(fields={name: [str(_("cannot be changed"))] for name in unknown})
    with transaction.atomic():
        current = Community.objects.select_for_update().get(pk=community.pk)
        before = snapshot(current)
        for name, value in changes.items():
            if name in ("centre_lat", "centre_lng"):
                value = _coordinate(value, name)
            elif name == "name":
                value = str(value).strip()
            setattr(current, name, value)
        try:
            current.full_clean(validate_unique=False, validate_constraints=False)
        except (ValidationError, TypeError, ValueError) as exc:
            detail = _messages(exc) if isinstance(exc, ValidationError) else {}
            raise CommunityInvalid(fields=detail) from exc
        current.save(update_fields=[*changes])
        audit_record(
            actor=actor,
            action="community.update",
            target=current,
            before=before,
            after=snapshot(current),
        )
    return current


# --- policy versions ------------------------------------------------------------------


def _policy_fields() -> dict[str, models.Field]:
    return {name: PolicyVersion._meta.get_field(name) for name in policy_setting_names()}  # type: ignore[misc]


def _type_problem(field: models.Field, value: Any) -> str | None:
    """Strict JSON types: no 1.5 silently becoming 1, no "true" becoming True."""
    if value is None:
        return None if field.null else str(_("may not be empty"))
    if isinstance(field, models.BooleanField):
        return None if isinstance(value, bool) else str(_("must be true or false"))
    if isinstance(field, models.IntegerField):
        return None if type(value) is int else str(_("must be a whole number"))
    if isinstance(field, models.CharField):
        return None if isinstance(value, str) else str(_("must be text"))
    return str(_("cannot be set"))


def _check_changes(changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise PolicyInvalid(fields={"changes": [str(_("no settings to change"))]})
    fields = _policy_fields()
    problems: dict[str, list[str]] = {}
    for name, value in changes.items():
        field = fields.get(name)
        problem = str(_("unknown setting")) if field is None else _type_problem(field, value)
        if problem is not None:
            problems[str(name)] = [problem]
    if problems:
        raise PolicyInvalid(fields=problems)
    return changes


def _validate_policy(policy: PolicyVersion, *, constraints: bool = True) -> None:
    """Field validators and the CheckConstraints, before touching the table."""
    try:
        policy.full_clean(
            exclude=["community", "created_by"],
            validate_unique=False,
            validate_constraints=constraints,
        )
    except ValidationError as exc:
        raise PolicyInvalid(fields=_messages(exc)) from exc


def _check_effective_from(effective_from: datetime, *, now: datetime) -> None:
    if not isinstance(effective_from, datetime) or timezone.is_naive(effective_from):
        raise PolicyInvalid(fields={"effective_from": [str(_("needs a date, a time and a zone"))]})
    try:
        effective_from.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:59-14:00 is past the end of time in UTC
        raise PolicyInvalid(fields={"effective_from": [str(_("out of range"))]}) from exc
    if effective_from < now - POLICY_PAST_TOLERANCE:
        raise PolicyInvalid(fields={"effective_from": [str(_("may not be in the past"))]})
    if effective_from > now + POLICY_FUTURE_MAX:
        raise PolicyInvalid(fields={"effective_from": [str(_("more than ten years ahead"))]})


def _check_reason(reason: Any) -> str:
    cleaned = reason.strip() if isinstance(reason, str) else ""
    if not cleaned or len(cleaned) > REASON_MAX_LENGTH or "\x00" in cleaned:
        problem = _("1–%(max)s characters") % {"max": REASON_MAX_LENGTH}
        raise PolicyInvalid(fields={"reason": [str(problem)]})
    return cleaned


def _policy_successor(
    *, latest: PolicyVersion, changes: dict[str, Any], effective: datetime
) -> PolicyVersion:
    """`latest` with `changes` applied, unsaved; rejects a no-op and a step back in time."""
    if effective < latest.effective_from:
        problem = str(_("before version %(number)s takes effect") % {"number": latest.number})
        raise PolicyInvalid(fields={"effective_from": [problem]})
    if all(getattr(latest, name) == value for name, value in changes.items()):
        raise PolicyInvalid(fields={"changes": [str(_("nothing differs from the newest version"))]})
    policy = PolicyVersion(**{name: getattr(latest, name) for name in policy_setting_names()})
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.community_id = latest.community_id
    policy.number = latest.number + 1
    policy.effective_from = effective
    policy.preset = latest.preset
    return policy


def policy_version_create(
    *,
    community: Community,
    changes: dict[str, Any],
    effective_from: datetime | None = None,
    actor: Any,
    reason: str,
) -> PolicyVersion:
    """A new policy version: the newest one with `changes` applied, number + 1 (SPEC Policy).

    Versions are never edited; a rule change is a new version from `effective_from` on
    (default: now; a time up to a minute ago counts as now). Effective times never go
    backwards, so "the version in force" is unambiguous; the copy starts from the newest
    version, including a scheduled one.
    """
    now = timezone.now()
    effective = effective_from if effective_from is not None else now
    _check_effective_from(effective, now=now)
    _check_changes(changes)
    reason = _check_reason(reason)
    try:
        with transaction.atomic():
            # One writer per community at a time, so numbers stay gapless and ordered.
            Community.objects.select_for_update().filter(pk=community.pk).first()
            latest = policy_latest(community=community)
            if latest is None:
                raise PolicyMissing()
            # "Now", or a moment ago within the tolerance, means the time we hold the lock:
            # a version never starts in the past, nor before one committed just ahead of it.
            effective = max(effective, timezone.now())
            policy = _policy_successor(latest=latest, changes=changes, effective=effective)
            policy.created_by = _person(actor)
            policy.reason = reason
            _validate_policy(policy)
            policy.save()
            audit_record(
                actor=actor,
                action="policy.create",
                target=policy,
                community=community,
                before={"number": latest.number, **{n: getattr(latest, n) for n in changes}},
                after={"number": policy.number, "effective_from": effective, **changes},
            )
    except IntegrityError as exc:  # the unique (community, number) caught a race
        raise PolicyConflict() from exc
    return policy


# --- geography ------------------------------------------------------------------------


def _clean_name(name: Any, *, max_length: int) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > max_length or "\x00" in cleaned:
        raise GeographyInvalid()
    return cleaned


def neighbourhood_create(*, community: Community, name: str, actor: Any) -> Neighbourhood:
    """A compound (小区) in a community; volunteers nearby are matched first (A§2.3)."""
    cleaned = _clean_name(name, max_length=100)
    if Neighbourhood.objects.filter(community=community, name=cleaned).exists():
        raise NameTaken(name=cleaned)
    try:
        with transaction.atomic():
            neighbourhood = Neighbourhood.objects.create(community=community, name=cleaned)
            audit_record(
                actor=actor,
                action="neighbourhood.create",
                target=neighbourhood,
                after=snapshot(neighbourhood),
            )
    except IntegrityError as exc:
        raise NameTaken(name=cleaned) from exc
    return neighbourhood


def building_create(*, neighbourhood: Neighbourhood, name: str, actor: Any) -> Building:
    """A building (楼栋) in a compound; it inherits the compound's community."""
    cleaned = _clean_name(name, max_length=50)
    if Building.objects.filter(neighbourhood=neighbourhood, name=cleaned).exists():
        raise NameTaken(name=cleaned)
    try:
        with transaction.atomic():
            building = Building.objects.create(
                community_id=neighbourhood.community_id, neighbourhood=neighbourhood, name=cleaned
            )
            audit_record(
                actor=actor,
                action="building.create",
                target=building,
                community=neighbourhood.community,
                after=snapshot(building),
            )
    except IntegrityError as exc:
        raise NameTaken(name=cleaned) from exc
    return building


# --- roles ----------------------------------------------------------------------------


def role_grant(*, user: Any, community: Community, role: str, actor: Any) -> CommunityRole:
    """Give `user` a role in `community` (SPEC People). Granting a held role changes nothing."""
    if role not in Role.values:
        raise RoleInvalid(role=role)
    existing = CommunityRole.objects.filter(user=user, community=community, role=role).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        grant = CommunityRole.objects.create(
            user=user, community=community, role=role, granted_by=_person(actor)
        )
        audit_record(actor=actor, action="role.grant", target=grant, after=snapshot(grant))
    return grant


def role_revoke(*, user: Any, community: Community, role: str, actor: Any) -> None:
    """Take a role away; the last operator of a community cannot be removed."""
    if role not in Role.values:
        raise RoleInvalid(role=role)
    with transaction.atomic():
        # Lock the community so two operators cannot revoke each other at once.
        Community.objects.select_for_update().filter(pk=community.pk).first()
        grant = CommunityRole.objects.filter(user=user, community=community, role=role).first()
        if grant is None:
            raise NotFound()
        if role == Role.OPERATOR:
            operators = CommunityRole.objects.filter(community=community, role=Role.OPERATOR)
            if operators.count() <= 1:
                raise LastOperator()
        before = snapshot(grant)
        audit_record(actor=actor, action="role.revoke", target=grant, before=before)
        grant.delete()
