"""/api/v1/commerce/communities/{slug}/…: group-buys, pledges, pickups, cash top-ups and
ad slots (thin; the rules are in groupbuys.py, ads.py and topups.py).

Refusals are domain errors with a stable code, mapped to 4xx JSON by linli.api.
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from linli.commerce import ads, groupbuys, topups
from linli.commerce import groupbuy_errors as errors
from linli.commerce import groupbuy_selectors as selectors
from linli.commerce.models import AdBooking, Pledge
from linli.communities.models import Community
from linli.communities.selectors import community_get
from linli.errors import Forbidden, NotFound
from linli.members.models import Member
from linli.members.selectors import member_for_user
from linli.merchants.models import Merchant

router = Router(tags=["commerce: group-buys and ad slots"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
BASE = "/communities/{slug}"
BIG = 2**62


class TierIn(Schema):
    min_units: int = Field(ge=1, le=groupbuys.MAX_THRESHOLD_UNITS)
    price_fen: int = Field(ge=1, le=groupbuys.MAX_PRICE_FEN)


class GroupBuyIn(Schema):
    title: str = Field(min_length=1, max_length=groupbuys.MAX_TITLE)
    tiers: list[TierIn] = Field(min_length=1, max_length=groupbuys.MAX_TIERS)
    threshold_units: int = Field(ge=1, le=groupbuys.MAX_THRESHOLD_UNITS)
    deadline: datetime
    pickup_point: str = Field(min_length=1, max_length=groupbuys.MAX_PICKUP_POINT)
    margin_bp: int = Field(ge=0, le=10_000)
    merchant_id: int | None = Field(default=None, ge=1, le=BIG)  # operators, for a supplier


class TierOut(Schema):
    min_units: int
    price_fen: int


class PledgeOut(Schema):
    id: int
    group_buy_id: int
    units: int
    status: str
    held_fen: int
    paid_fen: int
    pickup_code: str | None
    picked_up: bool


class GroupBuyOut(Schema):
    id: int
    merchant: str
    title: str
    tiers: list[TierOut]
    threshold_units: int
    deadline: datetime
    pickup_point: str
    margin_bp: int
    status: str
    units_pledged: int
    price_now_fen: int
    final_price_fen: int | None
    my_pledge: PledgeOut | None = None


class PledgeIn(Schema):
    units: int = Field(ge=1, le=groupbuys.MAX_UNITS_PER_PLEDGE)


class PickupIn(Schema):
    code: str = Field(min_length=1, max_length=20)


class PickupOut(Schema):
    pledge_id: int
    group_buy: str
    units: int
    member: str


class TopUpIn(Schema):
    member_id: int = Field(ge=1, le=BIG)
    amount_fen: int = Field(ge=1, le=topups.MAX_TOP_UP_FEN)
    idempotency_key: str = Field(min_length=1, max_length=64)


class TopUpOut(Schema):
    journal_id: str
    replayed: bool
    backend: str


class SlotIn(Schema):
    name: str = Field(min_length=1, max_length=ads.MAX_NAME)
    position: str = Field(min_length=1, max_length=ads.MAX_NAME)
    price_fen: int = Field(ge=1, le=10**9)


class CellOut(Schema):
    month: str
    booked: bool
    mine: bool
    booking_id: int | None


class SlotOut(Schema):
    id: int
    name: str
    position: str
    price_fen: int
    months: list[CellOut] = []


class BookingIn(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


class BookingOut(Schema):
    id: int
    slot_id: int
    month: str
    price_fen: int
    status: str
    journal_id: str | None
    refund_journal_id: str | None


def _member(request: HttpRequest, community: Community) -> Member:
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Forbidden()
    return member


def _pledge_out(pledge: Pledge) -> dict[str, Any]:
    return {
        "id": pledge.id,
        "group_buy_id": pledge.group_buy_id,
        "units": pledge.units,
        "status": pledge.status,
        "held_fen": pledge.held_fen,
        "paid_fen": pledge.paid_fen,
        "pickup_code": pledge.pickup_code,
        "picked_up": pledge.picked_up_at is not None,
    }


def _group_buy_out(view: selectors.GroupBuyView) -> dict[str, Any]:
    gb = view.group_buy
    return {
        "id": gb.id,
        "merchant": gb.merchant.name,
        "title": gb.title,
        "tiers": gb.tiers,
        "threshold_units": gb.threshold_units,
        "deadline": gb.deadline,
        "pickup_point": gb.pickup_point,
        "margin_bp": gb.margin_bp,
        "status": gb.status,
        "units_pledged": view.units,
        "price_now_fen": groupbuys.tier_price(gb.tiers, view.units),
        "final_price_fen": gb.final_price_fen,
        "my_pledge": _pledge_out(view.my_pledge) if view.my_pledge else None,
    }


def _booking_out(booking: AdBooking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "slot_id": booking.slot_id,
        "month": f"{booking.month:%Y-%m}",
        "price_fen": booking.price_fen,
        "status": booking.status,
        "journal_id": str(booking.journal_id) if booking.journal_id else None,
        "refund_journal_id": str(booking.refund_journal_id) if booking.refund_journal_id else None,
    }


# --- group-buys ----------------------------------------------------------------------------


@router.get(BASE + "/group-buys", response=list[GroupBuyOut])
def group_buy_list(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = community_get(slug=slug)
    member = member_for_user(user=request.user)
    if member is not None and member.community_id != community.id:
        member = None
    if member is None and not selectors.group_buys_managed(user=request.user, community=community):
        raise Forbidden()
    views = selectors.group_buys_for_members(community=community, member=member)
    return [_group_buy_out(v) for v in views]


@router.post(BASE + "/group-buys", response={201: GroupBuyOut})
def group_buy_create(request: HttpRequest, slug: Slug, body: GroupBuyIn) -> Status:
    community = community_get(slug=slug)
    merchant = None
    if body.merchant_id is not None:
        merchant = Merchant.objects.filter(community=community, id=body.merchant_id).first()
        if merchant is None:
            raise NotFound()
    gb = groupbuys.group_buy_create(
        actor=request.user,
        community=community,
        merchant=merchant,
        title=body.title,
        tiers=[t.dict() for t in body.tiers],
        threshold_units=body.threshold_units,
        deadline=body.deadline,
        pickup_point=body.pickup_point,
        margin_bp=body.margin_bp,
    )
    return Status(201, _group_buy_out(selectors.group_buy_view(group_buy=gb, member=None)))


@router.get(BASE + "/group-buys/{group_buy_id}", response=GroupBuyOut)
def group_buy_detail(request: HttpRequest, slug: Slug, group_buy_id: int) -> dict[str, Any]:
    community = community_get(slug=slug)
    member = _member(request, community)
    gb = selectors.group_buy_get(community=community, group_buy_id=group_buy_id)
    return _group_buy_out(selectors.group_buy_view(group_buy=gb, member=member))


@router.post(BASE + "/group-buys/{group_buy_id}/pledges", response={201: PledgeOut})
def pledge_create(request: HttpRequest, slug: Slug, group_buy_id: int, body: PledgeIn) -> Status:
    community = community_get(slug=slug)
    member = _member(request, community)
    gb = selectors.group_buy_get(community=community, group_buy_id=group_buy_id)
    pledge = groupbuys.group_buy_pledge(group_buy=gb, member=member, units=body.units)
    return Status(201, _pledge_out(pledge))


@router.post(BASE + "/pledges/{pledge_id}/withdraw", response=PledgeOut)
def pledge_withdraw(request: HttpRequest, slug: Slug, pledge_id: int) -> dict[str, Any]:
    community = community_get(slug=slug)
    member = _member(request, community)
    pledge = selectors.pledge_of_member(member=member, pledge_id=pledge_id)
    return _pledge_out(groupbuys.pledge_withdraw(pledge=pledge, member=member))


@router.post(BASE + "/group-buys/{group_buy_id}/close", response=GroupBuyOut)
def group_buy_close(request: HttpRequest, slug: Slug, group_buy_id: int) -> dict[str, Any]:
    community = community_get(slug=slug)
    gb = selectors.group_buy_get(community=community, group_buy_id=group_buy_id)
    closed = groupbuys.group_buy_close(group_buy=gb, actor=request.user)
    return _group_buy_out(selectors.group_buy_view(group_buy=closed, member=None))


@router.post(BASE + "/pickups", response=PickupOut)
def pickup(request: HttpRequest, slug: Slug, body: PickupIn) -> dict[str, Any]:
    community = community_get(slug=slug)
    pledge = groupbuys.pickup_confirm(actor=request.user, community=community, code=body.code)
    return {
        "pledge_id": pledge.id,
        "group_buy": pledge.group_buy.title,
        "units": pledge.units,
        "member": (pledge.member.display_name[:1] + "**") if pledge.member.display_name else "**",
    }


@router.post(BASE + "/wallet-top-ups", response={201: TopUpOut, 200: TopUpOut})
def wallet_top_up(request: HttpRequest, slug: Slug, body: TopUpIn) -> Status:
    community = community_get(slug=slug)
    posted = topups.wallet_cash_top_up(
        community=community,
        actor=request.user,
        member_id=body.member_id,
        amount_fen=body.amount_fen,
        idempotency_key=body.idempotency_key,
    )
    out = {
        "journal_id": str(posted.journal_id),
        "replayed": posted.replayed,
        "backend": topups.BACKEND,
    }
    return Status(200 if posted.replayed else 201, out)


# --- ad slots ------------------------------------------------------------------------------


@router.get(BASE + "/ad-slots", response=list[SlotOut])
def ad_slot_calendar(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = community_get(slug=slug)
    merchant = selectors.ad_viewer_merchant(user=request.user, community=community)
    return [
        {
            "id": row.slot.id,
            "name": row.slot.name,
            "position": row.slot.position,
            "price_fen": row.slot.price_fen,
            "months": [
                {
                    "month": f"{cell.month:%Y-%m}",
                    "booked": cell.booking is not None,
                    "mine": cell.mine,
                    "booking_id": cell.booking.id if cell.mine and cell.booking else None,
                }
                for cell in row.cells
            ],
        }
        for row in selectors.ad_calendar(community=community, merchant=merchant)
    ]


@router.post(BASE + "/ad-slots", response={201: SlotOut})
def ad_slot_create(request: HttpRequest, slug: Slug, body: SlotIn) -> Status:
    community = community_get(slug=slug)
    slot = ads.ad_slot_create(
        community=community,
        actor=request.user,
        name=body.name,
        position=body.position,
        price_fen=body.price_fen,
    )
    out = {"id": slot.id, "name": slot.name, "position": slot.position, "price_fen": slot.price_fen}
    return Status(201, out)


def parse_month(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[5:7]), 1)
    except ValueError:
        raise errors.AdMonthInvalid(max=ads.MAX_MONTHS_AHEAD) from None


@router.post(BASE + "/ad-slots/{slot_id}/bookings", response={201: BookingOut})
def ad_book(request: HttpRequest, slug: Slug, slot_id: int, body: BookingIn) -> Status:
    community = community_get(slug=slug)
    slot = selectors.ad_slot_get(community=community, slot_id=slot_id)
    booking = ads.ad_book(actor=request.user, slot=slot, month=parse_month(body.month))
    return Status(201, _booking_out(booking))


@router.post(BASE + "/ad-bookings/{booking_id}/cancel", response=BookingOut)
def ad_cancel(request: HttpRequest, slug: Slug, booking_id: int) -> dict[str, Any]:
    community = community_get(slug=slug)
    booking = selectors.ad_booking_get(community=community, booking_id=booking_id)
    return _booking_out(ads.ad_booking_cancel(actor=request.user, booking=booking))
