"""The owner's "leave the alliance" page in the merchant console (issue 5): phone first,
what leaving would mean, a confirm box, then notice; the notice can be withdrawn until
the seat closes. Only the shop's owner sees it (`merchant.exit_notice`)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from linli.errors import DomainError
from linli.ledger.display import amount_display
from linli.merchants import access, selectors
from linli.merchants.leaving import exit_notice_give, exit_preview
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
                merchant_exit_withdraw(merchant=merchant, actor=request.user)
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
