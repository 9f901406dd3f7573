"""Member price at the till (会员价): the merchant's member discount inside the policy's
range (`member_discount_min_bp`..`max_bp`: A 95折起, B 10–30% below market) plus the
policy's `interest_group_discount_bp` for members of an interest group tied to the
merchant's trade once the group has `interest_group_min_members`.

The rule: the cashier enters the list amount; both discounts are basis points **of the
list amount** (not compounded), split with the ledger's largest-remainder helper so list
= member discount + group discount + amount to pay exactly; the sale (payment mix,
commission, fund, cash-back) is then computed on the amount to pay. A merchant that has
not set a member discount charges what the cashier enters (it may already be a member
price) — so nothing changes for shops that have not opted in.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from linli.commerce.price_models import GroupTrade, MemberPrice, SalePrice
from linli.communities.models import Community, PolicyVersion
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError
from linli.ledger.allocation import split_basis_points
from linli.members.models import GroupMembership, InterestGroup, Member
from linli.merchants.models import Industry, Merchant


class MemberDiscountOutOfRange(DomainError):
    code = "member_discount_out_of_range"
    status = 400
    message = _("The member discount must be between %(low)s%% and %(high)s%%.")


class GroupTradeInvalid(DomainError):
    code = "group_trade_invalid"
    status = 400
    message = _("Choose an interest group and a trade of this community.")


@dataclass(frozen=True)
class TillPrice:
    list_fen: int
    member_discount_fen: int
    group_discount_fen: int
    amount_fen: int
    member_discount_bp: int
    group_discount_bp: int


def _percent(bp: int) -> str:
    return f"{bp / 100:g}"


def member_discount_set(
    *, merchant: Merchant, actor: Any, discount_bp: Any, policy: PolicyVersion | None = None
) -> MemberPrice:
    """The merchant's owner sets its member discount inside the policy's range."""
    policy = policy or policy_in_force(community=merchant.community)
    low, high = policy.member_discount_min_bp, policy.member_discount_max_bp
    if (
        not isinstance(discount_bp, int)
        or isinstance(discount_bp, bool)
        or not low <= discount_bp <= high
    ):
        raise MemberDiscountOutOfRange(low=_percent(low), high=_percent(high))
    price, _created = MemberPrice.objects.update_or_create(
        merchant=merchant,
        defaults={
            "community_id": merchant.community_id,
            "discount_bp": discount_bp,
            "set_by": actor,
        },
    )
    return price


def group_trade_link(*, community: Community, group_id: Any, industry_id: Any) -> GroupTrade:
    """An operator ties an interest group to a trade (e.g. 书法小组 → 文具)."""
    ids = (group_id, industry_id)
    if any(not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= 2**62 for i in ids):
        raise GroupTradeInvalid()
    group = InterestGroup.objects.filter(community=community, id=group_id).first()
    industry = Industry.objects.filter(community=community, id=industry_id).first()
    if group is None or industry is None:
        raise GroupTradeInvalid()
    link, _created = GroupTrade.objects.get_or_create(
        group=group, industry=industry, defaults={"community": community}
    )
    return link


def _member_bp(merchant: Merchant, policy: PolicyVersion) -> int:
    chosen = (
        MemberPrice.objects.filter(merchant=merchant).values_list("discount_bp", flat=True).first()
    )
    if chosen is None:
        return 0
    return min(max(chosen, policy.member_discount_min_bp), policy.member_discount_max_bp)


def in_trade_group(*, member: Member, merchant: Merchant, policy: PolicyVersion) -> bool:
    """Is the member in a large-enough interest group tied to the merchant's trade (or its
    top-level category)?"""
    trades = [merchant.industry_id]
    parent = Industry.objects.filter(id=merchant.industry_id).values_list("parent_id", flat=True)
    trades += [p for p in parent if p is not None]
    groups = GroupTrade.objects.filter(industry_id__in=trades).values_list("group_id", flat=True)
    mine = GroupMembership.objects.filter(member=member, group_id__in=groups).values_list(
        "group_id", flat=True
    )
    return (
        InterestGroup.objects.filter(id__in=mine)
        .annotate(size=Count("members"))
        .filter(size__gte=policy.interest_group_min_members)
        .exists()
    )


def till_price(
    *, merchant: Merchant, member: Member, list_fen: int, policy: PolicyVersion
) -> TillPrice:
    """The amount the member pays for `list_fen` at this merchant (see the module rule)."""
    member_bp = _member_bp(merchant, policy)
    group_bp = policy.interest_group_discount_bp
    if not group_bp or not in_trade_group(member=member, merchant=merchant, policy=policy):
        group_bp = 0
    group_bp = min(group_bp, 10_000 - member_bp)
    split = split_basis_points(list_fen, {"member": member_bp, "group": group_bp}, rest="pay")
    return TillPrice(
        list_fen=list_fen,
        member_discount_fen=split["member"],
        group_discount_fen=split["group"],
        amount_fen=split["pay"],
        member_discount_bp=member_bp,
        group_discount_bp=group_bp,
    )


def sale_price_record(*, sale: Any, price: TillPrice | None) -> None:
    """Keep the list amount and the discounts beside the sale (only when one applied)."""
    if price is None or price.amount_fen == price.list_fen:
        return
    SalePrice.objects.create(
        sale=sale,
        list_fen=price.list_fen,
        member_discount_fen=price.member_discount_fen,
        group_discount_fen=price.group_discount_fen,
    )


def list_amount_of(sale: Any) -> int:
    """The amount the cashier typed for this sale (before discounts)."""
    recorded = SalePrice.objects.filter(sale=sale).values_list("list_fen", flat=True).first()
    return recorded if recorded is not None else int(sale.amount_fen)
