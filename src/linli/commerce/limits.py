"""Velocity and amount limits at the till (issue 6 "Fraud and limits").

The numbers are anti-abuse thresholds the operator tunes per deployment, not business
terms of a preset, so they live in Django settings (`LINLI_SALE_LIMITS`, overriding
`DEFAULT_LIMITS` key by key) rather than on `PolicyVersion` (whose numbers are the
published plan members agreed to and are versioned on every journal) or in a model (no
migration and no admin page to secure for four integers). A value of 0 switches a limit off.

Race safety: `sale_consume` calls `check_sale(..., lock=True)` inside its transaction.
That locks the member's row and then the merchant's row (always in that order, so two
tills cannot deadlock on them) before counting, so on PostgreSQL two concurrent sales for
the same member or at the same shop are counted one after the other and the second sees
the first. On SQLite writers are serialised by the database file lock; the count there can
race only between two readers that have not yet written, which a single-node SQLite
deployment with one worker does not produce.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from linli.commerce import errors
from linli.commerce.models import ConfirmationStatus, Sale, SaleConfirmation, SaleStatus
from linli.communities.models import PolicyVersion
from linli.errors import NotFound
from linli.members.models import Member
from linli.merchants.models import Merchant

DEFAULT_LIMITS: dict[str, int] = {
    # More than this many sales for one member within the window is refused.
    "member_sales": 5,
    "member_minutes": 10,
    # One shop's till: a neighbourhood shop does not record 60 sales a minute.
    "merchant_sales": 60,
    "merchant_minutes": 1,
    # Amounts in fen: one sale, and one member's total per local day (undone sales and
    # refunded amounts do not count).
    "sale_max_fen": 500_000,
    "member_day_max_fen": 2_000_000,
    # Coins and points worth more than this (fen) need the member's approval on their
    # own phone before the sale posts (`confirmation_for`).
    "confirm_above_fen": 10_000,
}
CONFIRMATION_TTL = timedelta(minutes=5)


def sale_limits() -> dict[str, int]:
    """The limits in force: the defaults with the deployment's overrides."""
    overrides: dict[str, Any] = getattr(settings, "LINLI_SALE_LIMITS", {}) or {}
    merged = dict(DEFAULT_LIMITS)
    for key, value in overrides.items():
        if key in merged and isinstance(value, int) and value >= 0:
            merged[key] = value
    return merged


def check_sale(
    *, merchant: Merchant, member: Member, amount_fen: int, now: datetime, lock: bool = False
) -> None:
    """Refuse a sale over a velocity or amount limit with a coded reason for the cashier.
    `lock=True` (inside the posting transaction) serialises concurrent sales first.

    The member's day total and both velocity windows are counted in ONE query (every
    sale checks them twice: prepare, and under the locks at consume); the refusals come
    in the same order as ever: amount, member's day, member's pace, shop's pace."""
    limits = sale_limits()
    if lock:
        Member.objects.select_for_update().filter(id=member.id).first()
        Merchant.objects.select_for_update().filter(id=merchant.id).first()
    if limits["sale_max_fen"] and amount_fen > limits["sale_max_fen"]:
        raise errors.SaleAmountOverLimit(max=_yuan(limits["sale_max_fen"]))
    windows = _windows(limits, member, merchant, now)
    if not windows:
        return
    counted = Sale.objects.filter(_any_of(windows.values())).aggregate(
        **{
            name: (
                Sum(F("amount_fen") - F("refunded_fen"), filter=where)
                if name == "spent"
                else Count("id", filter=where)
            )
            for name, where in windows.items()
        }
    )
    day_max = limits["member_day_max_fen"]
    if "spent" in windows:
        spent = counted["spent"] or 0
        if spent + amount_fen > day_max:
            left = _yuan(max(0, day_max - spent))
            raise errors.MemberDailyAmountLimit(max=_yuan(day_max), left=left)
    if counted.get("member_recent", 0) >= limits["member_sales"] > 0:
        raise errors.MemberVelocityLimit(
            count=limits["member_sales"], minutes=limits["member_minutes"]
        )
    if counted.get("merchant_recent", 0) >= limits["merchant_sales"] > 0:
        raise errors.MerchantVelocityLimit(
            count=limits["merchant_sales"], minutes=limits["merchant_minutes"]
        )


def _windows(
    limits: dict[str, int], member: Member, merchant: Merchant, now: datetime
) -> dict[str, Q]:
    """The sales each switched-on limit counts. Velocity: every sale in the window counts,
    undone or not (undo-and-resell is what we watch). The day total leaves undone sales
    and refunded amounts out."""
    windows: dict[str, Q] = {}
    if limits["member_day_max_fen"]:
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        windows["spent"] = Q(member=member, created_at__gte=start, created_at__lte=now) & ~Q(
            status=SaleStatus.UNDONE
        )
    for name, who, count, minutes in (
        ("member_recent", Q(member=member), limits["member_sales"], limits["member_minutes"]),
        (
            "merchant_recent",
            Q(merchant=merchant),
            limits["merchant_sales"],
            limits["merchant_minutes"],
        ),
    ):
        if count > 0 and minutes > 0:
            since = now - timedelta(minutes=minutes)
            windows[name] = who & Q(created_at__gt=since, created_at__lte=now)
    return windows


