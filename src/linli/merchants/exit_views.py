"""The owner's "leave the alliance" page in the merchant console (issue 5): phone first,
what leaving would mean, a confirm box, then notice; the notice can be withdrawn until
the seat closes. Only the shop's owner sees it (`merchant.exit_notice`).

The committee's "exits" page: the shops serving notice, paged, with their closing day
and what blocks it (`merchant.exits_view`: operators and the chair); an operator records
a shop's notice on its behalf there, with a reason (`merchant.exit_record`)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from linli.errors import DomainError
from linli.ledger.display import amount_display
from linli.merchants import access, selectors
from linli.merchants.leaving import (
    ExitPreview,
    exit_in_progress,
    exit_notice_give,
    exit_notice_record,
    exit_preview,
    exits_page,
)
from linli.merchants.models import MerchantStatus
from linli.merchants.services import merchant_exit_withdraw
from linli.web.pages import community_or_404, error_message


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    job = selectors.staff_merchant(user=request.user, community=community)
    if job is None or not access.can(
        user=request.user, community=community, action="merchant.exit_notice", merchant=job[0]
    ):
        raise PermissionDenied
    merchant = job[0]
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                before = exit_preview(merchant=merchant)
                merchant_exit_withdraw(merchant=merchant, actor=request.user)
                messages.success(request, withdrawn_message(before))
            else:
                exit_notice_give(
                    merchant=merchant,
                    actor=request.user,
                    confirmed=request.POST.get("confirm") == "on",
                )
            return redirect("merchants:leave", slug=community.slug)
        except DomainError as exc:
            error = error_message(exc)
    preview = exit_preview(merchant=merchant)
    context = {
        "community": community,
        "merchant": merchant,
        "preview": preview,
        "error": error,
        "deposit_held": amount_display(preview.deposit_held_fen, "CNY"),
        "balance": amount_display(preview.balance_fen, "CNY"),
        "coupons_settled": amount_display(preview.coupons_settled_fen, "CNY"),
        "debt_left": amount_display(preview.debt_left_fen, "CNY"),
        "returned": amount_display(preview.return_fen, "CNY"),
    }
    return render(request, "merchants/leave.html", context, status=400 if error else 200)


def withdrawn_message(before: ExitPreview) -> str:
    """What the owner is told once the notice is withdrawn: what is on again, and that
    the flash sales the notice closed stay closed."""
    parts = [
        gettext("Notice withdrawn: your shop stays in the alliance."),
        ngettext(
            "%(n)s coupon members can claim again.",
            "%(n)s coupons members can claim again.",
            before.coupons_paused,
        )
        % {"n": before.coupons_paused},
        ngettext(
            "%(n)s cross-store campaign runs again.",
            "%(n)s cross-store campaigns run again.",
            before.campaigns_paused,
        )
        % {"n": before.campaigns_paused},
    ]
    if before.flash_sales_closed:
        parts.append(
            ngettext(
                "%(n)s flash sale the notice closed stays closed: publish a new one from the "
                "console.",
                "%(n)s flash sales the notice closed stay closed: publish new ones from the "
                "console.",
                before.flash_sales_closed,
            )
            % {"n": before.flash_sales_closed}
        )
    return " ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def exits(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    if not access.can(user=request.user, community=community, action="merchant.exits_view"):
        raise PermissionDenied
    can_record = access.can(user=request.user, community=community, action="merchant.exit_record")
    error = ""
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        try:
            recorded = _record_post(request, community)
            messages.success(
                request,
                gettext("Notice recorded for %(merchant)s.") % {"merchant": recorded.name},
            )
            return redirect("merchants:exits", slug=community.slug)
        except DomainError as exc:
            error = error_message(exc)
    page = exits_page(community=community, page=request.GET.get("page"))
    context = {
        "community": community,
        "error": error,
        "page": page,
        "rows": [_exit_row(m) for m in page.object_list],
        "can_record": can_record,
        "seated": selectors.merchants_seated(community=community).filter(
            status__in=[MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED]
        )
        if can_record
        else [],
        "reason": request.POST.get("reason", "") if error else "",
    }
    return render(request, "merchants/exits.html", context, status=400 if error else 200)


def _exit_row(merchant: Any) -> tuple[Any, str]:
    row = exit_in_progress(merchant=merchant)
    return row, amount_display(row.preview.debt_left_fen, "CNY")


def _record_post(request: HttpRequest, community: Any) -> Any:
    raw = request.POST.get("merchant", "")
    merchant = selectors.merchant_get(
        community=community,
        merchant_id=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0,
    )
    return exit_notice_record(
        merchant=merchant, actor=request.user, reason=request.POST.get("reason")
    )
