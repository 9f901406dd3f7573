"""Pages (thin) for the merchant's back office — sales list, daily settlement (with CSV),
核销 log — the committee's anomaly view (reads in `reports.py`), and the member's answer
to a sale awaiting their approval (`limits.confirmation_decide`)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from linli.commerce import limits, reports
from linli.commerce.models import SaleSource, SaleStatus
from linli.commerce.refusals import REFUSAL_LABELS
from linli.commerce.reports_api import settlement_csv_response
from linli.communities.models import Community
from linli.errors import DomainError, Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.members.selectors import member_for_user
from linli.merchants.models import StaffRole
from linli.web.pages import community_or_404, error_message


def _reader(request: HttpRequest, community: Community, action: str) -> tuple[Any, str]:
    try:
        return reports.shop_reader(user=request.user, community=community, action=action)
    except Forbidden:
        raise PermissionDenied from None


def _range(request: HttpRequest) -> tuple[Any, Any, str]:
    """The page's date range, or the default week and the error to show."""
    try:
        date_from, date_to = reports.date_range(
            reports.parse_day(request.GET.get("from")), reports.parse_day(request.GET.get("to"))
        )
        return date_from, date_to, ""
    except DomainError as error:
        date_from, date_to = reports.date_range(None, None)
        return date_from, date_to, str(error.render(get_language() or "zh-hans"))


@login_required
def sales(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    merchant, role = _reader(request, community, "sale.view_shop")
    error = ""
    try:
        date_from = reports.parse_day(request.GET.get("from"))
        date_to = reports.parse_day(request.GET.get("to"))
    except DomainError as exc:
        date_from = date_to = None
        error = exc.render(get_language() or "zh-hans")
    filters = reports.SaleFilter(
        query=request.GET.get("q", ""),
        date_from=date_from,
        date_to=date_to,
        status=request.GET.get("status", ""),
        source=request.GET.get("source", ""),
    )
    page = reports.sales_list(
        merchant=merchant,
        role=role,
        user=request.user,
        filters=filters,
        page=request.GET.get("page"),
    )
    rows = [
        {
            **reports.sale_row(sale),
            "amount": amount_display(sale.amount_fen, "CNY"),
            "status_label": sale.get_status_display(),
            "source_label": sale.get_source_display(),
        }
        for sale in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "community": community,
        "merchant": merchant,
        "is_owner": role == StaffRole.OWNER,
        "page": page,
        "rows": rows,
        "filters": filters,
        "statuses": SaleStatus.choices,
        "sources": SaleSource.choices,
        "query_string": query.urlencode(),
        "error": error,
    }
    return render(request, "commerce/shop_sales.html", context)


@login_required
def settlement(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    merchant, _role = _reader(request, community, "sale.settlement")
    date_from, date_to, error = _range(request)
    days = reports.settlement(merchant=merchant, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv" and not error:
        return settlement_csv_response(merchant_id=merchant.id, days=days)
    context = {
        "community": community,
        "merchant": merchant,
        "date_from": date_from,
        "date_to": date_to,
        "error": error,
        "days": [_day_view(day) for day in reversed(days)],
    }
    return render(request, "commerce/shop_settlement.html", context)


def _day_view(day: reports.SettlementDay) -> dict[str, Any]:
    """Money as the merchant reads it (yuan, coins with two decimals, whole points)."""
    flows = []
    for asset, flow in day.assets.items():
        values = (
            flow.received,
            flow.commission,
            flow.fund,
            flow.rebate_paid,
            flow.rebate_received,
            flow.flash_sales,
            flow.cashback,
            flow.net,
        )
        if not any(values):
            continue
        flows.append(
            {
                "asset": asset,
                **dict(zip(_FLOW_KEYS, (amount_display(v, asset) for v in values), strict=True)),
            }
        )
    return {
        "day": day.day,
        "sales": day.sales,
        "gross": amount_display(day.gross_fen, "CNY"),
        "cash": amount_display(day.cash_fen, "CNY"),
        "coins": amount_display(day.coin_units, "TIME"),
        "points": day.points,
        "undos": day.undos,
        "refunds": day.refunds,
        "refunded": amount_display(day.refunded_fen, "CNY"),
        "flows": flows,
    }


_FLOW_KEYS = (
    "received",
    "commission",
    "fund",
    "rebate_paid",
    "rebate_received",
    "flash_sales",
    "cashback",
    "net",
)


@login_required
def log(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    merchant, _role = _reader(request, community, "sale.log")
    date_from, date_to, error = _range(request)
    page = reports.consume_log(
        merchant=merchant, date_from=date_from, date_to=date_to, page=request.GET.get("page")
    )
    context = {
        "community": community,
        "merchant": merchant,
        "date_from": date_from,
        "date_to": date_to,
        "error": error,
        "page": page,
        "events": [
            {**vars(e), "amount": amount_display(e.amount_fen, "CNY")} for e in page.object_list
        ],
        "sources": dict(SaleSource.choices),
    }
    return render(request, "commerce/shop_log.html", context)


@login_required
def anomalies(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    try:
        show_member_id = reports.anomalies_reader(user=request.user, community=community)
    except Forbidden:
        raise PermissionDenied from None
    clerks, hopping, thresholds = reports.anomalies(community=community)
    refusal_code = request.GET.get("refusal", "")
    context: dict[str, Any] = {
        "community": community,
        "show_member_id": show_member_id,
        "clerks": clerks,
        "hopping": hopping,
        "thresholds": thresholds,
        "refusal_code": refusal_code,
        "refusal_labels": {code: str(label) for code, label in REFUSAL_LABELS.items()},
    }
    try:
        context["refusals"] = reports.till_refusals(
            community=community, code=refusal_code, page=request.GET.get("page", 1)
        )
    except DomainError as error:
        context["refusal_error"] = error_message(error)
        context["refusals"] = reports.till_refusals(community=community)
    return render(request, "commerce/anomalies.html", context)


@login_required
@require_POST
def card_confirmation(request: HttpRequest, slug: str, confirmation_id: int) -> HttpResponse:
    """The member's approve/decline buttons on the card page."""
    community = community_or_404(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id:
        raise Http404
    try:
        limits.confirmation_decide(
            member=member,
            confirmation_id=confirmation_id,
            approve=request.POST.get("decision") == "approve",
        )
    except NotFound:
        raise Http404 from None
    return redirect("commerce:card", slug=community.slug)
