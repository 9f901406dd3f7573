"""Reads for alliance commerce: who may record sales where, who may see which receipt,
and the receipt explained leg by leg."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from linli.commerce.models import FlashOrder, Sale, SaleStatus
from linli.communities.models import Community
from linli.communities.permissions import has_permission, permission_exists
from linli.communities.selectors import community_get, slug_is_valid
from linli.errors import Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.ledger.models import Account, AccountKind
from linli.members.models import Member
from linli.merchants.models import SEAT_HOLDING, Merchant, MerchantStaff, StaffRole
from linli.merchants.selectors import staff_merchant

REASONS = {
    "payment": _("paid"),
    "voucher": _("paid by platform voucher"),
    "commission": _("platform commission"),
    "fund": _("community fund"),
    "rebate": _("rebate to the shop that introduced the member"),
    "cashback": _("cash-back to the member"),
    "gold": _("gold referrer's share"),
    "writeoff": _("spent cash-back not clawed back, borne by platform subsidies"),
}
SYSTEM_NAMES: dict[str, Any] = {
    AccountKind.CASH_IN: _("cash at the till"),
    AccountKind.PLATFORM_REVENUE: _("platform"),
    AccountKind.COMMUNITY_FUND: _("community fund"),
    AccountKind.ISSUANCE: _("issued by the alliance"),
    AccountKind.SUBSIDY: _("platform subsidies"),
    AccountKind.COUPON_COST: _("cross-store coupon"),
}

# A voucher part is posted from cash_in like cash, but it was not paid at the till.
VOUCHER_PAYER = _("Meituan/Douyin, outside Linli")


def till_for(*, user: Any, community: Community) -> tuple[Merchant, str]:
    """The shop whose till this login works (owner or cashier), or Forbidden."""
    if not has_permission(user=user, community=community, action="sale.record"):
        raise Forbidden()
    job = staff_merchant(user=user, community=community)
    if job is None:
        raise Forbidden()
    job[0].community = community  # the row just read: the sale's services need it, no re-read
    return job


def till_at(*, user: Any, slug: str) -> tuple[Merchant, str]:
    """`till_for` for the community named by `slug`, in ONE query on the till's hot path
    (every prepare and consume): the login's staff job with its shop, trade and community,
    and the permission table's "sale.record" as an EXISTS. The answers are the same:
    NotFound for an unknown community, otherwise Forbidden unless the login may sell."""
    active = getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)
    if active and slug_is_valid(slug):
        job = (
            MerchantStaff.objects.filter(
                user=user,
                community__slug=slug,
                is_active=True,
                merchant__status__in=SEAT_HOLDING,
            )
            .annotate(
                may_sell=permission_exists(
                    user=user, community_id=OuterRef("community_id"), action="sale.record"
                )
            )
            .select_related("merchant", "merchant__industry", "community")
            .first()
        )
        if job is not None and job.may_sell:
            job.merchant.community = job.community
            return job.merchant, job.role
    community_get(slug=slug)  # an unknown community is NotFound, as before
    raise Forbidden()


def sale_for_viewer(*, user: Any, community: Community, sale_id: Any) -> tuple[Sale, str]:
    """A sale and how the viewer relates to it: "member" (their own), "staff" (of the
    shop: masked name only) or "oversight" (operators and auditors)."""
    if not isinstance(sale_id, int) or sale_id < 1:
        raise NotFound()
    sale = (
        Sale.objects.filter(community=community, id=sale_id)
        .select_related("merchant", "member", "policy")
        .first()
    )
    if sale is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    if sale.member.user_id == user.id:
        return sale, "member"
    job = staff_merchant(user=user, community=community)
    if job is not None and job[0].id == sale.merchant_id:
        return sale, "staff"
    if has_permission(user=user, community=community, action="receipt.view_any"):
        return sale, "oversight"
    raise NotFound()


def sale_by_request(*, merchant: Merchant, request_no: str) -> Sale:
    sale = Sale.objects.filter(merchant=merchant, request_no=request_no).first()
    if sale is None:
        raise NotFound()
    return sale


def can_refund(*, role: str) -> bool:
    return role == StaffRole.OWNER


@dataclass(frozen=True)
class ReceiptLine:
    reason: str
    payer: str
    payee: str
    amount: str
    asset: str


def _account_names(ids: set[int], viewer_member_id: int | None) -> dict[int, str]:
    """Who each account is, in words; a shop's name comes with its account in the same
    query (every prepare and consume answer shows the legs)."""
    names: dict[int, str] = {}
    shop_name = Merchant.objects.filter(id=OuterRef("owner_id")).values("name")[:1]
    rows = (
        Account.objects.filter(id__in=ids)
        .annotate(shop_name=Subquery(shop_name))
        .values_list("id", "owner_type", "owner_id", "kind", "shop_name")
    )
    for account_id, owner_type, owner_id, kind, shop in rows:
        if owner_type == "merchant":
            names[account_id] = shop or ""
        elif owner_type == "member":
            if owner_id == viewer_member_id:
                names[account_id] = str(_("your wallet"))
            else:
                names[account_id] = str(_("a member's wallet"))
        else:
            names[account_id] = str(SYSTEM_NAMES.get(kind, kind))
    return names


def receipt_lines(*, legs: list[dict[str, Any]], member: Member | None) -> list[ReceiptLine]:
    """Every leg of a sale or refund journal, in words (SPEC: receipts explain every leg)."""
    ids = {leg["debit_account_id"] for leg in legs} | {leg["credit_account_id"] for leg in legs}
    names = _account_names(ids, member.id if member is not None else None)
    return [
        ReceiptLine(
            reason=str(REASONS.get(leg["reason"], leg["reason"])),
            payer=(
                str(VOUCHER_PAYER)
                if leg["reason"] == "voucher"
                else names.get(leg["debit_account_id"], "")
            ),
            payee=names.get(leg["credit_account_id"], ""),
            amount=amount_display(leg["amount"], leg["asset"]),
            asset=leg["asset"],
        )
        for leg in legs
    ]


# --- for the merchant alliance (merchantsgap): net sales and a leaving shop's buyers -----
# The merchants app reads commerce only through these functions (no ad hoc queries of
# commerce tables from merchants services).

NET_SALE_STATUSES = (SaleStatus.CONSUMED, SaleStatus.PARTLY_REFUNDED)


@dataclass(frozen=True)
class NetSales:
    """Sales that stand: undone and fully refunded ones are left out; a partly refunded
    sale counts once, for what was kept (amount − refunded)."""

    count: int
    net_fen: int


def merchant_net_sales(*, merchant_ids: list[int], since: Any, until: Any) -> dict[int, NetSales]:
    """Net sales per merchant for sales recorded in [since, until)."""
    rows = (
        Sale.objects.filter(
            merchant_id__in=merchant_ids,
            status__in=NET_SALE_STATUSES,
            created_at__gte=since,
            created_at__lt=until,
        )
        .values("merchant_id")
        .annotate(n=Count("id"), amount=Sum("amount_fen"), refunded=Sum("refunded_fen"))
    )
    found = {
        row["merchant_id"]: NetSales(row["n"], int(row["amount"]) - int(row["refunded"]))
        for row in rows
    }
    return {mid: found.get(mid, NetSales(0, 0)) for mid in merchant_ids}


def merchant_recent_buyer_ids(*, merchant: Merchant, since: Any) -> set[int]:
    """Members (ids) who bought at the shop since `since` or hold one of its flash-sale
    items: the people a leaving merchant's notice must reach."""
    buyers = set(
        Sale.objects.filter(merchant=merchant, created_at__gte=since).values_list(
            "member_id", flat=True
        )
    )
    holders = set(
        FlashOrder.objects.filter(flash_sale__merchant=merchant).values_list("member_id", flat=True)
    )
    return buyers | holders


# --- end of the merchantsgap block ---------------------------------------------------------
