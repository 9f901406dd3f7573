"""Reads for the household page: the package, covered members (masked), their cards."""

from dataclasses import dataclass, field
from datetime import date

from linli.commerce.models import MemberCard, RetiredCardNumber
from linli.errors import DomainError
from linli.members import pii
from linli.members.models import (
    CoverStatus,
    HouseholdCover,
    Member,
    Membership,
    MembershipStatus,
)
from linli.members.selectors import family_package_held, membership_current
from linli.members.services.household import HOLDING_A_PLACE, flat_of, places_of


@dataclass(frozen=True)
class CardStatus:
    phone_code: bool  # the rotating code was opened on their phone
    printed: str  # masked printed card number, "" without one
    lost_reported: int  # printed numbers suspended as lost


@dataclass(frozen=True)
class CoveredRow:
    member_id: int
    masked_name: str
    status: str
    status_label: str
    is_holder: bool
    card: CardStatus


@dataclass(frozen=True)
class Invitation:
    id: int  # the cover the member answers
    holder: str  # masked
    status: str


@dataclass
class HouseholdPage:
    package: Membership | None = None  # the package the viewer holds
    rows: list[CoveredRow] = field(default_factory=list)
    candidates: list[tuple[int, str]] = field(default_factory=list)  # residents to invite
    places_left: int = 0
    invitations: list[Invitation] = field(default_factory=list)  # to the viewer
    covered_by: str = ""  # the holder's masked name, when the viewer is covered
    covered_until: date | None = None


def _card_status(member_ids: list[int]) -> dict[int, CardStatus]:
    found = {c.member_id: c for c in MemberCard.objects.filter(member_id__in=member_ids)}
    lost: dict[int, int] = {}
    for member_id in RetiredCardNumber.objects.filter(card__member_id__in=member_ids).values_list(
        "card__member_id", flat=True
    ):
        lost[member_id] = lost.get(member_id, 0) + 1
    return {
        m: CardStatus(
            phone_code=m in found,
            printed=pii.mask_card_number(found[m].card_number) if m in found else "",
            lost_reported=lost.get(m, 0),
        )
        for m in member_ids
    }


def _invitations(member: Member, today: date) -> list[Invitation]:
    """Open invitations on running packages, one per holder: a renewal carries the same
    invitation (members.services.household), and answering one answers it for both."""
    open_ones = (
        HouseholdCover.objects.filter(
            member=member,
            status=CoverStatus.INVITED,
            membership__status=MembershipStatus.ACTIVE,
            membership__starts_on__lte=today,
        )
        .select_related("membership__member")
        .order_by("membership__member_id", "-membership__ends_on", "id")
    )
    by_holder: dict[int, HouseholdCover] = {}
    for cover in open_ones:
        by_holder.setdefault(cover.membership.member_id, cover)
    return [
        Invitation(c.id, pii.mask_name(c.membership.member.display_name), c.status)
        for c in sorted(by_holder.values(), key=lambda c: c.id)
    ]


def household_page(*, member: Member, today: date) -> HouseholdPage:
    page = HouseholdPage(invitations=_invitations(member, today))
    running = membership_current(member=member, today=today)
    if running is not None and running.member_id != member.id:
        page.covered_by, page.covered_until = (
            pii.mask_name(running.member.display_name),
            running.ends_on,
        )
    try:
        package = family_package_held(member=member, today=today)
    except DomainError:
        return page
    covers = list(package.covers.select_related("member").order_by("id"))
    listed = [
        c
        for c in covers
        if c.status in HOLDING_A_PLACE
        and c.member.closed_at is None
        and c.member.household_id == package.household_id
    ]
    status = _card_status([member.id] + [c.member_id for c in listed])
    page.package = package
    page.rows = [
        CoveredRow(
            member.id,
            pii.mask_name(member.display_name),
            CoverStatus.COVERED,
            str(CoverStatus.COVERED.label),
            True,
            status[member.id],
        )
    ] + [
        CoveredRow(
            c.member_id,
            pii.mask_name(c.member.display_name),
            c.status,
            str(CoverStatus(c.status).label),
            False,
            status[c.member_id],
        )
        for c in listed
    ]
    page.places_left = max(0, places_of(package) - len(listed))
    taken = {c.member_id for c in listed}
    page.candidates = [
        (m.id, pii.mask_name(m.display_name))
        for m in Member.objects.filter(
            household_id=flat_of(package), closed_at__isnull=True
        ).order_by("id")
        if m.id != member.id and m.id not in taken
    ]
    return page
