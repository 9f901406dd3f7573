"""Who a family package covers (issue 4 "family package … share benefits and a household
card"; issue 6 "Household cards for family packages").

The holder (the member who paid the family package) invites residents of the same flat;
each invited resident confirms on their own login, because being covered shares their
masked name and card status with the holder (PIPL: their own consent). The package covers
the holder plus `family_package_max_members - 1` others; a pending invitation holds a
place, so confirmations can never take the package over its size. Residents who had
declared the same flat when the package was paid are covered at payment (they gave the
"building and flat" consent at joining), which keeps the package useful from day one.

Each covered member keeps their own card and wallet (commerce/household.py): the till sees
the right masked name, per-person limits and caps apply, and cash-back goes to the member
who bought.

A renewal (the holder's next family package for the same flat, paid up to 60 days before
the running one ends) starts with the running package's covers *and* open invitations, and
until it starts, every invitation, answer and removal on the running package is written to
the renewal too (`_follow`): the household on the day the renewal starts is the household
on the day before, not the one on the day it was paid. An invitation must fit both.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.communities.audit import audit_record, snapshot
from linli.members.errors import CoverNotPending, FamilyFull, HouseholdMemberInvalid
from linli.members.models import (
    CoverStatus,
    HouseholdCover,
    Member,
    Membership,
    MembershipPlan,
    MembershipStatus,
)
from linli.members.notices import notice_send
from linli.members.selectors import family_package_held

HOLDING_A_PLACE = (CoverStatus.INVITED, CoverStatus.COVERED)


def places_of(membership: Membership) -> int:
    """How many members besides the holder the package may cover (policy at purchase)."""
    return max(0, membership.policy.family_package_max_members - 1)


def flat_of(package: Membership) -> int:
    """The package's flat (a family package always has one; 0 matches nobody)."""
    return package.household_id or 0


def places_taken(package: Membership) -> int:
    """Invited or covered members still living in the flat (a member who closed their
    account or moved out gives the place back)."""
    return HouseholdCover.objects.filter(
        membership=package,
        status__in=HOLDING_A_PLACE,
        member__closed_at__isnull=True,
        member__household_id=flat_of(package),
    ).count()


def _previous_package(membership: Membership) -> Membership | None:
    """The holder's latest earlier paid family package for the same flat."""
    return (
        Membership.objects.filter(
            member_id=membership.member_id,
            plan=MembershipPlan.FAMILY,
            household_id=flat_of(membership),
            paid_at__isnull=False,
            pk__lt=membership.pk,
        )
        .order_by("-pk")
        .first()
    )


def _carried_covers(previous: Membership) -> list[HouseholdCover]:
    """The previous package's covers and open invitations of members still living in the
    flat: covered first, then invited, each in invitation order."""
    holding = HouseholdCover.objects.filter(
        membership=previous,
        status__in=HOLDING_A_PLACE,
        member__closed_at__isnull=True,
        member__household_id=flat_of(previous),
    )
    return sorted(holding, key=lambda c: (c.status != CoverStatus.COVERED, c.id))


