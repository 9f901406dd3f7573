"""Duties (A§2.1 monthly member offer worth 1–3 % of revenue; A§3.1 ≥ 2 new members
referred a month; A§5 merchant-day rota), tracked and reminded by a weekly job."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Community
from linli.communities.selectors import policy_in_force
from linli.merchants import errors
from linli.merchants.models import (
    DutyReminder,
    Industry,
    Merchant,
    MerchantDay,
    MerchantStatus,
    MonthlyOffer,
)
from linli.merchants.selectors import net_sales, referrals_in_month


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end, time.min, tzinfo=zone),
    )


def offer_publish(
    *, merchant: Merchant, month: date, title: str, description: str, value_fen: int, actor: Any
) -> MonthlyOffer:
    """The merchant publishes (or replaces) its member offer for a month (A§2.1)."""
    if not merchant.holds_seat:
        raise errors.MerchantInactive()
    if isinstance(value_fen, bool) or not isinstance(value_fen, int) or value_fen < 0:
        raise errors.AmountInvalid()
    title = title.strip() if isinstance(title, str) else ""
    description = description.strip() if isinstance(description, str) else ""
    if not title or len(title) > 100 or len(description) > 500:
        raise errors.ApplicationInvalid(fields={"title": "required, at most 100 characters"})
    first = month.replace(day=1)
    with transaction.atomic():
        offer, _created = MonthlyOffer.objects.update_or_create(
            merchant=merchant,
            month=first,
            defaults={
                "community": merchant.community,
                "title": title,
                "description": description,
                "value_fen": value_fen,
                "published_at": timezone.now(),
            },
        )
        audit_record(
            actor=actor, action="merchant.offer_publish", target=offer, after=snapshot(offer)
        )
    return offer


@dataclass(frozen=True)
class OfferCheck:
    revenue_fen: int  # the month's net sales to members (`selectors.net_sales`)
    required_fen: int  # the policy's lowest share of that revenue
    value_fen: int | None  # None: nothing published
    is_short: bool


def offer_check(*, merchant: Merchant, month: date) -> OfferCheck:
    """Compare the month's offer value with the policy's lowest share of the month's net
    sales: undone and refunded sales are not revenue, a partial refund counts at net.
    Under a policy with the duty, no offer published is short even without revenue."""
    policy = policy_in_force(community=merchant.community)
    start, end = month_bounds(month)
    revenue = net_sales(merchant=merchant, since=start, until=end).net_fen
    required = revenue * policy.merchant_offer_min_bp // 10_000
    offer = MonthlyOffer.objects.filter(merchant=merchant, month=start.date()).first()
    value = offer.value_fen if offer else None
    # A policy without the duty (plan B: `merchant_offer_min_bp` 0) never finds one short.
    duty_on = policy.merchant_offer_min_bp > 0
    return OfferCheck(revenue, required, value, duty_on and (value is None or value < required))


def duty_reminders(*, now: datetime | None = None) -> int:
    """Weekly job: remind each seated merchant of this month's unmet duties (no offer
    published, offer below the share of revenue so far, referrals below the minimum).
    One reminder per merchant, ISO week and kind, so reruns add nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week = today - timedelta(days=today.weekday())
    sent = 0
    for merchant in Merchant.objects.filter(status=MerchantStatus.ACTIVE).select_related(
        "community"
    ):
        policy = policy_in_force(community=merchant.community)
        due: dict[str, dict[str, int]] = {}
        check = offer_check(merchant=merchant, month=today)
        if check.is_short and check.value_fen is None:
            due["offer"] = {"required_fen": check.required_fen}
        elif check.is_short and check.value_fen is not None:
            due["offer_short"] = {"required_fen": check.required_fen, "value_fen": check.value_fen}
        referred = referrals_in_month(merchant=merchant, month=today)
        if referred < policy.merchant_min_referrals_per_month:
            due["referrals"] = {
                "referred": referred,
                "required": policy.merchant_min_referrals_per_month,
            }
        for kind, detail in due.items():
            try:
                with transaction.atomic():
                    DutyReminder.objects.create(
                        community=merchant.community,
                        merchant=merchant,
                        week=week,
                        kind=kind,
                        detail=detail,
                    )
                sent += 1
            except IntegrityError:
                continue
    return sent


def merchant_day_set(
    *, community: Community, weekday: int, industry: Industry, joint_offer: str, actor: Any
) -> MerchantDay:
    """Put a trade on a weekday of the rota with its joint offer (A§5 商家日轮值)."""
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise errors.ApplicationInvalid(fields={"weekday": "0 (Monday) to 6 (Sunday)"})
    if industry.community_id != community.id or industry.parent_id is None:
        raise errors.IndustryInvalid()
    text = joint_offer.strip() if isinstance(joint_offer, str) else ""
    if len(text) > 200:
        raise errors.ApplicationInvalid(fields={"joint_offer": "at most 200 characters"})
    with transaction.atomic():
        day, _created = MerchantDay.objects.update_or_create(
            community=community,
            weekday=weekday,
            defaults={"industry": industry, "joint_offer": text},
        )
        audit_record(actor=actor, action="merchant.day_set", target=day, after=snapshot(day))
    return day
