"""Pages (thin): the cashier's till (phone first), the member's card, the receipt.

The till is three steps: scan or type the member code (a barcode gun types digits and
Enter), enter the amount and the member's mix, confirm. The preview shows a masked name.
"""

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from linli.commerce import (
    cards,
    coupon_errors,
    errors,
    limits,
    receipt_extras,
    selectors,
    services,
    vouchers,
)
from linli.commerce import receipt_pdf as pdf
from linli.commerce.models import SaleSource, VoucherPlatform
from linli.communities.audit import audit_ip
from linli.communities.models import Community
from linli.errors import DomainError, Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.members import pii
from linli.members.selectors import member_for_user
from linli.web.pages import community_or_404, error_message


def _fen(text: str) -> int:
    """Yuan as typed ("12.5") → fen; anything else → an amount error for the form."""
    try:
        value = Decimal((text or "").strip() or "0")
    except InvalidOperation:
        raise services.errors.AmountInvalid(max=services.MAX_SALE_FEN // 100) from None
    fen = value * 100
    if fen != fen.to_integral_value() or not 0 <= fen <= services.MAX_SALE_FEN:
        raise services.errors.AmountInvalid(max=services.MAX_SALE_FEN // 100)
    return int(fen)


def _units(text: str, scale: int) -> int:
    try:
        value = Decimal((text or "").strip() or "0") * (10**scale)
    except InvalidOperation:
        raise services.errors.MixInvalid() from None
    if value != value.to_integral_value() or not 0 <= value <= 10**10:
        raise services.errors.MixInvalid()
    return int(value)


def _price_lines(price: Any) -> dict[str, str]:
    """The member price shown at the till: list amount and each discount (if any)."""
    if price is None or price.amount_fen == price.list_fen:
        return {}
    return {
        "list": amount_display(price.list_fen, "CNY"),
        "member_discount": amount_display(price.member_discount_fen, "CNY"),
        "group_discount": amount_display(price.group_discount_fen, "CNY"),
    }


def _coupon_numbers(text: str) -> list[int]:
    """Coupon numbers as the member reads them out: "12, 15" → [12, 15]."""
    parts = [p for p in (text or "").replace("，", ",").replace(" ", ",").split(",") if p]
    if len(parts) > 5 or not all(p.isdigit() and len(p) <= 12 for p in parts):
        raise coupon_errors.CouponNotFound()
    return [int(p) for p in parts]


def _coupon_preview(preview: services.Preview) -> dict[str, Any]:
    plan = preview.coupon_plan
    if plan is None:
        return {}
    return {
        "gross": amount_display(preview.gross_fen, "CNY"),
        "discount": amount_display(plan.discount_fen, "CNY") if plan.discount_fen else "",
        "coupon_paid": amount_display(plan.paid_fen, "CNY") if plan.paid_fen else "",
    }


VOUCHER_FIELDS = ("voucher_platform", "voucher_code", "voucher_value")


def _voucher(form: dict[str, str]) -> vouchers.VoucherIn | None:
    """The platform voucher part as typed (value in yuan); none when code and value are
    both empty. The service checks the platform, the code and the value."""
    code, value = form["voucher_code"].strip(), form["voucher_value"].strip()
    if not code and not value:
        return None
    try:
        value_fen = _fen(value)
    except DomainError:
        raise services.errors.VoucherInvalid() from None
    return vouchers.VoucherIn(platform=form["voucher_platform"], code=code, value_fen=value_fen)


def _voucher_preview(preview: services.Preview) -> dict[str, Any]:
    if preview.voucher is None:
        return {}
    return {
        "voucher": amount_display(preview.voucher.value_fen, "CNY"),
        "voucher_code": vouchers.masked_code(preview.voucher.code),
    }


def _confirmation_preview(preview: services.Preview) -> dict[str, Any]:
    """Warn before confirming that the member will have to approve on their phone."""
    if preview.confirmation_above_fen is None:
        return {}
    return {"confirmation_above": amount_display(preview.confirmation_above_fen, "CNY")}


@login_required
@require_http_methods(["GET", "POST"])
def till(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    try:
        merchant, _role = selectors.till_for(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    fields = ("code", "pin", "amount", "coins", "points", "coupons", *VOUCHER_FIELDS)
    form = {k: request.POST.get(k, "") for k in fields}
    context: dict[str, Any] = {
        "community": community,
        "merchant": merchant,
        "form": form,
        "voucher_platforms": VoucherPlatform.choices,
    }
    if request.method == "POST":
        try:
            inputs: dict[str, Any] = {
                "code": form["code"],
                "pin": form["pin"],
                "amount_fen": _fen(form["amount"]),
                "coin_units": _units(form["coins"], 2),
                "points": _units(form["points"], 0),
                "coupon_ids": _coupon_numbers(form["coupons"]),
                "voucher": _voucher(form),
            }
            if request.POST.get("action") == "consume":
                sale, _replayed = services.sale_consume(
                    merchant=merchant,
                    clerk=request.user,
                    request_no=request.POST.get("request_no", ""),
                    source=SaleSource.MOBILE,
                    **inputs,
                )
                return redirect("commerce:receipt", slug=community.slug, sale_id=sale.id)
            preview = services.sale_prepare(merchant=merchant, clerk=request.user, **inputs)
            legs = [leg.as_json() for leg in preview.legs]
            context["preview"] = {
                "member": preview.masked_name,
                "tier": preview.tier,
                "amount": amount_display(preview.amount_fen, "CNY"),
                "cash": amount_display(preview.cash_fen, "CNY"),
                "coins": amount_display(preview.coin_units, "TIME"),
                "points": preview.points,
                "lines": selectors.receipt_lines(legs=legs, member=None),
                **_price_lines(preview.price),
                **_coupon_preview(preview),
                **_voucher_preview(preview),
                **_confirmation_preview(preview),
            }
            context["request_no"] = secrets.token_hex(8)
        except DomainError as error:
            context["error"] = error_message(error)
    return render(request, "commerce/till.html", context)


@login_required
def card(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id:
        raise Http404
    code = cards.member_code(card=cards.card_ensure(member=member))
    qr = segno.make(code, micro=False)
    context = {
        "community": community,
        "masked_name": pii.mask_name(member.display_name),
        "code": code,
        "code_spaced": " ".join(code[i : i + 4] for i in range(0, len(code), 4)),
        "qr_svg": qr.svg_inline(scale=6),
        "step_seconds": cards.STEP_SECONDS,
        "rotated": request.GET.get("rotated") == "1",
        "sales": member.purchases.select_related("merchant")[:10],
        "confirmations": [
            {
                "id": c.id,
                "shop": c.merchant.name,
                "created_at": c.created_at,
                "amount_yuan": amount_display(c.amount_fen, "CNY"),
                "coins_display": amount_display(c.coin_units, "TIME"),
                "points": c.points,
            }
            for c in limits.confirmations_pending(member=member)
        ],
    }
    return render(request, "commerce/card.html", context)


@login_required
def card_rotate(request: HttpRequest, slug: str) -> HttpResponse:
    """A lost phone: the member confirms, and their card gets a new secret (the old
    phone's codes stop working and its login ends; this one stays)."""
    community = community_or_404(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Http404
    context: dict[str, Any] = {"community": community}
    if request.method == "POST":
        try:
            if request.POST.get("confirm") != "yes":
                raise errors.RotateUnconfirmed()
            with audit_ip(request.META.get("REMOTE_ADDR")):
                cards.card_rotate(
                    member=member, actor=request.user, keep_session_key=request.session.session_key
                )
            return redirect(reverse("commerce:card", args=[community.slug]) + "?rotated=1")
        except DomainError as error:
            context["error"] = error_message(error)
    return render(request, "commerce/card_rotate.html", context)


def _sale_for_viewer(request: HttpRequest, slug: str, sale_id: int) -> tuple[Any, str, Community]:
    """The one permission of the receipt page, its 58 mm layout and its PDF
    (`selectors.sale_for_viewer`): the member, the shop's staff, oversight; else 404."""
    community = community_or_404(slug)
    try:
        sale, viewer = selectors.sale_for_viewer(
            user=request.user, community=community, sale_id=sale_id
        )
    except NotFound:
        raise Http404 from None
    return sale, viewer, community


def receipt_context(*, sale: Any, viewer: str, community: Community) -> dict[str, Any]:
    member = sale.member if viewer == "member" else None
    refunds = list(sale.refunds.all())
    return {
        "community": community,
        "sale": sale,
        "viewer": viewer,
        "member_name": pii.mask_name(sale.member.display_name),
        "amount": amount_display(sale.amount_fen, "CNY"),
        "cash": amount_display(sale.cash_fen, "CNY"),
        "coins": amount_display(sale.coin_units, "TIME"),
        "refunded": amount_display(sale.refunded_fen, "CNY"),
        "lines": selectors.receipt_lines(legs=sale.legs, member=member),
        "refunds": [(r, selectors.receipt_lines(legs=r.legs, member=member)) for r in refunds],
        "refund_amounts": {r.id: amount_display(r.amount_fen, "CNY") for r in refunds},
        **receipt_extras.receipt_extra_context(sale=sale),
    }


def receipt_pdf_response(*, sale: Any, viewer: str, community: Community) -> HttpResponse:
    """The receipt as a PDF download with CJK fonts (`receipt_pdf`)."""
    context = receipt_context(sale=sale, viewer=viewer, community=community)
    title = f"{gettext('Receipt')} {sale.request_no}"
    body = pdf.pdf_render(title=title, lines=pdf.sale_receipt_lines(context))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="linli-receipt-{sale.id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def receipt(request: HttpRequest, slug: str, sale_id: int) -> HttpResponse:
    sale, viewer, community = _sale_for_viewer(request, slug, sale_id)
    context = receipt_context(sale=sale, viewer=viewer, community=community)
    if request.GET.get("layout") == "58mm":
        return render(request, "commerce/receipt_58mm.html", context)
    return render(request, "commerce/receipt.html", context)


@login_required
def receipt_pdf(request: HttpRequest, slug: str, sale_id: int) -> HttpResponse:
    """The receipt as a PDF, for the same viewers as the page."""
    sale, viewer, community = _sale_for_viewer(request, slug, sale_id)
    return receipt_pdf_response(sale=sale, viewer=viewer, community=community)
