"""The waiting list per trade (issue 5: a second application for a taken seat "goes to a
waiting list").

An applicant whose trade's seat is held (or already spoken for by the list) may queue:
the application is kept with status `waiting` and a `WaitingListEntry`; first come,
first served by entry id. When the seat reopens (an exit completes, a hearing replaces
the merchant, the job finds a free seat) the first in line is offered it with a deadline
(the policy's `merchant_seat_offer_days`); accepting sends the application to the
committee as usual, declining or letting the deadline pass offers the seat to the next.
One live offer per trade is a partial unique index, so two reopenings at the same moment
offer the seat once.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Community
from linli.communities.selectors import policy_in_force
from linli.merchants import errors
from linli.merchants.models import (
    ApplicationStatus,
    Industry,
    MerchantApplication,
    WaitingListEntry,
    WaitStatus,
)
from linli.merchants.selectors import seat_holder


def waitlist_join(*, application: MerchantApplication, actor: Any) -> WaitingListEntry:
    """Queue an application (already saved with status `waiting`) behind the trade's line.
    Called by `services.application_submit` inside its transaction."""
    entry = WaitingListEntry.objects.create(
        community=application.community,
        industry=application.industry,
        application=application,
    )
    audit_record(actor=actor, action="merchant.waitlist_join", target=entry, after=snapshot(entry))
    return entry


def seat_offer_next(
    *, community: Community, industry: Industry, actor: Any = None, now: datetime | None = None
) -> WaitingListEntry | None:
    """Offer a free seat to the first in line, unless it is held, already offered, or an
    accepted offer awaits the committee. The trade's row lock serialises callers; the
    partial unique index decides if anything slips past it."""
    now = now or timezone.now()
    with transaction.atomic():
        Industry.objects.select_for_update().filter(pk=industry.pk).first()
        if seat_holder(community=community, industry=industry) is not None:
            return None
        entries = WaitingListEntry.objects.filter(community=community, industry=industry)
        if (
            entries.filter(status=WaitStatus.OFFERED).exists()
            or entries.filter(
                status=WaitStatus.ACCEPTED, application__status=ApplicationStatus.PENDING
            ).exists()
        ):
            return None
        first = entries.filter(status=WaitStatus.WAITING).order_by("id").first()
        if first is None:
            return None
        offer_days = policy_in_force(community=community).merchant_seat_offer_days
        try:
            with transaction.atomic():
                # Conditional: a caller that raced us to this very entry finds it taken.
                taken = WaitingListEntry.objects.filter(
                    pk=first.pk, status=WaitStatus.WAITING
                ).update(
                    status=WaitStatus.OFFERED,
                    offered_at=now,
                    offer_expires_at=now + timedelta(days=offer_days),
                )
        except IntegrityError:
            return None  # another reopening offered the seat to someone else a moment ago
        if taken != 1:
            return None
        first.refresh_from_db()
        audit_record(
            actor=actor, action="merchant.waitlist_offer", target=first, after=snapshot(first)
        )
        _notify_offer(first)
    return first


def _notify_offer(entry: WaitingListEntry) -> None:
    from linli.members.models import Member
    from linli.members.notices import notice_send

    member = Member.objects.filter(
        user_id=entry.application.applicant_id, community_id=entry.community_id
    ).first()
    if member is not None and entry.offer_expires_at is not None:
        notice_send(
            member=member,
            kind="merchant_seat_offered",
            params={
                "trade": entry.industry.name,
                "until": timezone.localtime(entry.offer_expires_at).strftime("%Y-%m-%d %H:%M"),
            },
        )


def _own_entry(entry: WaitingListEntry, actor: Any) -> WaitingListEntry:
    current = (
        WaitingListEntry.objects.select_for_update()
        .select_related("application", "industry", "community")
        .get(pk=entry.pk)
    )
    if current.application.applicant_id != getattr(actor, "id", None):
        raise errors.NoOffer()
    return current


def waitlist_accept(
    *, entry: WaitingListEntry, actor: Any, now: datetime | None = None
) -> WaitingListEntry:
    """The applicant takes the offered seat before the deadline: the application goes to
    the committee for review (`pending`), as any application for a free seat."""
    now = now or timezone.now()
    with transaction.atomic():
        current = _own_entry(entry, actor)
        if current.status != WaitStatus.OFFERED or current.offer_expires_at is None:
            raise errors.NoOffer()
        if now > current.offer_expires_at:
            raise errors.OfferExpired()
        before = snapshot(current)
        current.status = WaitStatus.ACCEPTED
        current.answered_at = now
        current.save(update_fields=["status", "answered_at"])
        MerchantApplication.objects.filter(pk=current.application_id).update(
            status=ApplicationStatus.PENDING, submitted_at=now
        )
        audit_record(
            actor=actor,
            action="merchant.waitlist_accept",
            target=current,
            before=before,
            after=snapshot(current),
        )
    return current


def waitlist_leave(
    *, entry: WaitingListEntry, actor: Any, now: datetime | None = None
) -> WaitingListEntry:
    """The applicant declines an offer or leaves the line; an offer moves to the next."""
    now = now or timezone.now()
    with transaction.atomic():
        current = _own_entry(entry, actor)
        if current.status not in (WaitStatus.WAITING, WaitStatus.OFFERED):
            raise errors.NoOffer()
        was_offered = current.status == WaitStatus.OFFERED
        _close(current, WaitStatus.DECLINED if was_offered else WaitStatus.WITHDRAWN, now, actor)
        if was_offered:
            seat_offer_next(
                community=current.community, industry=current.industry, actor=actor, now=now
            )
    return current


def _close(entry: WaitingListEntry, status: str, now: datetime, actor: Any) -> None:
    before = snapshot(entry)
    entry.status = status
    entry.answered_at = now
    entry.save(update_fields=["status", "answered_at"])
    MerchantApplication.objects.filter(pk=entry.application_id).update(
        status=ApplicationStatus.WITHDRAWN, decided_at=now
    )
    audit_record(
        actor=actor,
        action=f"merchant.waitlist_{status}",
        target=entry,
        before=before,
        after=snapshot(entry),
    )


def waitlist_advance(*, now: datetime | None = None) -> int:
    """A job: offers past their deadline lapse, and every free seat with people in line is
    offered to the first of them. Returns how many offers were made."""
    now = now or timezone.now()
    for expired in WaitingListEntry.objects.filter(
        status=WaitStatus.OFFERED, offer_expires_at__lt=now
    ):
        with transaction.atomic():
            current = WaitingListEntry.objects.select_for_update().get(pk=expired.pk)
            if current.status == WaitStatus.OFFERED:
                _close(current, WaitStatus.LAPSED, now, None)
    offered = 0
    trades = (
        WaitingListEntry.objects.filter(status=WaitStatus.WAITING)
        .values_list("community_id", "industry_id")
        .distinct()
    )
    for community_id, industry_id in list(trades):
        industry = Industry.objects.select_related("community").get(pk=industry_id)
        if industry.community_id != community_id:
            continue
        if seat_offer_next(community=industry.community, industry=industry, now=now):
            offered += 1
    return offered
