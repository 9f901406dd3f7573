"""Reads of the merchant alliance: seats, the chair, deposits, duties, traffic lights."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.apps import apps
from django.db.models import Avg, Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.communities.selectors import policy_in_force
from linli.errors import NotFound
from linli.ledger.models import Account, AccountKind
from linli.merchants.models import (
    SEAT_HOLDING,
    WAIT_QUEUED,
    ApplicationStatus,
    Complaint,
    ComplaintStatus,
    DepositHold,
    HoldStatus,
    Industry,
    Merchant,
    MerchantApplication,
    MerchantDebt,
    MerchantStaff,
    MerchantStatus,
    QuarterlyScore,
    Rating,
    WaitingListEntry,
    WaitStatus,
)

if TYPE_CHECKING:
    from linli.commerce.selectors import NetSales

EARTH_RADIUS_M = 6_371_000
MERCHANT_OWNER_TYPE = "merchant"


def distance_m(lat1: Decimal, lng1: Decimal, lat2: Decimal, lng2: Decimal) -> int:
    """Great-circle distance by the haversine formula, rounded to the metre."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a))))


# --- taxonomy and seats -----------------------------------------------------------------


def industry_tree(*, community: Community) -> list[tuple[Industry, list[Industry]]]:
    """Categories with their trades, in code order."""
    rows = list(Industry.objects.filter(community=community).order_by("code"))
    tops = [row for row in rows if row.parent_id is None]
    return [(top, [row for row in rows if row.parent_id == top.id]) for top in tops]


def industry_get(*, community: Community, industry_id: Any) -> Industry:
    if not isinstance(industry_id, int) or industry_id < 1:
        raise NotFound()
    industry = Industry.objects.filter(community=community, id=industry_id).first()
    if industry is None:
        raise NotFound()
    return industry


def seat_holder(*, community: Community, industry: Industry) -> Merchant | None:
    return Merchant.objects.filter(
        community=community, industry=industry, status__in=SEAT_HOLDING
    ).first()


def merchants_seated(*, community: Community) -> QuerySet[Merchant]:
    """Merchants holding a seat, in admission order (the chair rotation's order)."""
    return (
        Merchant.objects.filter(community=community, status__in=SEAT_HOLDING)
        .select_related("industry", "industry__parent")
        .order_by("admitted_at", "id")
    )


def merchant_get(*, community: Community, merchant_id: Any) -> Merchant:
    if not isinstance(merchant_id, int) or merchant_id < 1:
        raise NotFound()
    merchant = (
        Merchant.objects.filter(community=community, id=merchant_id)
        .select_related("industry", "community")
        .first()
    )
    if merchant is None:
        raise NotFound()
    return merchant


