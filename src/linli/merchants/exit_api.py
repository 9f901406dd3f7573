"""/api/v1/merchants/communities/{slug}/merchants/{id}/exit: the owner's own way out of
the alliance (issue 5). GET shows what leaving would mean, POST gives notice (after the
owner confirmed it), POST …/withdraw takes the notice back before the seat closes.
The committee's side: GET /communities/{slug}/exits lists the shops serving notice (what
blocks each closing), POST …/exit/record lets an operator record a shop's notice on its
behalf, with a reason."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from linli.communities.audit import audit_ip
from linli.communities.models import Community
from linli.communities.selectors import community_get
from linli.merchants import access, selectors
from linli.merchants.leaving import (
    ExitInProgress,
    ExitPreview,
    exit_in_progress,
    exit_notice_give,
    exit_notice_record,
    exit_preview,
    exits_page,
)
from linli.merchants.models import Merchant
from linli.merchants.services import merchant_exit_withdraw

router = Router(tags=["merchants"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
IdPath = Annotated[int, Path(ge=1, le=2**62)]
EXIT = "/communities/{slug}/merchants/{merchant_id}/exit"
ACTION = "merchant.exit_notice"


class ExitOut(Schema):
    merchant_id: int
    status: str
    exiting: bool
    notice_days: int
    closes_on: str
    offers_ending: int
    coupons_withdrawn: int
    coupons_settled: int
    coupons_settled_fen: int
    deposit_held_fen: int
    balance_fen: int
    debt_fen: int
    debt_left_fen: int
    open_complaints: int
    return_fen: int
    coupons_paused: int  # while notice runs: switched back on if it is withdrawn
    campaigns_paused: int
    flash_sales_closed: int  # closed by the notice; they stay closed


class NoticeIn(Schema):
    confirm: Any = None  # must be exactly true; anything else is `exit_confirm_required`


class RecordIn(Schema):
    reason: Any = None  # required text, at most 500 characters: `exit_reason_required`


class PageIn(Schema):
    page: int = Field(1, ge=1, le=10**6)


class ExitRowOut(Schema):
    merchant_id: int
    name: str
    industry: str
    requested_at: str
    closes_on: str
    overdue: bool
    blockers: list[str]
    open_complaints: int
    debt_left_fen: int
    coupons_open: int
    return_fen: int


class ExitsOut(Schema):
    count: int
    page: int
    pages: int
    results: list[ExitRowOut]


def _own_shop(request: HttpRequest, slug: str, merchant_id: int) -> tuple[Community, Merchant]:
    community = community_get(slug=slug)
    merchant = selectors.merchant_get(community=community, merchant_id=merchant_id)
    access.require_owner(user=request.user, community=community, action=ACTION, merchant=merchant)
    return community, merchant


def _out(merchant: Merchant, preview: ExitPreview) -> dict[str, Any]:
    return {
        "merchant_id": merchant.id,
        "status": merchant.status,
        "exiting": preview.exiting,
        "notice_days": preview.notice_days,
        "closes_on": preview.closes_on.isoformat(),
        "offers_ending": preview.offers_ending,
        "coupons_withdrawn": preview.coupons_withdrawn,
        "coupons_settled": preview.coupons_settled,
        "coupons_settled_fen": preview.coupons_settled_fen,
        "deposit_held_fen": preview.deposit_held_fen,
        "balance_fen": preview.balance_fen,
        "debt_fen": preview.debt_fen,
        "debt_left_fen": preview.debt_left_fen,
        "open_complaints": preview.open_complaints,
        "return_fen": preview.return_fen,
        "coupons_paused": preview.coupons_paused,
        "campaigns_paused": preview.campaigns_paused,
        "flash_sales_closed": preview.flash_sales_closed,
    }


@router.get(EXIT, response=ExitOut)
def exit_show(request: HttpRequest, slug: Slug, merchant_id: IdPath) -> dict[str, Any]:
    _community, merchant = _own_shop(request, slug, merchant_id)
    return _out(merchant, exit_preview(merchant=merchant))


@router.post(EXIT, response=ExitOut)
def exit_give(
    request: HttpRequest, slug: Slug, merchant_id: IdPath, body: NoticeIn
) -> dict[str, Any]:
    _community, merchant = _own_shop(request, slug, merchant_id)
    with audit_ip(request.META.get("REMOTE_ADDR")):
        merchant = exit_notice_give(merchant=merchant, actor=request.user, confirmed=body.confirm)
    return _out(merchant, exit_preview(merchant=merchant))


@router.post(EXIT + "/withdraw", response=ExitOut)
def exit_withdraw(request: HttpRequest, slug: Slug, merchant_id: IdPath) -> dict[str, Any]:
    _community, merchant = _own_shop(request, slug, merchant_id)
    with audit_ip(request.META.get("REMOTE_ADDR")):
        merchant = merchant_exit_withdraw(merchant=merchant, actor=request.user)
    return _out(merchant, exit_preview(merchant=merchant))


def _row(row: ExitInProgress) -> dict[str, Any]:
    merchant = row.merchant
    return {
        "merchant_id": merchant.id,
        "name": merchant.name,
        "industry": merchant.industry.code,
        "requested_at": merchant.exit_requested_at.isoformat()
        if merchant.exit_requested_at
        else "",
        "closes_on": row.closes_on.isoformat(),
        "overdue": row.overdue,
        "blockers": row.blockers,
        "open_complaints": row.preview.open_complaints,
        "debt_left_fen": row.preview.debt_left_fen,
        "coupons_open": row.coupons_open,
        "return_fen": row.preview.return_fen,
    }


@router.get("/communities/{slug}/exits", response=ExitsOut)
def exits_list(request: HttpRequest, slug: Slug, query: Query[PageIn]) -> dict[str, Any]:
    community = community_get(slug=slug)
    access.require(user=request.user, community=community, action="merchant.exits_view")
    page = exits_page(community=community, page=query.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [_row(exit_in_progress(merchant=m)) for m in page.object_list],
    }


@router.post(EXIT + "/record", response=ExitOut)
def exit_record(
    request: HttpRequest, slug: Slug, merchant_id: IdPath, body: RecordIn
) -> dict[str, Any]:
    community = community_get(slug=slug)
    access.require(user=request.user, community=community, action="merchant.exit_record")
    merchant = selectors.merchant_get(community=community, merchant_id=merchant_id)
    with audit_ip(request.META.get("REMOTE_ADDR")):
        merchant = exit_notice_record(merchant=merchant, actor=request.user, reason=body.reason)
    return _out(merchant, exit_preview(merchant=merchant))
