"""Bundle pages (thin): the member's shelf and pieces, the operator's composer, and the
redemption step at the merchant's till (code → check → redeem)."""

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from linli.commerce import bundle_selectors as selectors
from linli.commerce import bundles, lots, member_prices, points
from linli.commerce.bundle_models import BundlePiece
from linli.commerce.price_api import discount_out, owner_shop
from linli.commerce.views import _fen
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError, Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.members import pii
from linli.members.selectors import member_for_user
from linli.web.pages import community_or_404, error_message

ASSET_NAMES: dict[str, Any] = {
    "CNY": _("yuan (wallet)"),
    "TIME": _("time coins"),
    "PTS": _("points"),
}
ITEM_ROWS = 4  # the page composes up to 4 items; the API takes up to 8


def _shelf_row(bundle: Any) -> dict[str, Any]:
    return {
        "bundle": bundle,
        "price": amount_display(bundle.price_fen, "CNY"),
        "total": amount_display(bundle.list_total_fen, "CNY"),
        "percent": selectors.discount_percent(bundle),
        "items": [
            (item.merchant.name, item.title, amount_display(item.list_price_fen, "CNY"))
            for item in bundle.items.all()
        ],
        "options": [
            (o.asset, ASSET_NAMES.get(o.asset, o.asset), o.shown)
            for o in selectors.price_options(bundle=bundle)
        ],
    }


