"""Reads of the members app: who is who, membership status, referrals, masked views."""

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.errors import NotFound
from linli.members import pii
from linli.members.models import (
    ApiToken,
    Charter,
    CoverStatus,
    Entitlement,
    FoundingApplication,
    Member,
    Membership,
    MembershipStatus,
    Notice,
    Referral,
    ReferralStatus,
    Tier,
    TierChange,
)

SEARCH_LIMIT = 50


def api_token_find(*, token: str) -> ApiToken | None:
    """The live token for a bearer string (its user active), or None."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = ApiToken.objects.select_related("user").filter(key_sha256=digest).first()
    if found is None or not found.user.is_active:
        return None
    return found


def user_for_api_token(*, token: str) -> AbstractBaseUser | None:
    found = api_token_find(token=token)
    return found.user if found else None


def member_for_user(*, user: Any) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("community").filter(user=user).first()


def member_get_for_actor(*, actor: Any, community: Community, member_id: int) -> Member:
    """A member as seen by `actor`: themselves, or anyone for operators and auditors."""
    member = Member.objects.filter(community=community, pk=member_id).first()
    if member is None:
        raise NotFound()
    if member.user_id == getattr(actor, "id", None):
        return member
    if has_permission(user=actor, community=community, action="member.view_all"):
        return member
    raise NotFound()


def membership_current(*, member: Member, today: date) -> Membership | None:
    """The running membership: the member's own, or their household's family package.
    A membership in its grace period still counts (status stays active until lapse)."""
    running = Membership.objects.filter(status=MembershipStatus.ACTIVE, starts_on__lte=today)
    own = running.filter(member=member).order_by("-ends_on").first()
    if own is not None or member.household_id is None:
        return own
    # Covered = confirmed on the package (members.services.household), not merely resident.
    return (
        running.filter(
            household_id=member.household_id,
            plan="family",
            covers__member=member,
            covers__status=CoverStatus.COVERED,
        )
        .order_by("-ends_on")
        .first()
    )


def family_package_held(*, member: Member, today: date) -> Membership:
    """The running family package this member paid for (they manage its household page),
    or NotPackageHolder."""
    from linli.members.errors import NotPackageHolder

    package = (
        Membership.objects.filter(
            member=member,
            plan="family",
            status=MembershipStatus.ACTIVE,
            starts_on__lte=today,
            household_id__isnull=False,
        )
        .select_related("policy")
        .order_by("-ends_on")
        .first()
    )
    if package is None or package.household_id != member.household_id:
        raise NotPackageHolder()
    return package


def membership_open(*, member: Member) -> Membership | None:
    return (
        Membership.objects.filter(member=member, status=MembershipStatus.AWAITING_PAYMENT)
        .order_by("-id")
        .first()
    )


def entitlements_left(*, membership: Membership) -> list[Entitlement]:
    return list(membership.entitlements.order_by("kind"))


def referrals_waiving_fee(*, member: Member, today: date) -> bool:
    """A§2.1: N qualified referrals in the running membership year waive next year's fee."""
    from linli.communities.selectors import policy_in_force

    policy = policy_in_force(community=member.community)
    if policy.referrals_to_waive_fee == 0:
        return False
    current = membership_current(member=member, today=today)
    if current is None or current.starts_on is None:
        return False
    qualified = Referral.objects.filter(
        referrer=member,
        status__in=[ReferralStatus.REWARDED, ReferralStatus.CAPPED],
        qualified_at__date__gte=current.starts_on,
    ).count()
    return qualified >= policy.referrals_to_waive_fee


REFERRAL_WHY = {
    ReferralStatus.PENDING: _(
        "Not qualified yet: it qualifies when your neighbour keeps a paid membership past "
        "its full-refund period, or makes a first purchase that is past its return window."
    ),
    ReferralStatus.REWARDED: _("Qualified: the reward was posted to your account."),
    ReferralStatus.CAPPED: _("Qualified, but this year's reward limit was already reached."),
    ReferralStatus.REVERSED: _("The reward was reversed because the fee was refunded."),
    ReferralStatus.VOID: _("Cancelled."),
}


