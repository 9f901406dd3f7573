"""Reads for bundles: what is on sale, a member's orders with their piece codes, who may
compose, buy and redeem (permissions are data: communities.permissions)."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from linli.commerce.bundle_models import Bundle, BundleItem, BundleOrder, BundlePiece
from linli.commerce.bundles import payable_assets, price_in
from linli.communities.models import Community, PolicyVersion
from linli.communities.permissions import has_permission, require_permission
from linli.communities.selectors import policy_in_force
from linli.errors import Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.members.models import Member
from linli.members.selectors import member_for_user
from linli.merchants.models import Merchant
from linli.merchants.selectors import staff_merchant

MAX_ID = 2**62


def _items() -> Prefetch:
    return Prefetch("items", queryset=BundleItem.objects.select_related("merchant"))


def bundles_on_sale(*, community: Community) -> list[Bundle]:
    return list(Bundle.objects.filter(community=community, on_sale=True).prefetch_related(_items()))


def bundles_all(*, community: Community) -> list[Bundle]:
    return list(Bundle.objects.filter(community=community).prefetch_related(_items()))


def bundle_get(*, community: Community, bundle_id: Any) -> Bundle:
    if not isinstance(bundle_id, int) or not 1 <= bundle_id <= MAX_ID:
        raise NotFound()
    bundle = Bundle.objects.filter(community=community, id=bundle_id).first()
    if bundle is None:
        raise NotFound()
    return bundle


def orders_of(*, member: Member) -> list[BundleOrder]:
    pieces = BundlePiece.objects.select_related("item", "merchant").order_by("item__position")
    return list(
        BundleOrder.objects.filter(member=member)
        .select_related("bundle")
        .prefetch_related(Prefetch("pieces", queryset=pieces))
    )


def buyer_for(*, user: Any, community: Community) -> Member:
    """The member of this community who may buy bundles, or Forbidden."""
    require_permission(user=user, community=community, action="bundle.buy")
    member = member_for_user(user=user)
    if member is None or member.community_id != community.id:
        raise Forbidden()
    return member


def require_manager(*, user: Any, community: Community) -> None:
    require_permission(user=user, community=community, action="bundle.manage")


def redeemer_for(*, user: Any, community: Community) -> Merchant:
    """The shop whose pieces this login may redeem (owner or cashier), or Forbidden."""
    if not has_permission(user=user, community=community, action="bundle.redeem"):
        raise Forbidden()
    job = staff_merchant(user=user, community=community)
    if job is None:
        raise Forbidden()
    return job[0]


def active_merchants(*, community: Community) -> list[Merchant]:
    return list(Merchant.objects.filter(community=community, status="active").order_by("name"))


@dataclass(frozen=True)
class PriceOption:
    asset: str
    units: int
    shown: str


def price_options(*, bundle: Bundle, policy: PolicyVersion | None = None) -> list[PriceOption]:
    """How the member can pay this bundle here: each payable asset with a whole price."""
    policy = policy or policy_in_force(community=bundle.community)
    options = []
    for asset in payable_assets(policy):
        units = price_in(price_fen=bundle.price_fen, asset=asset, policy=policy)
        if units is not None:
            options.append(PriceOption(asset, units, amount_display(units, asset)))
    return options


def discount_percent(bundle: Bundle) -> int:
    """How much below the items' total, in whole percent rounded down (shown to members)."""
    return (bundle.list_total_fen - bundle.price_fen) * 100 // bundle.list_total_fen