def _any_of(conditions: Any) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- the member confirms on their phone ----------------------------------------------------
#
# Above `confirm_above_fen` of coins and points, `sale_consume` does not post until the
# member has approved this exact sale (shop, amounts) on their card page or through the
# API. The first attempt records a pending confirmation and refuses with
# `member_confirmation_required`; the member approves; the cashier scans the member's new
# code and confirms again (a code is single use, and the approval is not a code). The
# approval is then used up by that sale in the same transaction that posts it.


def units_value_fen(*, policy: PolicyVersion, coin_units: int, points: int) -> int:
    """What the coins and points of a sale are worth in fen (as `sale_prepare` counts)."""
    return coin_units * policy.coin_value_fen // 100 + points * policy.point_value_fen


def confirmation_threshold(*, policy: PolicyVersion, coin_units: int, points: int) -> int | None:
    """The threshold (fen) the coins and points of a sale go over — the member must then
    approve it on their phone — or None. No query: the preview warns with it in advance."""
    threshold = sale_limits()["confirm_above_fen"]
    value = units_value_fen(policy=policy, coin_units=coin_units, points=points)
    return threshold if threshold and value > threshold else None


def confirmation_for(
    *,
    merchant: Merchant,
    member: Member,
    amount_fen: int,
    coin_units: int,
    points: int,
    policy: PolicyVersion,
    now: datetime,
) -> SaleConfirmation | None:
    """None when no approval is needed; the member's fresh approval of this exact sale;
    otherwise record (or keep) a pending request and refuse with a coded reason."""
    threshold = confirmation_threshold(policy=policy, coin_units=coin_units, points=points)
    if threshold is None:
        return None
    same = SaleConfirmation.objects.filter(
        merchant=merchant,
        member=member,
        amount_fen=amount_fen,
        coin_units=coin_units,
        points=points,
        created_at__gt=now - CONFIRMATION_TTL,
    ).order_by("-created_at", "-id")
    latest = same.exclude(status=ConfirmationStatus.USED).first()
    if latest is not None and latest.status == ConfirmationStatus.APPROVED:
        return latest
    if latest is not None and latest.status == ConfirmationStatus.DECLINED:
        raise errors.MemberDeclined()
    if latest is None:
        SaleConfirmation.objects.create(
            community_id=merchant.community_id,
            merchant=merchant,
            member=member,
            amount_fen=amount_fen,
            coin_units=coin_units,
            points=points,
            created_at=now,
        )
    raise errors.MemberConfirmationRequired(limit=_yuan(threshold))


def confirmation_use(*, confirmation: SaleConfirmation | None, sale: Sale) -> None:
    """Inside the sale's transaction: an approval serves exactly one sale."""
    if confirmation is None:
        return
    used = SaleConfirmation.objects.filter(
        id=confirmation.id, status=ConfirmationStatus.APPROVED
    ).update(status=ConfirmationStatus.USED, sale=sale)
    if used != 1:
        raise errors.MemberConfirmationRequired(limit=_yuan(sale_limits()["confirm_above_fen"]))


def confirmations_pending(*, member: Member, now: datetime | None = None) -> list[SaleConfirmation]:
    """What waits for the member's answer (a selector, kept beside its service)."""
    now = now or timezone.now()
    return list(
        SaleConfirmation.objects.filter(
            member=member,
            status=ConfirmationStatus.PENDING,
            created_at__gt=now - CONFIRMATION_TTL,
        )
        .select_related("merchant")
        .order_by("-created_at", "-id")
    )


def confirmation_decide(
    *, member: Member, confirmation_id: Any, approve: bool, now: datetime | None = None
) -> SaleConfirmation:
    """The member approves or declines their own pending request while it is fresh;
    another member's, a stale or an already answered one is not found."""
    now = now or timezone.now()
    if not isinstance(confirmation_id, int) or isinstance(confirmation_id, bool):
        raise NotFound()
    with transaction.atomic():
        confirmation = (
            SaleConfirmation.objects.select_for_update()
            .filter(
                id=confirmation_id,
                member=member,
                status=ConfirmationStatus.PENDING,
                created_at__gt=now - CONFIRMATION_TTL,
            )
            .first()
        )
        if confirmation is None:
            raise NotFound()
        confirmation.status = (
            ConfirmationStatus.APPROVED if approve else ConfirmationStatus.DECLINED
        )
        confirmation.decided_at = now
        confirmation.save(update_fields=["status", "decided_at"])
    return confirmation
