"""Reads for coupons: what a member may claim, what a member holds, the operator's
campaigns, and who may manage a shop's coupons."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from linli.commerce.coupon_models import (
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponKind,
    CrossStoreCampaign,
    SaleCoupon,
)
from linli.commerce.models import Sale
from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.errors import Forbidden, NotFound
from linli.ledger.display import amount_display
from linli.members.models import Member
from linli.merchants.models import Merchant, MerchantStatus, StaffRole
from linli.merchants.selectors import staff_merchant


def coupons_open(*, community: Community, now: datetime) -> QuerySet[Coupon]:
    """Coupons a member may still claim: active, stock left, not past their window."""
    return (
        Coupon.objects.filter(
            community=community,
            is_active=True,
            claimed__lt=F("stock"),
            merchant__status=MerchantStatus.ACTIVE,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .select_related("merchant")
    )


def member_coupons(*, member: Member) -> QuerySet[CouponClaim]:
    return CouponClaim.objects.filter(member=member).select_related(
        "merchant", "coupon", "campaign"
    )


def claims_count(*, member: Member) -> dict[int, int]:
    rows = CouponClaim.objects.filter(member=member, coupon__isnull=False).values_list(
        "coupon_id", flat=True
    )
    counts: dict[int, int] = {}
    for coupon_id in rows:
        counts[coupon_id] = counts.get(coupon_id, 0) + 1
    return counts


def claim_state(claim: CouponClaim, now: datetime) -> str:
    """available / used / withdrawn / expired / not_yet (for pages and the API)."""
    if claim.status != ClaimStatus.AVAILABLE:
        return "withdrawn" if claim.status == ClaimStatus.REVOKED else "used"
    if now >= claim.valid_until:
        return "expired"
    if now < claim.valid_from:
        return "not_yet"
    return "available"


def coupon_summary(coupon: Coupon) -> str:
    """The coupon's rule in words, in the reader's language."""
    from django.utils.translation import gettext as _

    yuan = {
        "threshold": amount_display(coupon.threshold_fen, "CNY"),
        "off": amount_display(coupon.off_fen, "CNY"),
        "cap": amount_display(coupon.cap_fen, "CNY"),
    }
    if coupon.kind == CouponKind.THRESHOLD:
        return _("%(off)s yuan off when you spend %(threshold)s yuan") % yuan
    if coupon.kind == CouponKind.PER_THRESHOLD:
        text = _("%(off)s yuan off for every %(threshold)s yuan") % yuan
        return text + (_(", at most %(cap)s yuan") % yuan if coupon.cap_fen else "")
    if coupon.kind == CouponKind.PERCENT:
        zhe = (10_000 - coupon.discount_bp) / 1000
        return _("%(zhe)s折 (%(percent)s%% off)") % {
            "zhe": f"{zhe:g}",
            "percent": f"{coupon.discount_bp / 100:g}",
        }
    if coupon.kind == CouponKind.VOUCHER:
        return _("%(off)s yuan off, no minimum") % yuan
    return _("Exchange for %(item)s") % {"item": coupon.item_name}


def coupon_manager(*, user: Any, community: Community) -> Merchant:
    """The shop whose coupons and prices this login manages (its owner), or Forbidden."""
    if not has_permission(user=user, community=community, action="coupon.manage"):
        raise Forbidden()
    job = staff_merchant(user=user, community=community)
    if job is None or job[1] != StaffRole.OWNER:
        raise Forbidden()
    return job[0]


def campaigns(*, community: Community) -> QuerySet[CrossStoreCampaign]:
    return CrossStoreCampaign.objects.filter(community=community).select_related(
        "issuer", "redeemer"
    )


def campaign_get(*, community: Community, campaign_id: Any) -> CrossStoreCampaign:
    if (
        not isinstance(campaign_id, int)
        or isinstance(campaign_id, bool)
        or not 0 < campaign_id < 2**62
    ):
        raise NotFound()
    found = campaigns(community=community).filter(id=campaign_id).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class SaleCoupons:
    gross_fen: int
    discount_fen: int
    paid_fen: int
    claim_ids: list[int]


def sale_coupons(*, sale: Sale) -> SaleCoupons:
    # One query (every consume answer asks): a sale uses at most a few coupons.
    rows = list(
        SaleCoupon.objects.filter(sale=sale)
        .order_by("pk")
        .values_list("gross_fen", "discount_fen", "paid_fen", "claim_id")
    )
    return SaleCoupons(
        gross_fen=rows[0][0] if rows else sale.amount_fen,
        discount_fen=sum(row[1] for row in rows),
        paid_fen=sum(row[2] for row in rows),
        claim_ids=[row[3] for row in rows],
    )


# --- a shop leaving the alliance (issue 5: what its owner is shown before giving notice) ----


@dataclass(frozen=True)
class LeavingOffers:
    """What the shop's notice ends and what its seat's closing withdraws."""

    offers_ending: int  # live flash sales, claimable coupons, campaigns switched on
    coupons_withdrawn: int  # unused coupons members hold that only this shop honours
    coupons_settled: int = 0  # unused cross-store coupons it issued for partner shops
    settled_share_fen: int = 0  # its share of them, settled from its deposit at closing
    reserved_fen: int = 0  # of which its account holds for partners now (released then)


def leaving_offers(*, merchant: Merchant, now: datetime) -> LeavingOffers:
    from linli.commerce.coupons import issuer_share_fen
    from linli.commerce.models import FlashSale

    flash = FlashSale.objects.filter(merchant=merchant, sold__lt=F("stock")).count()
    coupons = Coupon.objects.filter(merchant=merchant, is_active=True).count()
    campaigns_on = CrossStoreCampaign.objects.filter(
        Q(issuer=merchant) | Q(redeemer=merchant), is_active=True
    ).count()
    honoured = CouponClaim.objects.filter(
        merchant=merchant, status=ClaimStatus.AVAILABLE, valid_until__gt=now
    ).count()
    issued = list(
        CouponClaim.objects.filter(
            campaign__issuer=merchant,
            status=ClaimStatus.AVAILABLE,
            valid_until__gt=now,
            issuer_settled_at__isnull=True,
        ).select_related("campaign")
    )
    shares = [
        (issuer_share_fen(campaign=c.campaign, fen=c.value_fen), c.hold_id)
        for c in issued
        if c.campaign is not None
    ]
    return LeavingOffers(
        offers_ending=flash + coupons + campaigns_on,
        coupons_withdrawn=honoured,
        coupons_settled=len(issued),
        settled_share_fen=sum(share for share, _hold in shares),
        reserved_fen=sum(share for share, hold in shares if hold is not None),
    )


def exit_paused_counts(*, merchant: Merchant) -> tuple[int, int]:
    """(coupons, campaigns) the shop's exit notice switched off that withdrawing it would
    switch back on (`coupons._exit_paused_restore`; a campaign whose other shop is
    itself leaving stays off)."""
    from linli.merchants.models import MerchantStatus

    staying = (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED)
    coupons = Coupon.objects.filter(merchant=merchant, exit_paused_at__isnull=False).count()
    campaigns = CrossStoreCampaign.objects.filter(
        Q(issuer=merchant, redeemer__status__in=staying)
        | Q(redeemer=merchant, issuer__status__in=staying),
        exit_paused_at__isnull=False,
    ).count()
    return coupons, campaigns
