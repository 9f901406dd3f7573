"""/api/v1/commerce/communities/{slug}/…: coupons for members, merchants and operators (thin).

Members: list claimable coupons, claim one, list their own. Merchant owners: publish a
coupon, record a price. Operators: cross-store campaigns, their dry run, on/off.
"""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from linli.commerce import coupon_selectors as selectors
from linli.commerce import coupons
from linli.commerce.coupon_models import Coupon, CouponClaim, CouponKind, CrossStoreCampaign
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get
from linli.errors import Forbidden
from linli.members.models import Member
from linli.members.selectors import member_for_user

router = Router(tags=["coupons"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
BASE = "/communities/{slug}"
FEN = 10_000_000


class CouponOut(Schema):
    id: int
    merchant: str
    kind: str
    title: str
    summary: str
    threshold_fen: int
    off_fen: int
    cap_fen: int
    discount_bp: int
    item_name: str
    was_price_fen: int | None
    valid_until: str | None
    valid_days: int | None
    per_member_limit: int
    left: int
    stackable: bool


class ClaimOut(Schema):
    id: int
    merchant: str
    title: str
    kind: str
    value_fen: int
    state: str
    valid_from: str
    valid_until: str
    cross_store: bool


class CouponIn(Schema):
    kind: CouponKind
    title: str = Field(min_length=1, max_length=100)
    stock: int = Field(ge=1, le=coupons.MAX_STOCK)
    threshold_fen: int = Field(default=0, ge=0, le=FEN)
    off_fen: int = Field(default=0, ge=0, le=FEN)
    cap_fen: int = Field(default=0, ge=0, le=FEN)
    discount_bp: int = Field(default=0, ge=0, le=10_000)
    item_name: str = Field(default="", max_length=100)
    item_value_fen: int = Field(default=0, ge=0, le=FEN)
    was_price_fen: int | None = Field(default=None, ge=1, le=FEN)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = Field(default=None, ge=1, le=coupons.MAX_DAYS)
    per_member_limit: int = Field(default=1, ge=1, le=coupons.MAX_LIMIT)
    stackable: bool = False


class PriceIn(Schema):
    item_name: str = Field(min_length=1, max_length=100)
    price_fen: int = Field(ge=1, le=FEN)


class PriceOut(Schema):
    item_name: str
    price_fen: int
    seven_day_low_fen: int | None


class CampaignIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    issuer_id: int = Field(ge=1, le=2**62)
    redeemer_id: int = Field(ge=1, le=2**62)
    issuer_bp: int = Field(ge=0, le=10_000)
    valid_days: int = Field(ge=1, le=coupons.MAX_DAYS)
    per_member_limit: int = Field(ge=1, le=coupons.MAX_LIMIT)
    budget_fen: int = Field(ge=1, le=10**12)


class CampaignOut(Schema):
    id: int
    name: str
    issuer: str
    redeemer: str
    min_spend_fen: int
    value_fen: int
    platform_bp: int
    issuer_bp: int
    valid_days: int
    per_member_limit: int
    budget_fen: int
    issued_fen: int
    is_active: bool


class DryRunIn(Schema):
    redemption_bp: int = Field(ge=0, le=10_000)


class DryRunOut(Schema):
    month_start: str
    month_end: str
    qualifying_sales: int
    coupons_issued: int
    redemption_bp: int
    coupons_redeemed: int
    cost_fen: int
    platform_fen: int
    issuer_fen: int
    redeemer_fen: int
    budget_exhausted: bool


class SwitchIn(Schema):
    on: bool


def coupon_out(coupon: Coupon) -> dict[str, Any]:
    return {
        "id": coupon.id,
        "merchant": coupon.merchant.name,
        "kind": coupon.kind,
        "title": coupon.title,
        "summary": selectors.coupon_summary(coupon),
        "threshold_fen": coupon.threshold_fen,
        "off_fen": coupon.off_fen,
        "cap_fen": coupon.cap_fen,
        "discount_bp": coupon.discount_bp,
        "item_name": coupon.item_name,
        "was_price_fen": coupon.was_price_fen,
        "valid_until": coupon.valid_until.isoformat() if coupon.valid_until else None,
        "valid_days": coupon.valid_days,
        "per_member_limit": coupon.per_member_limit,
        "left": coupon.stock - coupon.claimed,
        "stackable": coupon.stackable,
    }


def claim_out(claim: CouponClaim, now: datetime) -> dict[str, Any]:
    coupon = claim.coupon
    return {
        "id": claim.id,
        "merchant": claim.merchant.name,
        "title": coupon.title if coupon is not None else claim.campaign.name,  # type: ignore[union-attr]
        "kind": coupon.kind if coupon is not None else "cross_store",
        "value_fen": claim.value_fen,
        "state": selectors.claim_state(claim, now),
        "valid_from": claim.valid_from.isoformat(),
        "valid_until": claim.valid_until.isoformat(),
        "cross_store": claim.campaign_id is not None,
    }


def campaign_out(campaign: CrossStoreCampaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "issuer": campaign.issuer.name,
        "redeemer": campaign.redeemer.name,
        "min_spend_fen": campaign.min_spend_fen,
        "value_fen": campaign.value_fen,
        "platform_bp": campaign.platform_bp,
        "issuer_bp": campaign.issuer_bp,
        "valid_days": campaign.valid_days,
        "per_member_limit": campaign.per_member_limit,
        "budget_fen": campaign.budget_fen,
        "issued_fen": campaign.issued_fen,
        "is_active": campaign.is_active,
    }


def _member(request: HttpRequest, community: Community) -> Member:
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Forbidden()
    return member


def _operator(request: HttpRequest, slug: str) -> Community:
    community = community_get(slug=slug)
    require_permission(user=request.user, community=community, action="campaign.manage")
    return community


@router.get(BASE + "/coupons", response=list[CouponOut])
def coupons_list(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = community_get(slug=slug)
    _member(request, community)
    found = selectors.coupons_open(community=community, now=timezone.now())
    return [coupon_out(c) for c in found[:200]]


@router.post(BASE + "/coupons/{coupon_id}/claim", response={201: ClaimOut})
def coupon_claim(request: HttpRequest, slug: Slug, coupon_id: int) -> Status:
    community = community_get(slug=slug)
    member = _member(request, community)
    now = timezone.now()
    claim = coupons.coupon_claim(community=community, coupon_id=coupon_id, member=member, now=now)
    return Status(201, claim_out(claim, now))


@router.get(BASE + "/my-coupons", response=list[ClaimOut])
def my_coupons(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = community_get(slug=slug)
    member = _member(request, community)
    now = timezone.now()
    return [claim_out(c, now) for c in selectors.member_coupons(member=member)[:200]]


@router.post(BASE + "/merchant/coupons", response={201: CouponOut})
def coupon_create(request: HttpRequest, slug: Slug, body: CouponIn) -> Status:
    community = community_get(slug=slug)
    merchant = selectors.coupon_manager(user=request.user, community=community)
    coupon = coupons.coupon_create(merchant=merchant, terms=coupons.CouponTerms(**body.dict()))
    return Status(201, coupon_out(coupon))


@router.post(BASE + "/merchant/prices", response={201: PriceOut})
def price_record(request: HttpRequest, slug: Slug, body: PriceIn) -> Status:
    community = community_get(slug=slug)
    merchant = selectors.coupon_manager(user=request.user, community=community)
    now = timezone.now()
    record = coupons.price_record(
        merchant=merchant, item_name=body.item_name, price_fen=body.price_fen, now=now
    )
    low = coupons.seven_day_low(merchant=merchant, item_name=record.item_name, now=now)
    out = {"item_name": record.item_name, "price_fen": record.price_fen, "seven_day_low_fen": low}
    return Status(201, out)


@router.get(BASE + "/campaigns", response=list[CampaignOut])
def campaigns_list(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _operator(request, slug)
    return [campaign_out(c) for c in selectors.campaigns(community=community)[:200]]


@router.post(BASE + "/campaigns", response={201: CampaignOut})
def campaign_create(request: HttpRequest, slug: Slug, body: CampaignIn) -> Status:
    community = _operator(request, slug)
    campaign = coupons.campaign_create(
        community=community, actor=request.user, terms=coupons.CampaignTerms(**body.dict())
    )
    return Status(201, campaign_out(campaign))


@router.post(BASE + "/campaigns/{campaign_id}/dry-run", response=DryRunOut)
def campaign_dry_run(
    request: HttpRequest, slug: Slug, campaign_id: int, body: DryRunIn
) -> dict[str, Any]:
    community = _operator(request, slug)
    campaign = selectors.campaign_get(community=community, campaign_id=campaign_id)
    result = coupons.campaign_dry_run(campaign=campaign, redemption_bp=body.redemption_bp)
    out = dict(vars(result))
    out["month_start"], out["month_end"] = str(result.month_start), str(result.month_end)
    return out


@router.post(BASE + "/campaigns/{campaign_id}/switch", response=CampaignOut)
def campaign_switch(
    request: HttpRequest, slug: Slug, campaign_id: int, body: SwitchIn
) -> dict[str, Any]:
    community = _operator(request, slug)
    campaign = selectors.campaign_get(community=community, campaign_id=campaign_id)
    return campaign_out(coupons.campaign_switch(campaign=campaign, on=body.on))
