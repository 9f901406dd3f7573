"""The audit log: one append-only row per thing a person (or the system) did (Zulip-style).

Every service that changes something calls `audit_record` inside its transaction, so the
row commits or rolls back with the change. The API and pages may set the caller's IP for
the duration of a request with `audit_ip(...)`; services never need to know it.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models

from linli.communities.models import AuditEntry, Community

_request_ip: ContextVar[str | None] = ContextVar("linli_audit_ip", default=None)

ACTION_MAX_LENGTH = 64


@contextmanager
def audit_ip(ip: str | None) -> Iterator[None]:
    """Record `ip` on every audit row written inside the block."""
    token = _request_ip.set(ip or None)
    try:
        yield
    finally:
        _request_ip.reset(token)


def snapshot(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The row's own column values (foreign keys as ids), for `before` and `after`."""
    skipped = set(exclude)
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.name not in skipped and field.attname not in skipped
    }


def _community_of(target: models.Model) -> Community | None:
    if isinstance(target, Community):
        return target
    community = getattr(target, "community", None)
    return community if isinstance(community, Community) else None


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    community: Community | None = None,
) -> AuditEntry:
    """Append one audit row. `community` defaults to the target's own community."""
    if not action or len(action) > ACTION_MAX_LENGTH:
        raise ValueError(f"audit action must be 1..{ACTION_MAX_LENGTH} characters")
    if target.pk is None:
        raise ValueError("audit target must be saved first")
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        community=community if community is not None else _community_of(target),
        actor=actor if is_person else None,
        actor_label=actor.get_username() if is_person else "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        before=before,
        after=after,
        ip=_request_ip.get(),
    )
