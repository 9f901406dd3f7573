"""Reads for group-buys and ad slots: what a member sees, what a shop manages, the
booking calendar."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from linli.commerce.accounts import member_wallet, merchant_account
from linli.commerce.ads import MAX_MONTHS_AHEAD, month_add, month_start
from linli.commerce.groupbuys import tier_price
from linli.commerce.models import (
    AdBooking,
    AdBookingStatus,
    AdSlot,
    GroupBuy,
    GroupBuyStatus,
    Pledge,
    PledgeStatus,
)
from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.errors import Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.ledger.selectors import account_balances
from linli.members.models import Member
from linli.merchants.models import Merchant
from linli.merchants.selectors import staff_merchant

CALENDAR_MONTHS = 6


def yuan(fen: int) -> str:
    return amount_display(fen, "CNY")


def pledged_units(*, group_buy: GroupBuy) -> int:
    held = Pledge.objects.filter(group_buy=group_buy, status=PledgeStatus.HELD)
    return held.aggregate(total=Sum("units"))["total"] or 0


@dataclass
class GroupBuyView:
    """A group-buy as a member sees it: progress, the price now, and their pledge."""

    group_buy: GroupBuy
    units: int
    price_now: str
    first_price: str
    tiers: list[dict[str, Any]]
    threshold_left: int
    my_pledge: Pledge | None
    is_open: bool
    my_held: str = ""
    my_paid: str = ""


def group_buy_view(*, group_buy: GroupBuy, member: Member | None) -> GroupBuyView:
    units = (
        pledged_units(group_buy=group_buy)
        if group_buy.status == GroupBuyStatus.OPEN
        else group_buy.settled_units
    )
    mine = None
    if member is not None:
        mine = (
            Pledge.objects.filter(group_buy=group_buy, member=member)
            .exclude(status=PledgeStatus.WITHDRAWN)
            .order_by("-id")
            .first()
        )
    return GroupBuyView(
        group_buy=group_buy,
        units=units,
        price_now=yuan(tier_price(group_buy.tiers, units)),
        first_price=yuan(group_buy.first_price_fen),
        tiers=[
            {"min_units": t["min_units"], "price": yuan(t["price_fen"])} for t in group_buy.tiers
        ],
        threshold_left=max(0, group_buy.threshold_units - units),
        my_pledge=mine,
        my_held=yuan(mine.held_fen) if mine else "",
        my_paid=yuan(mine.paid_fen) if mine else "",
        is_open=group_buy.status == GroupBuyStatus.OPEN and timezone.now() < group_buy.deadline,
    )


def group_buys_for_members(*, community: Community, member: Member | None) -> list[GroupBuyView]:
    """Open group-buys (soonest deadline first), then the closed ones the member joined."""
    open_ones = GroupBuy.objects.filter(
        community=community, status=GroupBuyStatus.OPEN, deadline__gt=timezone.now()
    ).select_related("merchant")
    views = [group_buy_view(group_buy=g, member=member) for g in open_ones[:50]]
    if member is not None:
        joined = (
            GroupBuy.objects.filter(community=community, pledges__member=member)
            .exclude(id__in=[v.group_buy.id for v in views])
            .distinct()
            .select_related("merchant")
            .order_by("-deadline")
        )
        views += [group_buy_view(group_buy=g, member=member) for g in joined[:20]]
    return views


def group_buy_get(*, community: Community, group_buy_id: Any) -> GroupBuy:
    if not isinstance(group_buy_id, int) or not 1 <= group_buy_id <= 2**62:
        raise NotFound()
    found = (
        GroupBuy.objects.filter(community=community, id=group_buy_id)
        .select_related("merchant", "community")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def pledge_of_member(*, member: Member, pledge_id: Any) -> Pledge:
    if not isinstance(pledge_id, int) or not 1 <= pledge_id <= 2**62:
        raise NotFound()
    found = Pledge.objects.filter(member=member, id=pledge_id).first()
    if found is None:
        raise NotFound()
    return found


def group_buys_managed(*, user: Any, community: Community) -> list[GroupBuyView]:
    """A shop's own group-buys; every group-buy of the community for an operator."""
    found = GroupBuy.objects.filter(community=community).select_related("merchant")
    if not has_permission(user=user, community=community, action="groupbuy.settle"):
        job = staff_merchant(user=user, community=community)
        if job is None:
            return []
        found = found.filter(merchant=job[0])
    return [group_buy_view(group_buy=g, member=None) for g in found.order_by("-deadline")[:50]]


def wallet_available_fen(*, member: Member) -> int:
    return account_balances(account=member_wallet(member)).available


def merchant_available_fen(*, merchant: Merchant) -> int:
    return account_balances(account=merchant_account(merchant)).available


# --- the ad booking calendar -----------------------------------------------------------------


@dataclass
class CalendarCell:
    month: date
    booking: AdBooking | None
    mine: bool
    cancellable: bool


@dataclass
class CalendarRow:
    slot: AdSlot
    price: str
    cells: list[CalendarCell]


def calendar_months(*, today: date | None = None) -> list[date]:
    first = month_start(today or timezone.localdate())
    return [month_add(first, i) for i in range(min(CALENDAR_MONTHS, MAX_MONTHS_AHEAD + 1))]


def ad_calendar(*, community: Community, merchant: Merchant | None) -> list[CalendarRow]:
    """Every active slot × the next months: free, booked by this shop, or taken."""
    months = calendar_months()
    slots = list(AdSlot.objects.filter(community=community, is_active=True))
    bookings = {
        (b.slot_id, b.month): b
        for b in AdBooking.objects.filter(
            community=community,
            status=AdBookingStatus.BOOKED,
            month__gte=months[0],
            month__lte=months[-1],
        )
    }
    rows = []
    for slot in slots:
        cells = []
        for month in months:
            booking = bookings.get((slot.id, month))
            mine = (
                booking is not None and merchant is not None and booking.merchant_id == merchant.id
            )
            cells.append(CalendarCell(month, booking, mine, mine and month > months[0]))
        rows.append(CalendarRow(slot, yuan(slot.price_fen), cells))
    return rows


def ad_viewer_merchant(*, user: Any, community: Community) -> Merchant | None:
    """Who reads the calendar: an owner (their shop), an operator (None), else Forbidden."""
    if has_permission(user=user, community=community, action="adslot.book"):
        job = staff_merchant(user=user, community=community)
        if job is not None:
            return job[0]
    if has_permission(user=user, community=community, action="adslot.manage"):
        return None
    raise Forbidden()


def ad_slot_get(*, community: Community, slot_id: Any) -> AdSlot:
    if not isinstance(slot_id, int) or not 1 <= slot_id <= 2**62:
        raise NotFound()
    slot = AdSlot.objects.filter(community=community, id=slot_id, is_active=True).first()
    if slot is None:
        raise NotFound()
    return slot


def ad_booking_get(*, community: Community, booking_id: Any) -> AdBooking:
    if not isinstance(booking_id, int) or not 1 <= booking_id <= 2**62:
        raise NotFound()
    booking = AdBooking.objects.filter(community=community, id=booking_id).first()
    if booking is None:
        raise NotFound()
    return booking
