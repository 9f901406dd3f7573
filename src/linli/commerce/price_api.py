"""/api/v1/commerce/communities/{slug}/member-price…: a merchant's member discount and the
interest groups tied to trades (thin: the rule is in `member_prices.py`)."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from linli.commerce import member_prices
from linli.commerce.price_models import MemberPrice
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get, policy_in_force
from linli.errors import Forbidden
from linli.merchants.models import Merchant, StaffRole
from linli.merchants.selectors import staff_merchant

router = Router(tags=["commerce: member price"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
BASE = "/communities/{slug}"


class DiscountIn(Schema):
    discount_bp: int = Field(ge=0, le=10_000)


class DiscountOut(Schema):
    merchant: str
    discount_bp: int | None
    min_bp: int
    max_bp: int
    interest_group_discount_bp: int


class GroupTradeIn(Schema):
    industry_id: int = Field(ge=1, le=2**62)


class GroupTradeOut(Schema):
    group_id: int
    industry_id: int


def owner_shop(*, user: Any, community: Community) -> Merchant:
    """The shop whose member discount this login may set: its owner only."""
    require_permission(user=user, community=community, action="member_price.set")
    job = staff_merchant(user=user, community=community)
    if job is None or job[1] != StaffRole.OWNER:
        raise Forbidden()
    return job[0]


def discount_out(merchant: Merchant) -> dict[str, Any]:
    policy = policy_in_force(community=merchant.community)
    chosen = MemberPrice.objects.filter(merchant=merchant).first()
    return {
        "merchant": merchant.name,
        "discount_bp": chosen.discount_bp if chosen else None,
        "min_bp": policy.member_discount_min_bp,
        "max_bp": policy.member_discount_max_bp,
        "interest_group_discount_bp": policy.interest_group_discount_bp,
    }


@router.get(BASE + "/member-price", response=DiscountOut)
def discount_get(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    community = community_get(slug=slug)
    return discount_out(owner_shop(user=request.user, community=community))


@router.post(BASE + "/member-price", response=DiscountOut)
def discount_set(request: HttpRequest, slug: Slug, body: DiscountIn) -> dict[str, Any]:
    community = community_get(slug=slug)
    merchant = owner_shop(user=request.user, community=community)
    member_prices.member_discount_set(
        merchant=merchant, actor=request.user, discount_bp=body.discount_bp
    )
    return discount_out(merchant)


@router.post(BASE + "/interest-groups/{group_id}/trades", response={201: GroupTradeOut})
def group_trade(request: HttpRequest, slug: Slug, group_id: int, body: GroupTradeIn) -> Status:
    community = community_get(slug=slug)
    require_permission(user=request.user, community=community, action="member_price.group_link")
    link = member_prices.group_trade_link(
        community=community, group_id=group_id, industry_id=body.industry_id
    )
    return Status(201, {"group_id": link.group_id, "industry_id": link.industry_id})