def application_get(*, community: Community, application_id: Any) -> MerchantApplication:
    if not isinstance(application_id, int) or application_id < 1:
        raise NotFound()
    found = (
        MerchantApplication.objects.filter(community=community, id=application_id)
        .select_related("industry", "applicant")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def applications_pending(*, community: Community) -> QuerySet[MerchantApplication]:
    return (
        MerchantApplication.objects.filter(community=community, status=ApplicationStatus.PENDING)
        .select_related("industry", "applicant")
        .order_by("submitted_at", "id")
    )


def staff_merchant(*, user: Any, community: Community) -> tuple[Merchant, str] | None:
    """The seated merchant this login works for in the community, and its staff role."""
    if not getattr(user, "is_authenticated", False):
        return None
    job = (
        MerchantStaff.objects.filter(
            user=user,
            community=community,
            is_active=True,
            merchant__status__in=SEAT_HOLDING,
        )
        .select_related("merchant", "merchant__industry")
        .first()
    )
    return (job.merchant, job.role) if job is not None else None


def works_at(*, merchant: Merchant, user_id: int) -> bool:
    """Is this login the shop's owner or one of its active staff? (Self-dealing: a shop's
    own people do not buy from it through Linli.) One query at most."""
    if merchant.owner_id == user_id:
        return True
    return MerchantStaff.objects.filter(merchant=merchant, user_id=user_id, is_active=True).exists()


# --- the committee's chair (A§3.1 轮值主席) -----------------------------------------------


def chair_for_month(*, community: Community, on: date | None = None) -> Merchant | None:
    """The published rotation rule: seated merchants in admission order (ties by id) take
    the chair one calendar month each; month m of year y goes to number
    (12·y + m − 1) mod n. No seated merchant: no chair (operators review)."""
    day = on or timezone.localdate()
    seated = list(merchants_seated(community=community).filter(status=MerchantStatus.ACTIVE))
    if not seated:
        return None
    return seated[(12 * day.year + day.month - 1) % len(seated)]


def is_chair(*, user: Any, community: Community, on: date | None = None) -> bool:
    chair = chair_for_month(community=community, on=on)
    return (
        chair is not None
        and getattr(user, "is_authenticated", False)
        and (chair.owner_id == user.id)
    )


# --- accounts and the deposit --------------------------------------------------------------


def merchant_account(*, merchant: Merchant, asset: str) -> Account | None:
    return Account.objects.filter(
        community_id=merchant.community_id,
        kind=AccountKind.MERCHANT,
        asset_id=asset,
        owner_type=MERCHANT_OWNER_TYPE,
        owner_id=merchant.id,
    ).first()


def deposit_held_fen(*, merchant: Merchant) -> int:
    """What the deposit holds now: the sum of the merchant's open escrow holds."""
    holds = DepositHold.objects.filter(merchant=merchant, status=HoldStatus.OPEN)
    return sum(holds.values_list("amount_fen", flat=True))


def deposit_shortfall_fen(*, merchant: Merchant) -> int:
    return max(0, merchant.deposit_required_fen - deposit_held_fen(merchant=merchant))


# --- sales, complaints, ratings, referrals ------------------------------------------------


def net_sales(*, merchant: Merchant, since: datetime, until: datetime) -> "NetSales":
    """The merchant's sales to members in [since, until) that stand, from the commerce
    app's sales (`commerce.selectors.merchant_net_sales`): undone and fully refunded sales
    are left out, a partly refunded one counts once at what was kept. A ledger journal is
    not a sale: cash the till never recorded as a sale to a member does not count."""
    # Imported here: commerce.selectors imports this module.
    from linli.commerce.selectors import merchant_net_sales

    return merchant_net_sales(merchant_ids=[merchant.id], since=since, until=until)[merchant.id]


def member_sale_at(*, merchant: Merchant, user: Any, journal_id: Any) -> Any:
    """The commerce `Sale` (a 核销) at this merchant, in its community, bought by `user`,
    whose journal is `journal_id`; None when there is no such sale. A ledger journal that
    is not a 核销 is not a sale (docs/merchants.md)."""
    Sale = apps.get_model("commerce", "Sale")
    if getattr(user, "pk", None) is None:
        return None
    return (
        Sale.objects.filter(
            community_id=merchant.community_id,
            merchant=merchant,
            member__user_id=user.pk,
            journal_id=journal_id,
        )
        .only("id", "status", "journal_id")
        .first()
    )


def complaint_rate_bp(*, merchant: Merchant, now: datetime | None = None) -> int | None:
    """Verified complaints ÷ net sales (`net_sales`) over the policy's rolling window
    (`merchant_complaint_window_days`), in bp (B§3.2 red list); None below the policy's
    least sales (`merchant_complaint_min_sales`: one complaint on one sale is not 100 %)."""
    now = now or timezone.now()
    policy = policy_in_force(community=merchant.community)
    since = now - timedelta(days=policy.merchant_complaint_window_days)
    sales = net_sales(merchant=merchant, since=since, until=now).count
    if sales < policy.merchant_complaint_min_sales:
        return None
    verified = Complaint.objects.filter(
        merchant=merchant,
        status=ComplaintStatus.VERIFIED,
        decided_at__gte=since,
        decided_at__lt=now,
    ).count()
    return verified * 10_000 // sales


def rating_summary(*, merchant: Merchant) -> tuple[int, Decimal | None]:
    found = Rating.objects.filter(merchant=merchant).aggregate(n=Count("id"), avg=Avg("stars"))
    avg = found["avg"]
    return found["n"], (Decimal(str(avg)).quantize(Decimal("0.1")) if avg is not None else None)


def referrals_in_month(*, merchant: Merchant, month: date) -> int:
    """New members the merchant's owner referred in the month (A§3.1: ≥ 2 a month).

    Read from the members app's referral records (`members.Referral`: referrer, created_at,
    status; cancelled ones do not count); 0 while that model does not exist.
    """
    # Looked up by name at run time: the members app may not have the model yet.
    referral: Any = apps.all_models.get("members", {}).get("referral")
    if referral is None:
        return 0
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    fields = {f.name for f in referral._meta.get_fields()}
    if not {"referrer", "created_at"} <= fields:
        return 0
    found = referral.objects.filter(
        referrer__user_id=merchant.owner_id,
        created_at__date__gte=start,
        created_at__date__lt=end,
    )
    if "status" in fields:
        found = found.exclude(status="void")  # cancelled referrals do not count
    return int(found.count())


# --- the traffic light --------------------------------------------------------------------


_COLOUR_LABELS = {"green": _("green"), "amber": _("amber"), "red": _("red")}
_REASON_LABELS = {
    "suspended": _("suspended"),
    "red_list": _("on the red list"),
    "complaint_rate": _("complaint rate"),
    "deposit_short": _("deposit below the required amount"),
    "referrals_due": _("new-member referrals due"),
    "ratings_low": _("low ratings"),
}


@dataclass(frozen=True)
class TrafficLight:
    colour: str  # green / amber / red
    reasons: tuple[str, ...]

    @property
    def colour_label(self) -> str:
        return str(_COLOUR_LABELS.get(self.colour, self.colour))

    @property
    def reason_labels(self) -> list[str]:
        return [str(_REASON_LABELS.get(reason, reason)) for reason in self.reasons]


def traffic_light(*, merchant: Merchant, now: datetime | None = None) -> TrafficLight:
    """Green / amber / red from duties, complaints, ratings and the deposit (BNI Traffic
    Lights, research/loyalty.md §8.2). Red: suspended, red-listed or complaint rate above
    the policy's line. Amber: deposit short, referrals due this month unmet, half the red
    complaint rate reached, or a rating average under the policy's line
    (`merchant_rating_amber_below_tenths`: 35 = 3.5 stars in both presets)."""
    now = now or timezone.now()
    policy = policy_in_force(community=merchant.community)
    rate = complaint_rate_bp(merchant=merchant, now=now)
    red: list[str] = []
    amber: list[str] = []
    if merchant.status == MerchantStatus.SUSPENDED:
        red.append("suspended")
    if merchant.red_listed_at is not None:
        red.append("red_list")
    if rate is not None and rate > policy.complaint_rate_red_bp:
        red.append("complaint_rate")
    elif rate is not None and rate * 2 > policy.complaint_rate_red_bp:
        amber.append("complaint_rate")
    if deposit_shortfall_fen(merchant=merchant) > 0:
        amber.append("deposit_short")
    # Duties are judged on the last full month, so every light is not amber on the 1st.
    last_month = timezone.localdate(now).replace(day=1) - timedelta(days=1)
    referred = referrals_in_month(merchant=merchant, month=last_month)
    if merchant.admitted_at.date() <= last_month.replace(day=1) and (
        referred < policy.merchant_min_referrals_per_month
    ):
        amber.append("referrals_due")
    _count, average = rating_summary(merchant=merchant)
    if average is not None and average * 10 < policy.merchant_rating_amber_below_tenths:
        amber.append("ratings_low")
    if red:
        return TrafficLight("red", tuple(red + amber))
    return TrafficLight("amber" if amber else "green", tuple(amber))


def red_list(*, community: Community) -> QuerySet[Merchant]:
    return Merchant.objects.filter(community=community, red_listed_at__isnull=False).order_by(
        "-red_listed_at"
    )


# --- the waiting list per trade and debts (merchantsgap) -----------------------------------


def waitlist_position(*, entry: WaitingListEntry) -> int | None:
    """1 for the first in line (or the one holding the offer); None once out of the queue."""
    if entry.status not in WAIT_QUEUED:
        return None
    return WaitingListEntry.objects.filter(
        community_id=entry.community_id,
        industry_id=entry.industry_id,
        status__in=WAIT_QUEUED,
        id__lte=entry.id,
    ).count()


def waitlist_of_user(
    *, user: Any, community: Community
) -> list[tuple[WaitingListEntry, int | None]]:
    """The login's own entries (newest first) with their place in line."""
    if not getattr(user, "is_authenticated", False):
        return []
    entries = WaitingListEntry.objects.filter(
        community=community, application__applicant=user
    ).select_related("industry", "application")
    return [(entry, waitlist_position(entry=entry)) for entry in entries.order_by("-id")]


def waitlist_entry_get(*, community: Community, entry_id: Any) -> WaitingListEntry:
    if not isinstance(entry_id, int) or entry_id < 1:
        raise NotFound()
    found = (
        WaitingListEntry.objects.filter(community=community, id=entry_id)
        .select_related("application", "industry")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def waitlist_queued(*, community: Community) -> QuerySet[WaitingListEntry]:
    """Everyone still queued, trade by trade, in line order (the committee's view)."""
    return (
        WaitingListEntry.objects.filter(community=community, status__in=WAIT_QUEUED)
        .select_related("industry", "application")
        .order_by("industry__code", "id")
    )


def seat_reserved(*, community: Community, industry: Industry) -> bool:
    """A free seat is still spoken for while its waiting list has people in line, an offer
    out, or an accepted offer whose application the committee has not decided."""
    entries = WaitingListEntry.objects.filter(community=community, industry=industry)
    return (
        entries.filter(status__in=WAIT_QUEUED).exists()
        or entries.filter(
            status=WaitStatus.ACCEPTED, application__status=ApplicationStatus.PENDING
        ).exists()
    )


def debt_open_fen(*, merchant: Merchant) -> int:
    """What the merchant still owes from compensation the platform advanced."""
    owed = MerchantDebt.objects.filter(merchant=merchant, settled_at__isnull=True)
    return int(sum(owed.values_list("amount_fen", flat=True)))


# --- performance-graded commission (issue 6: "platform commission 1–3% A / 3–5% B by
# merchant performance"), read by linli.commerce at every sale ----------------------------


class CommissionGrade(NamedTuple):
    """The commission band a shop is in and the rate it pays on each sale."""

    band: str  # "top" / "middle" / "bottom" third of the ranking, or "unranked"
    quarter: str  # the closed quarter the rank comes from ("" when unranked)
    rank: int
    ranked: int  # how many shops that quarter ranked
    rate_bp: int


def commission_grade(*, merchant: Merchant, policy: Any) -> CommissionGrade:
    """The rate from the community's latest closed quarter (A§6.1 季度评分): the top third
    of the ranking pays the policy's lowest commission, the middle third the midpoint, the
    bottom third the highest. A shop the latest quarter did not rank (admitted since, or
    no quarter closed yet) pays the lowest, as every shop did before grading existed: a
    newcomer is not charged for a ranking it never had."""
    low, high = policy.commission_min_bp, policy.commission_max_bp
    latest = (
        QuarterlyScore.objects.filter(community_id=merchant.community_id)
        .values("quarter")
        .annotate(ranked=Count("id"))
        .order_by("-quarter")
        .first()
    )
    own = (
        QuarterlyScore.objects.filter(merchant=merchant, quarter=latest["quarter"])
        .values_list("rank", flat=True)
        .first()
        if latest is not None
        else None
    )
    if latest is None or own is None:
        return CommissionGrade("unranked", "", 0, 0, low)
    ranked = latest["ranked"]
    third = min(2, (own - 1) * 3 // ranked)
    band, rate = (("top", low), ("middle", (low + high) // 2), ("bottom", high))[third]
    return CommissionGrade(band, latest["quarter"], own, ranked, rate)
