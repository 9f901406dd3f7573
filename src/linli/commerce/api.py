"""/api/v1/commerce/communities/{slug}/…: the till's three verbs and the member card (thin).

For a POS client or mini-program: prepare → consume(request_no) → undo(request_no).
Refusals are domain errors with a stable code, mapped to 4xx JSON by linli.api.
"""

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool

from linli.commerce import cards, coupon_selectors, errors, selectors, services, vouchers
from linli.commerce.bundle_api import router as bundle_router
from linli.commerce.coupon_api import router as coupon_router
from linli.commerce.groupbuy_api import router as group_buy_router
from linli.commerce.household_api import router as household_router
from linli.commerce.models import Sale, SaleSource, VoucherPlatform
from linli.commerce.points_api import router as points_router
from linli.commerce.price_api import router as price_router
from linli.commerce.views import receipt_pdf_response
from linli.communities.audit import audit_ip
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get
from linli.errors import Forbidden, NotFound
from linli.members import pii
from linli.members.models import Member
from linli.members.selectors import member_for_user

router = Router(tags=["commerce"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
MemberId = Annotated[int, Path(ge=1, le=2**63 - 1)]
BASE = "/communities/{slug}"
MAX_UNITS = 10**10


class SaleIn(Schema):
    code: str = Field(max_length=40)
    pin: str = Field(default="", max_length=12)
    amount_fen: int = Field(ge=1, le=services.MAX_SALE_FEN)
    coin_units: int = Field(default=0, ge=0, le=MAX_UNITS)
    points: int = Field(default=0, ge=0, le=MAX_UNITS)
    coupon_ids: list[int] = Field(default_factory=list, max_length=5)  # members' coupons
    # A Meituan/Douyin voucher paying part of the price (checked by the service)
    voucher_platform: VoucherPlatform = VoucherPlatform.MEITUAN
    voucher_code: str = Field(default="", max_length=60)
    voucher_fen: int = Field(default=0, ge=0, le=services.MAX_SALE_FEN)

    def voucher(self) -> vouchers.VoucherIn | None:
        if not self.voucher_code and not self.voucher_fen:
            return None
        return vouchers.VoucherIn(
            platform=self.voucher_platform, code=self.voucher_code, value_fen=self.voucher_fen
        )


class ConsumeIn(SaleIn):
    request_no: str = Field(min_length=1, max_length=64)
    source: SaleSource = SaleSource.POS


class LegOut(Schema):
    reason: str
    payer: str
    payee: str
    amount: str
    asset: str


class PreviewOut(Schema):
    member: str
    tier: str
    list_fen: int
    member_discount_fen: int = 0
    group_discount_fen: int = 0
    amount_fen: int
    cash_fen: int
    coin_units: int
    points: int
    legs: list[LegOut]
    gross_fen: int = 0  # before merchant coupons; amount_fen is after them
    discount_fen: int = 0
    coupon_paid_fen: int = 0  # paid by a cross-store coupon
    voucher_fen: int = 0  # paid by a platform voucher, outside Linli
    commission_bp: int = 0
    # Coins and points worth more than confirmation_above_fen: consume will first ask the
    # member to approve on their phone (member_confirmation_required).
    confirmation_needed: bool = False
    confirmation_above_fen: int | None = None


class SaleOut(Schema):
    id: int
    request_no: str
    status: str
    member: str
    amount_fen: int
    cash_fen: int
    coin_units: int
    points: int
    refunded_fen: int
    journal_id: str
    source: str
    created_at: str
    replayed: bool = False
    legs: list[LegOut]
    gross_fen: int = 0
    discount_fen: int = 0
    coupon_paid_fen: int = 0
    voucher_platform: str = ""
    voucher_fen: int = 0
    commission_bp: int | None = None


class UndoIn(Schema):
    source: SaleSource = SaleSource.POS


class RefundIn(Schema):
    request_no: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(ge=1, le=services.MAX_SALE_FEN)


class CodeOut(Schema):
    code: str
    step_seconds: int
    masked_name: str


class RotateOut(CodeOut):
    """The new code, and how many other logins ended: web sessions, and bearer tokens
    (all of the user's but the one asking; tokens have no scope, a till token goes too)."""

    sessions_ended: int
    api_tokens_revoked: int


class RotateIn(Schema):
    confirm: StrictBool = False


class RotateForIn(Schema):
    reason: str = Field(default="", max_length=500)


class RotatedOut(Schema):
    member_id: int
    rotated: bool
    sessions_ended: int
    api_tokens_revoked: int  # every bearer token of the member's user (tokens have no scope)


def _community(slug: str) -> Community:
    return community_get(slug=slug)


def _sale_out(sale: Sale, replayed: bool = False) -> dict[str, Any]:
    return {
        "id": sale.id,
        "request_no": sale.request_no,
        "status": sale.status,
        "member": pii.mask_name(sale.member.display_name),
        "amount_fen": sale.amount_fen,
        "cash_fen": sale.cash_fen,
        "coin_units": sale.coin_units,
        "points": sale.points,
        "refunded_fen": sale.refunded_fen,
        "journal_id": str(sale.journal_id),
        "source": sale.source,
        "created_at": sale.created_at.isoformat(),
        "replayed": replayed,
        "legs": [vars(x) for x in selectors.receipt_lines(legs=sale.legs, member=None)],
        **_coupons_out(sale),
        **_voucher_out(sale),
    }


def _voucher_out(sale: Sale) -> dict[str, Any]:
    voucher = vouchers.voucher_of(sale)
    return {
        "voucher_platform": voucher.platform if voucher is not None else "",
        "voucher_fen": voucher.value_fen if voucher is not None else 0,
        "commission_bp": sale.commission_bp,
    }


def _coupons_out(sale: Sale) -> dict[str, int]:
    used = coupon_selectors.sale_coupons(sale=sale)
    return {
        "gross_fen": used.gross_fen,
        "discount_fen": used.discount_fen,
        "coupon_paid_fen": used.paid_fen,
    }


@router.post(BASE + "/sales/prepare", response=PreviewOut)
def prepare(request: HttpRequest, slug: Slug, body: SaleIn) -> dict[str, Any]:
    merchant, _role = selectors.till_at(user=request.user, slug=slug)
    preview = services.sale_prepare(
        merchant=merchant,
        clerk=request.user,
        code=body.code,
        pin=body.pin,
        amount_fen=body.amount_fen,
        coin_units=body.coin_units,
        points=body.points,
        coupon_ids=body.coupon_ids,
        voucher=body.voucher(),
    )
    legs = [leg.as_json() for leg in preview.legs]
    plan = preview.coupon_plan
    return {
        "member": preview.masked_name,
        "tier": preview.tier,
        "list_fen": preview.price.list_fen if preview.price else preview.amount_fen,
        "member_discount_fen": preview.price.member_discount_fen if preview.price else 0,
        "group_discount_fen": preview.price.group_discount_fen if preview.price else 0,
        "amount_fen": preview.amount_fen,
        "cash_fen": preview.cash_fen,
        "coin_units": preview.coin_units,
        "points": preview.points,
        "legs": [vars(x) for x in selectors.receipt_lines(legs=legs, member=None)],
        "gross_fen": preview.gross_fen,
        "discount_fen": plan.discount_fen if plan is not None else 0,
        "coupon_paid_fen": plan.paid_fen if plan is not None else 0,
        "voucher_fen": preview.voucher.value_fen if preview.voucher is not None else 0,
        "commission_bp": preview.commission_bp,
        "confirmation_needed": preview.confirmation_above_fen is not None,
        "confirmation_above_fen": preview.confirmation_above_fen,
    }


@router.post(BASE + "/sales", response={201: SaleOut, 200: SaleOut})
def consume(request: HttpRequest, slug: Slug, body: ConsumeIn) -> Status:
    merchant, _role = selectors.till_at(user=request.user, slug=slug)
    sale, replayed = services.sale_consume(
        merchant=merchant,
        clerk=request.user,
        request_no=body.request_no,
        code=body.code,
        pin=body.pin,
        amount_fen=body.amount_fen,
        coin_units=body.coin_units,
        points=body.points,
        source=body.source,
        coupon_ids=body.coupon_ids,
        voucher=body.voucher(),
    )
    return Status(200 if replayed else 201, _sale_out(sale, replayed))


@router.post(BASE + "/sales/{request_no}/undo", response=SaleOut)
def undo(request: HttpRequest, slug: Slug, request_no: str, body: UndoIn) -> dict[str, Any]:
    merchant, _role = selectors.till_at(user=request.user, slug=slug)
    sale = selectors.sale_by_request(merchant=merchant, request_no=request_no)
    services.sale_undo(sale=sale, actor=request.user, source=body.source)
    sale.refresh_from_db()
    return _sale_out(sale)


@router.post(BASE + "/sales/{request_no}/refunds", response=SaleOut)
def refund(request: HttpRequest, slug: Slug, request_no: str, body: RefundIn) -> dict[str, Any]:
    merchant, role = selectors.till_at(user=request.user, slug=slug)
    if not selectors.can_refund(role=role):
        raise Forbidden()
    sale = selectors.sale_by_request(merchant=merchant, request_no=request_no)
    services.sale_refund(
        sale=sale, actor=request.user, request_no=body.request_no, amount_fen=body.amount_fen
    )
    sale.refresh_from_db()
    return _sale_out(sale)


@router.get(BASE + "/sales/{sale_id}/receipt.pdf")
def receipt_pdf(request: HttpRequest, slug: Slug, sale_id: int) -> HttpResponse:
    """The sale's receipt as a PDF, for the same viewers as the receipt page (the member,
    the shop's staff, oversight); anyone else gets 404 as if there were no such sale."""
    community = _community(slug)
    sale, viewer = selectors.sale_for_viewer(
        user=request.user, community=community, sale_id=sale_id
    )
    return receipt_pdf_response(sale=sale, viewer=viewer, community=community)


@router.get(BASE + "/card", response=CodeOut)
def card(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    community = _community(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id:
        raise Forbidden()
    return {
        "code": cards.member_code(card=cards.card_ensure(member=member)),
        "step_seconds": cards.STEP_SECONDS,
        "masked_name": pii.mask_name(member.display_name),
    }


def _session_key(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.session_key if session is not None else None


@router.post(BASE + "/card/rotate", response=RotateOut, summary="Replace my card (phone lost)")
def card_rotate(request: HttpRequest, slug: Slug, body: RotateIn) -> dict[str, Any]:
    """The member replaces their own card secret: codes of the old phone stop working and
    their other logins end (this one stays). `{"confirm": true}` is required."""
    community = _community(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Forbidden()
    if body.confirm is not True:
        raise errors.RotateUnconfirmed()
    with audit_ip(request.META.get("REMOTE_ADDR")):
        rotation = cards.card_rotate(
            member=member,
            actor=request.user,
            keep_session_key=_session_key(request),
            keep_api_token_id=getattr(request, "api_token_id", None),
        )
    return {
        "code": cards.member_code(card=rotation.card),
        "step_seconds": cards.STEP_SECONDS,
        "masked_name": pii.mask_name(member.display_name),
        "sessions_ended": rotation.sessions_ended,
        "api_tokens_revoked": rotation.api_tokens_revoked,
    }


@router.post(
    BASE + "/members/{member_id}/card/rotate",
    response=RotatedOut,
    summary="Replace a member's card (operator, with a reason)",
)
def card_rotate_for(
    request: HttpRequest, slug: Slug, member_id: MemberId, body: RotateForIn
) -> dict[str, Any]:
    community = _community(slug)
    require_permission(user=request.user, community=community, action="member.card_rotate")
    member = Member.objects.filter(
        community=community, pk=member_id, closed_at__isnull=True
    ).first()
    if member is None:
        raise NotFound()
    with audit_ip(request.META.get("REMOTE_ADDR")):
        rotation = cards.card_rotate(member=member, actor=request.user, reason=body.reason)
    return {
        "member_id": member.id,
        "rotated": True,
        "sessions_ended": rotation.sessions_ended,
        "api_tokens_revoked": rotation.api_tokens_revoked,
    }


# Coupons, bundles, member prices, group-buys and ad slots: own modules, same prefix.
for _sub_router in (
    coupon_router,
    bundle_router,
    price_router,
    group_buy_router,
    household_router,
    points_router,
):
    router.add_router("", _sub_router)