def _order_row(order: Any) -> dict[str, Any]:
    return {
        "order": order,
        "paid": amount_display(order.units, order.asset),
        "asset": ASSET_NAMES.get(order.asset, order.asset),
        "pieces": [
            {
                "piece": piece,
                "share": amount_display(piece.units, order.asset),
                "code": f"{piece.code[:5]} {piece.code[5:]}",
            }
            for piece in order.pieces.all()
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def shelf(request: HttpRequest, slug: str) -> HttpResponse:
    """Members: bundles on sale (buy with one tap) and their bought pieces with codes."""
    community = community_or_404(slug)
    try:
        member = selectors.buyer_for(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    context: dict[str, Any] = {"community": community}
    if request.method == "POST":
        try:
            bundle_id = request.POST.get("bundle", "")
            bundle = selectors.bundle_get(
                community=community, bundle_id=int(bundle_id) if bundle_id.isdigit() else 0
            )
            bundles.bundle_buy(
                bundle=bundle,
                member=member,
                asset=request.POST.get("asset", ""),
                request_no=request.POST.get("request_no", ""),
            )
            return redirect("commerce:bundles", slug=community.slug)
        except NotFound:
            context["error"] = error_message(bundles.BundleNotOnSale())
        except DomainError as error:
            context["error"] = error_message(error)
    context["shelf"] = [_shelf_row(b) for b in selectors.bundles_on_sale(community=community)]
    context["orders"] = [_order_row(o) for o in selectors.orders_of(member=member)]
    context["request_no"] = secrets.token_hex(8)
    return render(request, "commerce/bundles.html", context)


def _items_from(post: Any) -> list[dict[str, Any]]:
    items = []
    for row in range(ITEM_ROWS):
        merchant = post.get(f"merchant_{row}", "")
        if not merchant:
            continue
        item: dict[str, Any] = {
            "merchant_id": int(merchant) if merchant.isdigit() else 0,
            "title": post.get(f"title_{row}", ""),
            "list_price_fen": _fen(post.get(f"price_{row}", "")),
        }
        share = post.get(f"share_{row}", "").strip()
        if share:
            item["share_bp"] = int(share) if share.isdigit() else 0
        items.append(item)
    return items


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """Operators compose bundles from several merchants and withdraw them."""
    community = community_or_404(slug)
    try:
        selectors.require_manager(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    context: dict[str, Any] = {"community": community, "form": request.POST}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                withdrawn = request.POST.get("bundle", "")
                bundles.bundle_withdraw(
                    bundle=selectors.bundle_get(
                        community=community,
                        bundle_id=int(withdrawn) if withdrawn.isdigit() else 0,
                    )
                )
                return redirect("commerce:bundle_manage", slug=community.slug)
            days = request.POST.get("valid_days", "")
            bundles.bundle_create(
                community=community,
                actor=request.user,
                title=request.POST.get("title", ""),
                price_fen=_fen(request.POST.get("price", "")),
                valid_days=int(days) if days.isdigit() and len(days) < 5 else 0,
                share_rule=request.POST.get("share_rule", "proportional"),
                items=_items_from(request.POST),
            )
            return redirect("commerce:bundle_manage", slug=community.slug)
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            context["error"] = error_message(error)
    context["bundles"] = [_shelf_row(b) for b in selectors.bundles_all(community=community)]
    context["merchants"] = selectors.active_merchants(community=community)
    context["rows"] = [
        {
            "n": n,
            "merchant": request.POST.get(f"merchant_{n}", ""),
            "title": request.POST.get(f"title_{n}", ""),
            "price": request.POST.get(f"price_{n}", ""),
            "share": request.POST.get(f"share_{n}", ""),
        }
        for n in range(ITEM_ROWS)
    ]
    return render(request, "commerce/bundle_manage.html", context)


def _piece_view(piece: BundlePiece) -> dict[str, Any]:
    return {
        "bundle": piece.order.bundle.title,
        "title": piece.item.title,
        "member": pii.mask_name(piece.order.member.display_name),
        "share": amount_display(piece.units, piece.order.asset),
        "asset": ASSET_NAMES.get(piece.order.asset, piece.order.asset),
    }


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, slug: str) -> HttpResponse:
    """The merchant's till: type or scan the piece code, check, redeem."""
    community = community_or_404(slug)
    try:
        merchant = selectors.redeemer_for(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    code = request.POST.get("code", "")
    context: dict[str, Any] = {"community": community, "merchant": merchant, "code": code}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "redeem":
                piece = bundles.bundle_redeem(merchant=merchant, clerk=request.user, code=code)
                context["redeemed"] = _piece_view(piece)
                context["code"] = ""
            else:
                context["check"] = _piece_view(bundles.piece_for_till(merchant=merchant, code=code))
        except DomainError as error:
            context["error"] = error_message(error)
    return render(request, "commerce/bundle_redeem.html", context)


def _basis_points(percent: str) -> int | None:
    """ "12.5" (% off) → 1250 bp; anything else → None (refused by the range check)."""
    try:
        value = Decimal((percent or "").strip()) * 100
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > 10**6:
        return None
    return int(value)


@login_required
@require_http_methods(["GET", "POST"])
def member_price(request: HttpRequest, slug: str) -> HttpResponse:
    """The shop owner sets the member discount, inside the policy's range."""
    community = community_or_404(slug)
    try:
        merchant = owner_shop(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    context: dict[str, Any] = {"community": community, "merchant": merchant}
    if request.method == "POST":
        try:
            member_prices.member_discount_set(
                merchant=merchant,
                actor=request.user,
                discount_bp=_basis_points(request.POST.get("percent", "")),
            )
            context["saved"] = True
        except DomainError as error:
            context["error"] = error_message(error)
    now = discount_out(merchant)
    context["current"] = f"{now['discount_bp'] / 100:g}" if now["discount_bp"] is not None else ""
    context["low"] = f"{now['min_bp'] / 100:g}"
    context["high"] = f"{now['max_bp'] / 100:g}"
    context["group"] = f"{now['interest_group_discount_bp'] / 100:g}"
    return render(request, "commerce/member_price.html", context)


@login_required
def points_page(request: HttpRequest, slug: str) -> HttpResponse:
    """积分: the rules of the policy in force, the member's balance and ledger history."""
    community = community_or_404(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id:
        raise Http404
    policy = policy_in_force(community=community)
    lots.lots_sync(member=member)  # the lots follow the ledger (commerce/lots.py)
    before = request.GET.get("before", "")
    history, next_before = points.history_page(
        member=member, before_seq=int(before) if before.isdigit() and len(before) < 15 else None
    )
    context = {
        "community": community,
        "issued": points.points_issued(policy),
        "rules": points.earning_rules(policy),
        "summary": points.points_summary(member=member),
        "lots": points.points_lots(member=member),
        "history": history,
        "next_before": next_before,
    }
    return render(request, "commerce/points.html", context)
