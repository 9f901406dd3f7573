"""/api/v1/commerce/communities/{slug}/bundles…: compose (operator), buy (member), redeem
a piece (the merchant's till). Thin: the rules are in `bundles.py`."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from linli.commerce import bundle_selectors as selectors
from linli.commerce import bundles
from linli.commerce.bundle_models import Bundle, BundleOrder, BundlePiece, ShareRule
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get
from linli.members import pii

router = Router(tags=["commerce: bundles"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
BASE = "/communities/{slug}"


class ItemIn(Schema):
    merchant_id: int = Field(ge=1, le=selectors.MAX_ID)
    title: str = Field(min_length=1, max_length=100)
    list_price_fen: int = Field(ge=1, le=bundles.MAX_BUNDLE_FEN)
    share_bp: int | None = Field(default=None, ge=1, le=10_000)


class BundleIn(Schema):
    title: str = Field(min_length=1, max_length=100)
    price_fen: int = Field(ge=1, le=bundles.MAX_BUNDLE_FEN)
    valid_days: int = Field(ge=1, le=bundles.MAX_VALID_DAYS)
    share_rule: ShareRule = ShareRule.PROPORTIONAL
    items: list[ItemIn] = Field(min_length=bundles.MIN_ITEMS, max_length=bundles.MAX_ITEMS)


class ItemOut(Schema):
    merchant_id: int
    merchant: str
    title: str
    list_price_fen: int


class PriceOut(Schema):
    asset: str
    units: int


class BundleOut(Schema):
    id: int
    title: str
    price_fen: int
    list_total_fen: int
    share_rule: str
    valid_days: int
    on_sale: bool
    items: list[ItemOut]
    prices: list[PriceOut]


class BuyIn(Schema):
    asset: str = Field(min_length=1, max_length=4)
    request_no: str = Field(min_length=1, max_length=64)


class PieceOut(Schema):
    id: int
    merchant: str
    title: str
    units: int
    status: str
    code: str


class OrderOut(Schema):
    id: int
    bundle_id: int
    title: str
    asset: str
    units: int
    status: str
    journal_id: str
    expires_at: str
    replayed: bool = False
    pieces: list[PieceOut]


class RedeemIn(Schema):
    code: str = Field(min_length=1, max_length=20)


class RedeemedOut(Schema):
    piece_id: int
    bundle: str
    title: str
    member: str
    asset: str
    units: int
    status: str


def _community(slug: str) -> Community:
    return community_get(slug=slug)


def _bundle_out(bundle: Bundle) -> dict[str, Any]:
    return {
        "id": bundle.id,
        "title": bundle.title,
        "price_fen": bundle.price_fen,
        "list_total_fen": bundle.list_total_fen,
        "share_rule": bundle.share_rule,
        "valid_days": bundle.valid_days,
        "on_sale": bundle.on_sale,
        "items": [
            {
                "merchant_id": item.merchant_id,
                "merchant": item.merchant.name,
                "title": item.title,
                "list_price_fen": item.list_price_fen,
            }
            for item in bundle.items.all()
        ],
        "prices": [
            {"asset": o.asset, "units": o.units} for o in selectors.price_options(bundle=bundle)
        ],
    }


def _order_out(order: BundleOrder, replayed: bool = False) -> dict[str, Any]:
    return {
        "id": order.id,
        "bundle_id": order.bundle_id,
        "title": order.bundle.title,
        "asset": order.asset,
        "units": order.units,
        "status": order.status,
        "journal_id": str(order.journal_id),
        "expires_at": order.expires_at.isoformat(),
        "replayed": replayed,
        "pieces": [
            {
                "id": p.id,
                "merchant": p.merchant.name,
                "title": p.item.title,
                "units": p.units,
                "status": p.status,
                "code": p.code,
            }
            for p in order.pieces.select_related("item", "merchant").order_by("item__position")
        ],
    }


def _redeemed_out(piece: BundlePiece) -> dict[str, Any]:
    return {
        "piece_id": piece.id,
        "bundle": piece.order.bundle.title,
        "title": piece.item.title,
        "member": pii.mask_name(piece.order.member.display_name),
        "asset": piece.order.asset,
        "units": piece.units,
        "status": piece.status,
    }


@router.get(BASE + "/bundles", response=list[BundleOut])
def on_sale(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    require_permission(user=request.user, community=community, action="community.view")
    return [_bundle_out(b) for b in selectors.bundles_on_sale(community=community)]


@router.post(BASE + "/bundles", response={201: BundleOut})
def create(request: HttpRequest, slug: Slug, body: BundleIn) -> Status:
    community = _community(slug)
    selectors.require_manager(user=request.user, community=community)
    bundle = bundles.bundle_create(
        community=community,
        actor=request.user,
        title=body.title,
        price_fen=body.price_fen,
        valid_days=body.valid_days,
        share_rule=body.share_rule.value,
        items=[item.dict() for item in body.items],
    )
    return Status(201, _bundle_out(bundle))


@router.post(BASE + "/bundles/{bundle_id}/withdraw", response=BundleOut)
def withdraw(request: HttpRequest, slug: Slug, bundle_id: int) -> dict[str, Any]:
    community = _community(slug)
    selectors.require_manager(user=request.user, community=community)
    bundle = selectors.bundle_get(community=community, bundle_id=bundle_id)
    return _bundle_out(bundles.bundle_withdraw(bundle=bundle))


@router.post(BASE + "/bundles/{bundle_id}/orders", response={201: OrderOut, 200: OrderOut})
def buy(request: HttpRequest, slug: Slug, bundle_id: int, body: BuyIn) -> Status:
    community = _community(slug)
    member = selectors.buyer_for(user=request.user, community=community)
    bundle = selectors.bundle_get(community=community, bundle_id=bundle_id)
    order, replayed = bundles.bundle_buy(
        bundle=bundle, member=member, asset=body.asset, request_no=body.request_no
    )
    return Status(200 if replayed else 201, _order_out(order, replayed))


@router.get(BASE + "/bundle-orders", response=list[OrderOut])
def my_orders(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    member = selectors.buyer_for(user=request.user, community=community)
    return [_order_out(order) for order in selectors.orders_of(member=member)]


@router.post(BASE + "/bundle-pieces/check", response=RedeemedOut)
def check(request: HttpRequest, slug: Slug, body: RedeemIn) -> dict[str, Any]:
    """What the cashier is about to redeem (masked member), or the coded refusal."""
    community = _community(slug)
    merchant = selectors.redeemer_for(user=request.user, community=community)
    return _redeemed_out(bundles.piece_for_till(merchant=merchant, code=body.code))


@router.post(BASE + "/bundle-pieces/redeem", response=RedeemedOut)
def redeem(request: HttpRequest, slug: Slug, body: RedeemIn) -> dict[str, Any]:
    community = _community(slug)
    merchant = selectors.redeemer_for(user=request.user, community=community)
    piece = bundles.bundle_redeem(merchant=merchant, clerk=request.user, code=body.code)
    return _redeemed_out(piece)