@dataclass(frozen=True)
class ReferralView:
    id: int
    referee_name: str
    status: str
    why: str
    created_at: Any


def referrals_of(*, member: Member) -> list[ReferralView]:
    rows = Referral.objects.filter(referrer=member).select_related("referee").order_by("-id")
    return [
        ReferralView(
            id=r.id,
            referee_name=r.referee.display_name if r.referee.closed_at is None else "—",
            status=r.status,
            why=str(REFERRAL_WHY.get(ReferralStatus(r.status), "")),
            created_at=r.created_at,
        )
        for r in rows[:200]
    ]


@dataclass(frozen=True)
class MemberRow:
    """A member as operators see them: phone and ID masked (PIPL)."""

    id: int
    display_name: str
    phone_masked: str
    id_masked: str
    is_verified: bool
    identity_backend: str
    status: str


def member_phone(member: Member) -> str:
    return pii.decrypt(member.phone_cipher)


def member_row(member: Member, *, today: date) -> MemberRow:
    phone = pii.decrypt(member.phone_cipher)
    number = pii.decrypt(member.id_number_cipher)
    current = membership_current(member=member, today=today)
    return MemberRow(
        id=member.id,
        display_name=member.display_name,
        phone_masked=pii.mask_phone(phone) if phone else "",
        id_masked=pii.mask_id_number(number) if number else "",
        is_verified=member.verified_at is not None,
        identity_backend=member.identity_backend,
        status=current.status if current else "",
    )


def members_search(*, community: Community, query: str, today: date) -> list[MemberRow]:
    """Search by display name, member number, full phone number or payment reference."""
    query = (query or "").strip()[:50]
    found: QuerySet[Member] = Member.objects.filter(community=community, closed_at__isnull=True)
    if query:
        condition = Q(display_name__icontains=query)
        if query.isdigit():
            condition |= Q(pk=int(query)) if len(query) < 12 else Q()
            condition |= Q(phone_hash=pii.lookup_hash("phone", query))
        condition |= Q(memberships__payment_reference=query.upper())
        found = found.filter(condition).distinct()
    return [member_row(m, today=today) for m in found.order_by("-id")[:SEARCH_LIMIT]]


def memberships_awaiting_payment(*, community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community, status=MembershipStatus.AWAITING_PAYMENT)
        .select_related("member")
        .order_by("created_at")
    )


def unread_notices_count(*, member: Member) -> int:
    return Notice.objects.filter(member=member, read_at__isnull=True).count()


def unread_notices_for_user(*, user: Any) -> int:
    """The shell's badge: unread notices of the signed-in member (0 for everyone else)."""
    member = member_for_user(user=user)
    if member is None or member.closed_at is not None:
        return 0
    return unread_notices_count(member=member)


def charters_of(*, community: Community) -> list[Charter]:
    """Every published version, newest first: earlier versions stay readable."""
    return list(Charter.objects.filter(community=community).order_by("-version"))


def charter_version(*, community: Community, version: int) -> Charter:
    found = Charter.objects.filter(community=community, version=version).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class CharterConsent:
    """Which charter version the member accepted, and when (the prepayment contract)."""

    version: int
    accepted_at: Any
    is_current: bool


def charter_consents_of(*, member: Member, current_version: int | None) -> list[CharterConsent]:
    rows = (
        Membership.objects.filter(member=member)
        .select_related("charter")
        .order_by("-charter_accepted_at")
    )
    return [
        CharterConsent(
            version=m.charter.version,
            accepted_at=m.charter_accepted_at,
            is_current=m.charter.version == current_version,
        )
        for m in rows[:20]
    ]


@dataclass(frozen=True)
class FoundingSeats:
    """Founding / co-creation places (A§5, B§2.2): `most` None means no cap."""

    most: int | None
    taken: int
    left: int | None
    first_year_free: bool