def covers_seed(*, membership: Membership, now: datetime) -> list[HouseholdCover]:
    """At payment: a renewal carries the holder's previous package's covers and open
    invitations (see the module's renewal rule; whom the holder removed stays removed); a
    first package covers the flat's earliest residents. Up to the package's size. Called
    once by fee activation."""
    if membership.plan != MembershipPlan.FAMILY or membership.household_id is None:
        return []
    previous = _previous_package(membership)
    if previous is not None:
        return [
            HouseholdCover.objects.create(
                community_id=membership.community_id,
                membership=membership,
                member_id=cover.member_id,
                status=cover.status,
                covered_once=cover.covered_once,
                invited_at=cover.invited_at,
                decided_at=cover.decided_at,
            )
            for cover in _carried_covers(previous)[: places_of(membership)]
        ]
    ids = list(
        Member.objects.filter(household_id=membership.household_id, closed_at__isnull=True)
        .exclude(pk=membership.member_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [
        HouseholdCover.objects.create(
            community_id=membership.community_id,
            membership=membership,
            member_id=member_id,
            status=CoverStatus.COVERED,
            covered_once=True,
            invited_at=now,
            decided_at=now,
        )
        for member_id in ids[: places_of(membership)]
    ]


def renewals_of(package: Membership) -> list[Membership]:
    """The holder's paid family packages for the same flat that start when (or after)
    `package` ends: its renewal, locked in id order (after the package's own row)."""
    return list(
        Membership.objects.select_for_update()
        .filter(
            member_id=package.member_id,
            plan=MembershipPlan.FAMILY,
            household_id=flat_of(package),
            status=MembershipStatus.ACTIVE,
            starts_on__gte=package.ends_on,
        )
        .exclude(pk=package.pk)
        .order_by("id")
    )


def _follow(cover: HouseholdCover, renewals: list[Membership]) -> None:
    """Write a cover's state to the same member's cover on each renewal."""
    for renewal in renewals:
        HouseholdCover.objects.update_or_create(
            membership=renewal,
            member_id=cover.member_id,
            defaults={
                "community_id": cover.community_id,
                "status": cover.status,
                "invited_at": cover.invited_at,
                "decided_at": cover.decided_at,
                "removed_at": cover.removed_at,
                "covered_once": cover.covered_once,
            },
        )


def _has_place(package: Membership, member: Member) -> bool:
    """A place for `member` on the package: they hold one already, or one is free."""
    holding = HouseholdCover.objects.filter(
        membership=package, member=member, status__in=HOLDING_A_PLACE
    ).exists()
    return holding or places_taken(package) < places_of(package)


def _resident(*, package: Membership, member_id: Any) -> Member:
    """A resident of the package's flat other than the holder; anyone else is "not found"
    (no hint whether the id exists in another flat or community)."""
    if not isinstance(member_id, int) or isinstance(member_id, bool) or member_id < 1:
        raise HouseholdMemberInvalid()
    resident = Member.objects.filter(
        pk=member_id,
        community_id=package.community_id,
        household_id=flat_of(package),
        closed_at__isnull=True,
    ).first()
    if resident is None or resident.pk == package.member_id:
        raise HouseholdMemberInvalid()
    return resident


def _locked_package(holder: Member, now: datetime) -> Membership:
    package = family_package_held(member=holder, today=timezone.localdate(now))
    # The package row is the lock that serialises invitations, answers and removals.
    # (Only this row: a join would lock the shared policy row for every household.)
    return Membership.objects.select_for_update().get(pk=package.pk)


def cover_invite(*, holder: Member, member_id: Any, now: datetime | None = None) -> HouseholdCover:
    """The holder invites a resident of the flat; they are covered once they confirm.
    Inviting someone already invited or covered returns that row (a retry is harmless)."""
    now = now or timezone.now()
    with transaction.atomic():
        package = _locked_package(holder, now)
        resident = _resident(package=package, member_id=member_id)
        cover = HouseholdCover.objects.filter(membership=package, member=resident).first()
        if cover is not None and cover.status in HOLDING_A_PLACE:
            return cover
        renewals = renewals_of(package)
        if not all(_has_place(p, resident) for p in [package, *renewals]):
            raise FamilyFull()
        before = snapshot(cover) if cover is not None else None
        if cover is None:
            cover = HouseholdCover(community_id=package.community_id, membership=package)
            cover.member = resident
        cover.status, cover.invited_at = CoverStatus.INVITED, now
        cover.decided_at = cover.removed_at = None
        cover.save()
        _follow(cover, renewals)
        audit_record(
            actor=holder.user,
            action="household.invite",
            target=cover,
            before=before,
            after=snapshot(cover),
        )
        notice_send(member=resident, kind="household_invited", params={})
    return cover


def cover_answer(
    *, member: Member, cover_id: Any, accept: bool, now: datetime | None = None
) -> HouseholdCover:
    """The invited member accepts or declines on their own login. Accepting twice returns
    the same row; an answer to an invitation that is not theirs or not open is refused."""
    now = now or timezone.now()
    if not isinstance(cover_id, int) or isinstance(cover_id, bool) or cover_id < 1:
        raise CoverNotPending()
    with transaction.atomic():
        package_id = (
            HouseholdCover.objects.filter(pk=cover_id, member=member)
            .values_list("membership_id", flat=True)
            .first()
        )
        if package_id is None:
            raise CoverNotPending()
        # The package row first, as invitations and removals do: then its renewal's rows.
        Membership.objects.select_for_update().filter(pk=package_id).first()
        cover = (
            HouseholdCover.objects.select_for_update()
            .filter(pk=cover_id, member=member)
            .select_related("membership")
            .get()
        )
        wanted = CoverStatus.COVERED if accept else CoverStatus.DECLINED
        if cover.status == wanted:
            return cover
        if cover.status != CoverStatus.INVITED:
            raise CoverNotPending()
        before = snapshot(cover)
        cover.status, cover.decided_at = wanted, now
        cover.covered_once = cover.covered_once or accept
        cover.save(update_fields=["status", "decided_at", "covered_once"])
        _follow(cover, renewals_of(cover.membership))
        audit_record(
            actor=member.user,
            action="household.accept" if accept else "household.decline",
            target=cover,
            before=before,
            after=snapshot(cover),
        )
    return cover


def cover_remove(*, holder: Member, member_id: Any, now: datetime | None = None) -> HouseholdCover:
    """The holder takes a member off the package (or withdraws an invitation): their card
    is refused at the till from now on unless they hold their own membership."""
    now = now or timezone.now()
    with transaction.atomic():
        package = _locked_package(holder, now)
        resident = _resident(package=package, member_id=member_id)
        cover = HouseholdCover.objects.filter(membership=package, member=resident).first()
        if cover is None:
            raise HouseholdMemberInvalid()
        if cover.status in (CoverStatus.REMOVED, CoverStatus.DECLINED):
            return cover  # nothing to take away; an invitation withdrawn stays undecided
        before = snapshot(cover)
        cover.status, cover.removed_at = CoverStatus.REMOVED, now
        cover.save(update_fields=["status", "removed_at"])
        _follow(cover, renewals_of(package))
        audit_record(
            actor=holder.user,
            action="household.remove",
            target=cover,
            before=before,
            after=snapshot(cover),
        )
        notice_send(member=resident, kind="household_removed", params={})
    return cover
