"""/api/v1/commerce/communities/{slug}/shop/…: the merchant's back office for a POS or
mini-program client (sales list, daily settlement with CSV, 核销 log) and the committee's
anomalies (thin; the reads are in `reports.py`)."""

import csv
import io
from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema

from linli.commerce import reports
from linli.commerce.models import SaleSource, SaleStatus
from linli.communities.selectors import community_get

router = Router(tags=["commerce"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
BASE = "/communities/{slug}"


class SalesQuery(Schema):
    q: str = Field(default="", max_length=reports.MAX_QUERY)
    date_from: date | None = None
    date_to: date | None = None
    status: SaleStatus | None = None
    source: SaleSource | None = None
    page: int = Field(default=1, ge=1, le=100_000)


class SaleRowOut(Schema):
    id: int
    request_no: str
    created_at: str
    member: str
    tier: str
    clerk: str
    source: str
    status: str
    amount_fen: int
    cash_fen: int
    coin_units: int
    points: int
    refunded_fen: int
    receipt_url: str


class SalesPageOut(Schema):
    page: int
    pages: int
    count: int
    sales: list[SaleRowOut]


class RangeQuery(Schema):
    date_from: date | None = None
    date_to: date | None = None


class AssetFlowOut(Schema):
    asset: str
    received: int
    commission: int
    community_fund: int
    rebate_paid: int
    rebate_received: int
    flash_sales: int
    cashback_issued: int
    net_payable: int


class SettlementDayOut(Schema):
    date: str
    sales: int
    gross_fen: int
    cash_fen: int
    coin_units: int
    points: int
    undos: int
    refunds: int
    refunded_fen: int
    assets: list[AssetFlowOut]


class LogQuery(RangeQuery):
    page: int = Field(default=1, ge=1, le=100_000)


class LogEventOut(Schema):
    at: str
    kind: str
    sale_id: int
    request_no: str
    clerk: str
    source: str
    amount_fen: int


class LogPageOut(Schema):
    page: int
    pages: int
    events: list[LogEventOut]


class ClerkUndosOut(Schema):
    merchant: str
    clerk: str
    undos: int
    sales: int


class StoreHoppingOut(Schema):
    member_id: int | None  # operators and auditors only
    member: str
    stores: list[str]
    first_at: str
    last_at: str


class RefusalOut(Schema):
    at: str
    merchant: str
    clerk: str
    code: str
    label: str
    member_id: int | None  # operators and auditors only
    member: str


class RefusalsPageOut(Schema):
    page: int
    pages: int
    count: int
    rows: list[RefusalOut]


class AnomaliesOut(Schema):
    thresholds: dict[str, int]
    clerks_with_undos: list[ClerkUndosOut]
    store_hopping: list[StoreHoppingOut]
    till_refusals: RefusalsPageOut


class AnomaliesQuery(Schema):
    refusal: str = Field("", max_length=64)
    page: int = Field(1, ge=1, le=100_000)


def _receipt_url(slug: str, sale_id: int) -> str:
    return f"/c/{slug}/receipts/{sale_id}/"


@router.get(BASE + "/shop/sales", response=SalesPageOut)
def sales(request: HttpRequest, slug: Slug, query: Query[SalesQuery]) -> dict[str, Any]:
    community = community_get(slug=slug)
    merchant, role = reports.shop_reader(
        user=request.user, community=community, action="sale.view_shop"
    )
    filters = reports.SaleFilter(
        query=query.q,
        date_from=query.date_from,
        date_to=query.date_to,
        status=query.status or "",
        source=query.source or "",
    )
    page = reports.sales_list(
        merchant=merchant, role=role, user=request.user, filters=filters, page=query.page
    )
    rows = []
    for sale in page.object_list:
        row = reports.sale_row(sale)
        row["created_at"] = sale.created_at.isoformat()
        row["receipt_url"] = _receipt_url(community.slug, sale.id)
        rows.append(row)
    return {
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
        "sales": rows,
    }


def _settlement_days(request: HttpRequest, slug: str, query: RangeQuery) -> Any:
    community = community_get(slug=slug)
    merchant, _role = reports.shop_reader(
        user=request.user, community=community, action="sale.settlement"
    )
    date_from, date_to = reports.date_range(query.date_from, query.date_to)
    return merchant, reports.settlement(merchant=merchant, date_from=date_from, date_to=date_to)


@router.get(BASE + "/shop/settlement", response=list[SettlementDayOut])
def settlement(request: HttpRequest, slug: Slug, query: Query[RangeQuery]) -> list[dict]:
    _merchant, days = _settlement_days(request, slug, query)
    return [
        {
            "date": day.day.isoformat(),
            "sales": day.sales,
            "gross_fen": day.gross_fen,
            "cash_fen": day.cash_fen,
            "coin_units": day.coin_units,
            "points": day.points,
            "undos": day.undos,
            "refunds": day.refunds,
            "refunded_fen": day.refunded_fen,
            "assets": [
                {
                    "asset": asset,
                    "received": flow.received,
                    "commission": flow.commission,
                    "community_fund": flow.fund,
                    "rebate_paid": flow.rebate_paid,
                    "rebate_received": flow.rebate_received,
                    "flash_sales": flow.flash_sales,
                    "cashback_issued": flow.cashback,
                    "net_payable": flow.net,
                }
                for asset, flow in day.assets.items()
            ],
        }
        for day in days
    ]


@router.get(BASE + "/shop/settlement.csv")
def settlement_csv(request: HttpRequest, slug: Slug, query: Query[RangeQuery]) -> HttpResponse:
    merchant, days = _settlement_days(request, slug, query)
    return settlement_csv_response(merchant_id=merchant.id, days=days)


def settlement_csv_response(*, merchant_id: int, days: list[reports.SettlementDay]) -> HttpResponse:
    """The settlement as CSV (UTF-8 with BOM so that spreadsheet programs read it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(reports.SETTLEMENT_CSV_HEADER)
    writer.writerows(reports.settlement_csv_rows(days))
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    first, last = (days[0].day, days[-1].day) if days else ("", "")
    name = f"linli-settlement-{merchant_id}-{first}-{last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(BASE + "/shop/log", response=LogPageOut)
def log(request: HttpRequest, slug: Slug, query: Query[LogQuery]) -> dict[str, Any]:
    community = community_get(slug=slug)
    merchant, _role = reports.shop_reader(user=request.user, community=community, action="sale.log")
    date_from, date_to = reports.date_range(query.date_from, query.date_to)
    page = reports.consume_log(
        merchant=merchant, date_from=date_from, date_to=date_to, page=query.page
    )
    return {
        "page": page.number,
        "pages": page.paginator.num_pages,
        "events": [{**vars(e), "at": e.at.isoformat()} for e in page.object_list],
    }


@router.get(BASE + "/anomalies", response=AnomaliesOut)
def anomalies(request: HttpRequest, slug: Slug, query: Query[AnomaliesQuery]) -> dict[str, Any]:
    community = community_get(slug=slug)
    show_member_id = reports.anomalies_reader(user=request.user, community=community)
    clerks, hopping, thresholds = reports.anomalies(community=community)
    refusals = reports.till_refusals(community=community, code=query.refusal, page=query.page)
    return {
        "till_refusals": {
            "page": refusals.number,
            "pages": refusals.paginator.num_pages,
            "count": refusals.paginator.count,
            "rows": [
                {
                    **vars(r),
                    "at": r.at.isoformat(),
                    "member_id": r.member_id if show_member_id else None,
                }
                for r in refusals.object_list
            ],
        },
        "thresholds": thresholds,
        "clerks_with_undos": [vars(c) for c in clerks],
        "store_hopping": [
            {
                **vars(h),
                "member_id": h.member_id if show_member_id else None,
                "first_at": h.first_at.isoformat(),
                "last_at": h.last_at.isoformat(),
            }
            for h in hopping
        ],
    }
