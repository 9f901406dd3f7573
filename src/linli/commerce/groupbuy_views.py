"""Pages (thin): the member's group-buys (pledge, withdraw, pickup code), the shop's
group-buy desk (create, confirm pickups; operators also close and take cash top-ups), and
the ad-slot booking calendar."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from linli.commerce import ads, groupbuys, topups
from linli.commerce import groupbuy_errors as errors
from linli.commerce import groupbuy_selectors as selectors
from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError, Forbidden, NotFound
from linli.members.models import Member
from linli.members.selectors import member_for_user
from linli.merchants.models import Merchant
from linli.merchants.selectors import staff_merchant
from linli.web.pages import community_or_404, error_message

TIER_ROWS = 3


def _member_or_404(request: HttpRequest, community: Community) -> Member:
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Http404
    return member


def _whole(text: str, error: DomainError) -> int:
    cleaned = (text or "").strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 12:
        raise error
    return int(cleaned)


def _fen(text: str, error: DomainError) -> int:
    """Yuan as typed ("38", "37.5") → fen, or `error`."""
    try:
        value = Decimal((text or "").strip()) * 100
    except InvalidOperation:
        raise error from None
    if not value.is_finite() or value != value.to_integral_value() or not 0 < value < 10**12:
        raise error
    return int(value)


# --- member pages ----------------------------------------------------------------------------


@login_required
def group_buy_list(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    member = _member_or_404(request, community)
    context = {
        "community": community,
        "views": selectors.group_buys_for_members(community=community, member=member),
        "wallet": selectors.yuan(selectors.wallet_available_fen(member=member)),
    }
    return render(request, "commerce/group_buys.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def group_buy_detail(request: HttpRequest, slug: str, group_buy_id: int) -> HttpResponse:
    community = community_or_404(slug)
    member = _member_or_404(request, community)
    try:
        gb = selectors.group_buy_get(community=community, group_buy_id=group_buy_id)
    except NotFound:
        raise Http404 from None
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                pledge = selectors.pledge_of_member(
                    member=member, pledge_id=_whole(request.POST.get("pledge", ""), NotFound())
                )
                groupbuys.pledge_withdraw(pledge=pledge, member=member)
                messages.success(request, gettext("Pledge withdrawn; the money is released."))
            else:
                units = _whole(
                    request.POST.get("units", ""),
                    errors.PledgeInvalid(max=groupbuys.MAX_UNITS_PER_PLEDGE),
                )
                groupbuys.group_buy_pledge(group_buy=gb, member=member, units=units)
                messages.success(request, gettext("Pledged. The money is held until the deadline."))
            return redirect("commerce:group_buy", slug=community.slug, group_buy_id=gb.id)
        except DomainError as exc:
            error = error_message(exc)
    context = {
        "community": community,
        "view": selectors.group_buy_view(group_buy=gb, member=member),
        "wallet": selectors.yuan(selectors.wallet_available_fen(member=member)),
        "max_units": groupbuys.MAX_UNITS_PER_PLEDGE,
        "error": error,
    }
    return render(request, "commerce/group_buy.html", context, status=400 if error else 200)


# --- the shop's group-buy desk -----------------------------------------------------------------


def _desk_roles(user: Any, community: Community) -> dict[str, Any]:
    job = staff_merchant(user=user, community=community)
    roles = {
        "merchant": job[0] if job else None,
        "can_create": has_permission(user=user, community=community, action="groupbuy.create"),
        "can_pickup": job is not None
        and has_permission(user=user, community=community, action="sale.record"),
        "can_settle": has_permission(user=user, community=community, action="groupbuy.settle"),
        "can_top_up": has_permission(user=user, community=community, action="wallet.cash_top_up"),
    }
    if not any(v for k, v in roles.items() if k != "merchant"):
        raise PermissionDenied
    return roles


def _deadline(text: str) -> datetime:
    try:
        naive = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise errors.GroupBuyInvalid(reason=gettext("enter a deadline")) from None
    if naive.tzinfo is not None:
        return naive
    return timezone.make_aware(naive)


def _tiers(post: Any) -> list[dict[str, int]]:
    tiers = []
    bad = errors.GroupBuyInvalid(reason=gettext("check the price tiers"))
    for row in range(1, TIER_ROWS + 1):
        units, price = post.get(f"tier{row}_units", ""), post.get(f"tier{row}_price", "")
        if not units.strip() and not price.strip():
            continue
        tiers.append({"min_units": _whole(units, bad), "price_fen": _fen(price, bad)})
    return tiers


def _margin_bp(text: str) -> int:
    """The margin typed in percent ("8" or "7.5") → basis points."""
    try:
        value = Decimal((text or "0").strip() or "0") * 100
    except InvalidOperation:
        raise errors.GroupBuyInvalid(reason=gettext("check the margin")) from None
    if not value.is_finite() or value != value.to_integral_value() or not 0 <= value <= 10_000:
        raise errors.GroupBuyInvalid(reason=gettext("check the margin"))
    return int(value)


def _desk_post(request: HttpRequest, community: Community, roles: dict[str, Any]) -> str:
    """One desk action; returns the success message."""
    action, post = request.POST.get("action", ""), request.POST
    if action == "create" and roles["can_create"]:
        merchant = None
        if post.get("merchant") and roles["can_settle"]:
            merchant_id = _whole(post.get("merchant", ""), NotFound())
            merchant = Merchant.objects.filter(community=community, id=merchant_id).first()
            if merchant is None:
                raise NotFound()
        groupbuys.group_buy_create(
            actor=request.user,
            community=community,
            merchant=merchant,
            title=post.get("title", ""),
            tiers=_tiers(post),
            threshold_units=_whole(
                post.get("threshold", ""),
                errors.GroupBuyInvalid(reason=gettext("enter the minimum units")),
            ),
            deadline=_deadline(post.get("deadline", "")),
            pickup_point=post.get("pickup_point", ""),
            margin_bp=_margin_bp(post.get("margin", "")),
        )
        return gettext("Group-buy published.")
    if action == "pickup" and roles["can_pickup"]:
        pledge = groupbuys.pickup_confirm(
            actor=request.user, community=community, code=post.get("code", "")
        )
        return gettext("Pickup confirmed: %(units)s × %(item)s.") % {
            "units": pledge.units,
            "item": pledge.group_buy.title,
        }
    if action == "close" and roles["can_settle"]:
        gb = selectors.group_buy_get(
            community=community, group_buy_id=_whole(post.get("group_buy", ""), NotFound())
        )
        groupbuys.group_buy_close(group_buy=gb, actor=request.user)
        return gettext("Group-buy closed.")
    if action == "top_up" and roles["can_top_up"]:
        bad = errors.TopUpInvalid(max=topups.MAX_TOP_UP_FEN // 100)
        topups.wallet_cash_top_up(
            community=community,
            actor=request.user,
            member_id=_whole(post.get("member", ""), NotFound()),
            amount_fen=_fen(post.get("amount", ""), bad),
            idempotency_key=(post.get("request_no", "") or "")[:64],
        )
        return gettext("Cash top-up recorded (operator-confirmed cash).")
    raise Forbidden()


@login_required
@require_http_methods(["GET", "POST"])
def group_buy_desk(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    roles = _desk_roles(request.user, community)
    error = ""
    if request.method == "POST":
        try:
            messages.success(request, _desk_post(request, community, roles))
            return redirect("commerce:group_buy_desk", slug=community.slug)
        except Forbidden:
            raise PermissionDenied from None
        except DomainError as exc:
            error = error_message(exc)
    policy = policy_in_force(community=community)
    context = {
        **roles,
        "community": community,
        "error": error,
        "form": request.POST if error else {},
        "views": selectors.group_buys_managed(user=request.user, community=community),
        "tier_rows": range(1, TIER_ROWS + 1),
        "margin_low": Decimal(policy.group_buy_margin_min_bp) / 100,
        "margin_high": Decimal(policy.group_buy_margin_max_bp) / 100,
        "merchants": Merchant.objects.filter(community=community, status="active").order_by("id")
        if roles["can_settle"]
        else [],
        "now": timezone.now(),
        "request_no": timezone.now().strftime("%Y%m%d%H%M%S%f"),
        "top_up_backend": topups.BACKEND,
    }
    return render(request, "commerce/group_buy_desk.html", context, status=400 if error else 200)


# --- ad slots ------------------------------------------------------------------------------------


def _month(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise errors.AdMonthInvalid(max=ads.MAX_MONTHS_AHEAD) from None


def _ads_post(request: HttpRequest, community: Community) -> str:
    action, post = request.POST.get("action", ""), request.POST
    if action == "slot":
        bad = errors.AdSlotInvalid(reason=gettext("check the price"))
        ads.ad_slot_create(
            community=community,
            actor=request.user,
            name=post.get("name", ""),
            position=post.get("position", ""),
            price_fen=_fen(post.get("price", ""), bad),
        )
        return gettext("Ad slot added.")
    if action == "book":
        slot = selectors.ad_slot_get(
            community=community, slot_id=_whole(post.get("slot", ""), NotFound())
        )
        booking = ads.ad_book(actor=request.user, slot=slot, month=_month(post.get("month", "")))
        return gettext("Booked %(slot)s for %(month)s.") % {
            "slot": slot.name,
            "month": f"{booking.month:%Y-%m}",
        }
    if action == "cancel":
        booking = selectors.ad_booking_get(
            community=community, booking_id=_whole(post.get("booking", ""), NotFound())
        )
        ads.ad_booking_cancel(actor=request.user, booking=booking)
        return gettext("Booking cancelled and refunded.")
    raise Forbidden()


@login_required
@require_http_methods(["GET", "POST"])
def ad_slots(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    try:
        merchant = selectors.ad_viewer_merchant(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    error = ""
    if request.method == "POST":
        try:
            messages.success(request, _ads_post(request, community))
            return redirect("commerce:ad_slots", slug=community.slug)
        except Forbidden:
            raise PermissionDenied from None
        except DomainError as exc:
            error = error_message(exc)
    policy = policy_in_force(community=community)
    context = {
        "community": community,
        "merchant": merchant,
        "can_manage": has_permission(
            user=request.user, community=community, action="adslot.manage"
        ),
        "rows": selectors.ad_calendar(community=community, merchant=merchant),
        "months": selectors.calendar_months(),
        "balance": selectors.yuan(selectors.merchant_available_fen(merchant=merchant))
        if merchant
        else None,
        "price_low": selectors.yuan(policy.ad_slot_price_min_fen),
        "price_high": selectors.yuan(policy.ad_slot_price_max_fen),
        "error": error,
    }
    return render(request, "commerce/ad_slots.html", context, status=400 if error else 200)