def founding_seats(*, community: Community) -> FoundingSeats:
    from linli.communities.selectors import policy_in_force

    policy = policy_in_force(community=community)
    taken = Member.objects.filter(community=community, is_founding=True).count()
    most = policy.founding_members_max
    return FoundingSeats(
        most=most,
        taken=taken,
        left=None if most is None else max(0, most - taken),
        first_year_free=policy.founding_member_fee_waived,
    )


def founding_members(*, community: Community) -> list[Member]:
    """For operators: who holds a founding place and why (names only, no contact data)."""
    return list(
        Member.objects.filter(community=community, is_founding=True, closed_at__isnull=True)
        .only("id", "display_name", "founding_reason")
        .order_by("id")[:200]
    )


FOUNDING_PAGE_SIZE = 20
FOUNDING_STATUSES = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class FoundingQueuePage:
    """One page of the operators' founding-application queue."""

    items: list[FoundingApplication]
    count: int
    page: int
    pages: int


def founding_applications(
    *, community: Community, query: str = "", status: str = "pending", page: int = 1
) -> FoundingQueuePage:
    """The review queue: search by display name or member number, filter by status
    (unknown status = pending), oldest first, FOUNDING_PAGE_SIZE a page (clamped)."""
    found = FoundingApplication.objects.filter(
        community=community, status=status if status in FOUNDING_STATUSES else "pending"
    )
    query = (query or "").strip()[:50]
    if query:
        condition = Q(member__display_name__icontains=query)
        if query.isdigit() and len(query) < 12:
            condition |= Q(member_id=int(query))
        found = found.filter(condition)
    count = found.count()
    pages = max(1, -(-count // FOUNDING_PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * FOUNDING_PAGE_SIZE
    items = list(found.select_related("member").order_by("id")[start : start + FOUNDING_PAGE_SIZE])
    return FoundingQueuePage(items=items, count=count, page=page, pages=pages)


def founding_application_of(*, member: Member) -> FoundingApplication | None:
    """The member's newest founding application (their status on the founding page)."""
    return FoundingApplication.objects.filter(member=member).order_by("-id").first()


def member_is_senior(*, member: Member, today: date) -> bool:
    """60+ by the community's policy (`senior_age_years`, A§2.3): the time bank's free basic
    services and the default of 长辈版. Age comes from the verified ID number."""
    from linli.communities.selectors import policy_current

    age = member.age_years(today=today)
    if age is None:
        return False
    policy = policy_current(community=member.community)
    return policy is not None and age >= policy.senior_age_years


@dataclass(frozen=True)
class LeasePriorityRow:
    """A place on the shop-lease priority list (A§3.2 理事(钻石): 商铺优先租赁权)."""

    position: int
    member_id: int
    display_name: str
    diamond_since: Any


def shop_lease_priority(*, community: Community) -> list[LeasePriorityRow]:
    """Diamond members in the order they (last) became diamond: earliest first; the
    member number breaks ties. Names only: leases are offered through the staff."""
    diamonds = list(
        Member.objects.filter(community=community, tier=Tier.DIAMOND, closed_at__isnull=True)
    )
    since = {}
    for change in TierChange.objects.filter(member__in=diamonds, tier_to=Tier.DIAMOND).order_by(
        "at", "id"
    ):
        since[change.member_id] = change.at  # the latest entry wins
    ordered = sorted(
        diamonds, key=lambda m: (since.get(m.id) is None, since.get(m.id) or m.created_at, m.id)
    )
    return [
        LeasePriorityRow(
            position=i,
            member_id=m.id,
            display_name=m.display_name,
            diamond_since=since.get(m.id),
        )
        for i, m in enumerate(ordered, start=1)
    ]


def shop_lease_position(*, member: Member) -> int | None:
    if member.tier != Tier.DIAMOND:
        return None
    for row in shop_lease_priority(community=member.community):
        if row.member_id == member.id:
            return row.position
    return None
