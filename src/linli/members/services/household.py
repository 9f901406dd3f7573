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
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.communities.audit import audit_record, snapshot
from linli.members.errors import CoverNotPending, FamilyFull, HouseholdMemberInvalid
from linli.members.models import CoverStatus, HouseholdCover, Member, Membership, MembershipPlan
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


def covers_seed(*, membership: Membership, now: datetime) -> list[HouseholdCover]:
    """At payment: cover whom the previous package covered, or else the flat's earliest
    residents, up to the package's size. Called once by fee activation."""
    if membership.plan != MembershipPlan.FAMILY or membership.household_id is None:
        return []
    previous = (
        HouseholdCover.objects.filter(
            membership__member_id=membership.member_id,
            membership__household_id=membership.household_id,
            status=CoverStatus.COVERED,
        )
        .exclude(membership=membership)
        .order_by("-membership_id", "id")
    )
    latest = previous.values_list("membership_id", flat=True).first()
    if latest is not None:
        ids = list(previous.filter(membership_id=latest).values_list("member_id", flat=True))
    else:
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
        taken = places_taken(package)
        if taken >= places_of(package):
            raise FamilyFull()
        before = snapshot(cover) if cover is not None else None
        if cover is None:
            cover = HouseholdCover(community_id=package.community_id, membership=package)
            cover.member = resident
        cover.status, cover.invited_at = CoverStatus.INVITED, now
        cover.decided_at = cover.removed_at = None
        cover.save()
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
        cover = (
            HouseholdCover.objects.select_for_update()
            .filter(pk=cover_id, member=member)
            .select_related("membership")
            .first()
        )
        if cover is None:
            raise CoverNotPending()
        wanted = CoverStatus.COVERED if accept else CoverStatus.DECLINED
        if cover.status == wanted:
            return cover
        if cover.status != CoverStatus.INVITED:
            raise CoverNotPending()
        before = snapshot(cover)
        cover.status, cover.decided_at = wanted, now
        cover.covered_once = cover.covered_once or accept
        cover.save(update_fields=["status", "decided_at", "covered_once"])
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
        audit_record(
            actor=holder.user,
            action="household.remove",
            target=cover,
            before=before,
            after=snapshot(cover),
        )
        notice_send(member=resident, kind="household_removed", params={})
    return cover
