"""Coupons in the Chinese vocabulary and cross-store campaigns (issue 6; docs/commerce.md).

* A **merchant coupon** (满减, 每满减, 折扣, 代金/无门槛, 兑换) is the merchant's own price
  cut: the sale's `amount_fen` is the price after the discount and every ledger leg is
  computed on it; the gross and the discount are kept on `SaleCoupon`.
* A **cross-store coupon** (A§2.2) is a payment, not a price cut: its value is paid to the
  redeeming shop B from `coupon_cost`, and in the same transaction `coupon_cost` is funded
  by the platform (subsidy), the issuing shop A and B by the campaign's shares, so
  `coupon_cost` nets to zero per redemption. A's share is reserved by a hold (A → B) when
  the coupon is issued, expiring with it; redemption posts the hold.

Stock and budgets are taken with a conditional UPDATE backed by a CHECK, as for flash
sales: never over-claimed, never over budget, on both engines.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from linli.commerce import coupon_errors as errors
from linli.commerce.accounts import merchant_account
from linli.commerce.coupon_models import (
    BP_MAX,
    DISCOUNT_FLOOR_BP,
    CampaignMemberCount,
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponKind,
    CrossStoreCampaign,
    PriceRecord,
    SaleCoupon,
)
from linli.commerce.errors import MixInvalid
from linli.commerce.legs import PlannedLeg
from linli.commerce.models import Sale, SaleStatus
from linli.communities.models import Community, PolicyVersion
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError
from linli.ledger.allocation import split_basis_points
from linli.ledger.models import AccountKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import (
    Leg,
    chart_ensure,
    hold_create,
    hold_post,
    hold_void,
    journal_post,
    journal_reverse,
)
from linli.members.models import Member
from linli.merchants.models import Merchant, MerchantStatus

MAX_FEN = 10_000_000
MAX_STOCK = 1_000_000
MAX_LIMIT = 100
MAX_DAYS = 366
MAX_COUPONS_PER_SALE = 5
MAX_ID = 2**62  # larger ids do not exist (and overflow a bigint)
MAX_LEGS = 16  # the ledger's journal size
HONEST_WINDOW = timedelta(days=7)


def _int(value: Any, low: int, high: int, reason: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise errors.CouponInvalid(reason=reason)
    return value


# --- price records and honest "was" prices ---------------------------------------------------


def price_record(
    *, merchant: Merchant, item_name: str, price_fen: int, now: datetime | None = None
) -> PriceRecord:
    """The merchant writes down today's price of an item; the 7-day low comes from these."""
    name = (item_name or "").strip()[:100] if isinstance(item_name, str) else ""
    if not name:
        raise errors.CouponInvalid(reason="item")
    _int(price_fen, 1, MAX_FEN, "price")
    return PriceRecord.objects.create(
        community_id=merchant.community_id,
        merchant=merchant,
        item_name=name,
        price_fen=price_fen,
        recorded_at=now or timezone.now(),
    )


def seven_day_low(*, merchant: Merchant, item_name: str, now: datetime) -> int | None:
    low = PriceRecord.objects.filter(
        merchant=merchant,
        item_name=item_name,
        recorded_at__gt=now - HONEST_WINDOW,
        recorded_at__lte=now,
    ).aggregate(low=Min("price_fen"))["low"]
    return int(low) if low is not None else None


def check_was_price(
    *, merchant: Merchant, item_name: str, was_price_fen: int, now: datetime
) -> None:
    """An offer may say "was X" only when X is the recorded 7-day low (honest offers)."""
    low = seven_day_low(merchant=merchant, item_name=item_name, now=now)
    if low is None or low != was_price_fen:
        shown = "-" if low is None else f"{low / 100:.2f}"
        raise errors.WasPriceDishonest(low=shown)


# --- merchant coupons ---------------------------------------------------------------------


@dataclass(frozen=True)
class CouponTerms:
    """What a merchant fills in; `coupon_create` checks it against the kind's rule."""

    kind: str
    title: str
    stock: int
    threshold_fen: int = 0
    off_fen: int = 0
    cap_fen: int = 0
    discount_bp: int = 0
    item_name: str = ""
    item_value_fen: int = 0
    was_price_fen: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    per_member_limit: int = 1
    stackable: bool = False


def _check_amounts(terms: CouponTerms, policy: PolicyVersion) -> None:
    for name in ("threshold_fen", "off_fen", "cap_fen", "item_value_fen"):
        _int(getattr(terms, name), 0, MAX_FEN, name)
    _int(terms.discount_bp, 0, DISCOUNT_FLOOR_BP, "discount_bp")
    kind = terms.kind
    if kind in (CouponKind.THRESHOLD, CouponKind.PER_THRESHOLD):
        if not 0 < terms.off_fen < terms.threshold_fen:
            raise errors.CouponInvalid(reason="off_fen < threshold_fen")
        if terms.off_fen * BP_MAX > terms.threshold_fen * policy.coupon_max_discount_bp:
            raise errors.CouponInvalid(reason="coupon_max_discount_bp")
    elif kind == CouponKind.PERCENT:
        if not 0 < terms.discount_bp <= min(DISCOUNT_FLOOR_BP, policy.coupon_max_discount_bp):
            raise errors.CouponInvalid(reason="discount_bp")
    elif kind == CouponKind.VOUCHER:
        if terms.off_fen < 1:
            raise errors.CouponInvalid(reason="off_fen")
    elif kind == CouponKind.EXCHANGE:
        if not terms.item_name.strip() or terms.item_value_fen < 1:
            raise errors.CouponInvalid(reason="item")
    else:
        raise errors.CouponInvalid(reason="kind")


def _check_validity(terms: CouponTerms, now: datetime) -> None:
    fixed = terms.valid_until is not None
    if fixed == (terms.valid_days is not None):
        raise errors.CouponInvalid(reason="valid_until or valid_days")
    if terms.valid_days is not None:
        _int(terms.valid_days, 1, MAX_DAYS, "valid_days")
    if fixed:
        start = terms.valid_from or now
        if not isinstance(terms.valid_until, datetime) or terms.valid_until <= max(start, now):
            raise errors.CouponInvalid(reason="valid_until")


def coupon_create(*, merchant: Merchant, terms: CouponTerms, now: datetime | None = None) -> Coupon:
    """A merchant publishes a coupon (permission `coupon.manage`, own shop only)."""
    now = now or timezone.now()
    if merchant.status != MerchantStatus.ACTIVE:
        raise errors.CouponInvalid(reason="merchant")
    title = terms.title.strip()[:100] if isinstance(terms.title, str) else ""
    if not title:
        raise errors.CouponInvalid(reason="title")
    policy = policy_in_force(community=merchant.community, at=now)
    _check_amounts(terms, policy)
    _check_validity(terms, now)
    _int(terms.stock, 1, MAX_STOCK, "stock")
    _int(terms.per_member_limit, 1, MAX_LIMIT, "per_member_limit")
    if terms.was_price_fen is not None:
        _int(terms.was_price_fen, 1, MAX_FEN, "was_price_fen")
        check_was_price(
            merchant=merchant,
            item_name=terms.item_name.strip(),
            was_price_fen=terms.was_price_fen,
            now=now,
        )
    return Coupon.objects.create(
        community_id=merchant.community_id,
        merchant=merchant,
        kind=terms.kind,
        title=title,
        threshold_fen=terms.threshold_fen if terms.kind != CouponKind.VOUCHER else 0,
        off_fen=terms.off_fen,
        cap_fen=terms.cap_fen,
        discount_bp=terms.discount_bp,
        item_name=terms.item_name.strip()[:100],
        item_value_fen=terms.item_value_fen,
        was_price_fen=terms.was_price_fen,
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        valid_days=terms.valid_days,
        per_member_limit=terms.per_member_limit,
        stock=terms.stock,
        stackable=bool(terms.stackable),
        created_at=now,
    )


def coupon_claim(
    *, community: Community, coupon_id: Any, member: Member, now: datetime | None = None
) -> CouponClaim:
    """A member takes one coupon: stock with a conditional UPDATE (claimed < stock, backed by
    a CHECK) and the per-person limit counted under a lock of the member row."""
    now = now or timezone.now()
    if (
        not isinstance(coupon_id, int)
        or isinstance(coupon_id, bool)
        or not 1 <= coupon_id <= MAX_ID
    ):
        raise errors.CouponNotFound()
    coupon = Coupon.objects.filter(id=coupon_id, is_active=True).select_related("merchant").first()
    if coupon is None:
        raise errors.CouponNotFound()
    if coupon.community_id != community.id or member.community_id != community.id:
        raise errors.CouponOtherCommunity()
    if coupon.valid_until is not None and coupon.valid_until <= now:
        raise errors.CouponExpired()
    with transaction.atomic():
        Member.objects.select_for_update().filter(id=member.id).first()
        held = CouponClaim.objects.filter(coupon=coupon, member=member).count()
        if held >= coupon.per_member_limit:
            raise errors.CouponLimitReached(limit=coupon.per_member_limit)
        taken = Coupon.objects.filter(id=coupon.id, claimed__lt=F("stock")).update(
            claimed=F("claimed") + 1
        )
        if taken != 1:
            raise errors.CouponStockExhausted()
        start, end = _claim_window(coupon, now)
        return CouponClaim.objects.create(
            community_id=community.id,
            member=member,
            merchant=coupon.merchant,
            coupon=coupon,
            valid_from=start,
            valid_until=end,
            status=ClaimStatus.AVAILABLE,
            claimed_at=now,
        )


def _claim_window(coupon: Coupon, now: datetime) -> tuple[datetime, datetime]:
    if coupon.valid_days is not None:
        return now, now + timedelta(days=coupon.valid_days)
    assert coupon.valid_until is not None  # CHECK coupon_has_validity
    return coupon.valid_from or now, coupon.valid_until


def coupon_discount(*, coupon: Coupon, gross_fen: int) -> int:
    """The price cut of one merchant coupon on a sale of `gross_fen` (before any cap)."""
    if gross_fen < coupon.threshold_fen:
        raise errors.CouponThresholdNotMet(threshold=f"{coupon.threshold_fen / 100:.2f}")
    kind = coupon.kind
    if kind == CouponKind.THRESHOLD or kind == CouponKind.VOUCHER:
        off = coupon.off_fen
    elif kind == CouponKind.PER_THRESHOLD:
        off = (gross_fen // coupon.threshold_fen) * coupon.off_fen
    elif kind == CouponKind.PERCENT:
        off = gross_fen * coupon.discount_bp // BP_MAX
    else:
        off = coupon.item_value_fen
    if coupon.cap_fen and kind in (CouponKind.PER_THRESHOLD, CouponKind.PERCENT):
        off = min(off, coupon.cap_fen)
    return min(off, gross_fen)


# --- using coupons in a sale ----------------------------------------------------------------


@dataclass
class CouponUse:
    claim: CouponClaim
    discount_fen: int = 0
    paid_fen: int = 0
    shares: dict[str, int] = field(default_factory=dict)  # cross-store: who funds paid_fen


@dataclass
class CouponPlan:
    gross_fen: int
    uses: list[CouponUse] = field(default_factory=list)

    @property
    def discount_fen(self) -> int:
        return sum(u.discount_fen for u in self.uses)

    @property
    def paid_fen(self) -> int:
        return sum(u.paid_fen for u in self.uses)


def _claim_ids(value: Any) -> list[int]:
    ids = list(value or [])
    if len(ids) > MAX_COUPONS_PER_SALE or any(
        not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= MAX_ID for i in ids
    ):
        raise errors.CouponNotFound()
    if len(set(ids)) != len(ids):
        raise errors.CouponUsed()
    return ids


def _usable_claim(
    claim_id: int, *, merchant: Merchant, member: Member, now: datetime
) -> CouponClaim:
    claim = (
        CouponClaim.objects.filter(id=claim_id)
        .select_related("coupon", "campaign", "campaign__issuer")
        .first()
    )
    if claim is None:
        raise errors.CouponNotFound()
    if claim.community_id != merchant.community_id:
        raise errors.CouponOtherCommunity()
    if claim.member_id != member.id:
        raise errors.CouponNotYours()
    if claim.merchant_id != merchant.id:
        raise errors.CouponWrongMerchant()
    if claim.status != ClaimStatus.AVAILABLE:
        raise errors.CouponUsed()
    if now < claim.valid_from:
        raise errors.CouponNotYetValid()
    if now >= claim.valid_until:
        raise errors.CouponExpired()
    if _issuer_gone(claim) and claim.issuer_settled_at is None:
        raise errors.CouponIssuerExited()
    return claim


def _issuer_gone(claim: CouponClaim) -> bool:
    """A cross-store coupon whose issuing shop no longer holds its seat."""
    return claim.campaign is not None and not claim.campaign.issuer.holds_seat


def plan_for_sale(
    *,
    merchant: Merchant,
    member: Member,
    claim_ids: Any,
    gross_fen: int,
    policy: PolicyVersion,
    now: datetime,
) -> CouponPlan:
    """Check the coupons the member hands over and work out the discount and the coupon
    payment. At most one non-stackable coupon and one cross-store coupon per sale; the
    discounts together never pass the policy's `coupon_max_discount_bp` of the gross, so
    the price after discount is at least one fen."""
    plan = CouponPlan(gross_fen=gross_fen)
    claims = [
        _usable_claim(i, merchant=merchant, member=member, now=now) for i in _claim_ids(claim_ids)
    ]
    own = [c for c in claims if c.coupon is not None]
    cross = [c for c in claims if c.campaign is not None]
    if len(cross) > 1 or (len(own) > 1 and any(not _stackable(c) for c in own)):
        raise errors.CouponNotStackable()
    room = gross_fen * min(policy.coupon_max_discount_bp, DISCOUNT_FLOOR_BP) // BP_MAX
    room = min(room, gross_fen - 1)
    for claim in own:
        assert claim.coupon is not None
        off = min(coupon_discount(coupon=claim.coupon, gross_fen=gross_fen), room)
        room -= off
        plan.uses.append(CouponUse(claim=claim, discount_fen=off))
    net = gross_fen - plan.discount_fen
    for claim in cross:
        campaign = claim.campaign
        assert campaign is not None
        paid = min(claim.value_fen, net)
        shares = split_basis_points(
            paid, {"platform": campaign.platform_bp, "issuer": campaign.issuer_bp}, rest="redeemer"
        )
        plan.uses.append(CouponUse(claim=claim, paid_fen=paid, shares=shares))
    return plan


def _stackable(claim: CouponClaim) -> bool:
    return claim.coupon is not None and claim.coupon.stackable


def check_leg_count(legs: list[PlannedLeg]) -> None:
    """A coupon payment is one more payment part; one journal holds at most 16 legs."""
    if len(legs) > MAX_LEGS:
        raise MixInvalid()


def gross_of(sale: Sale) -> int:
    """The price before any merchant coupon (what the cashier typed)."""
    use = SaleCoupon.objects.filter(sale=sale).first()
    return use.gross_fen if use is not None else sale.amount_fen


def plan_apply(*, sale: Sale, plan: CouponPlan | None, clerk: Any, now: datetime) -> None:
    """Inside the sale's transaction: use each coupon up (once: a conditional UPDATE on
    its status), record it on the sale, and fund a cross-store coupon's payment."""
    if plan is None:
        return
    for use in plan.uses:
        done = CouponClaim.objects.filter(id=use.claim.id, status=ClaimStatus.AVAILABLE).update(
            status=ClaimStatus.USED, used_in=sale, used_at=now
        )
        if done != 1:
            raise errors.CouponUsed()
        _reread_issuer_terms(use.claim)
        row = SaleCoupon.objects.create(
            community_id=sale.community_id,
            sale=sale,
            claim=use.claim,
            gross_fen=plan.gross_fen,
            discount_fen=use.discount_fen,
            paid_fen=use.paid_fen,
        )
        if use.paid_fen:
            _fund_cross_store(sale=sale, use=use, row=row, clerk=clerk)


def _reread_issuer_terms(claim: CouponClaim) -> None:
    """The UPDATE above holds the claim's row: read its hold and settlement again, in case
    the issuer's seat closed (and settled it) between the plan and this transaction."""
    if claim.campaign_id is None:
        return
    current = CouponClaim.objects.filter(id=claim.id).values("hold_id", "issuer_settled_at")[0]
    claim.hold_id = current["hold_id"]
    claim.issuer_settled_at = current["issuer_settled_at"]


def _fund_cross_store(*, sale: Sale, use: CouponUse, row: SaleCoupon, clerk: Any) -> None:
    """coupon_cost paid the redeemer `paid_fen` in the sale's journal; here it is refilled:
    platform subsidy → coupon_cost, redeemer → coupon_cost (its own share plus the issuer's,
    which the posted hold has just moved from the issuer to the redeemer)."""
    claim, campaign = use.claim, use.claim.campaign
    assert campaign is not None
    community = sale.community
    chart = chart_ensure(community=community)
    cost = chart[(AccountKind.COUPON_COST, "CNY")].id
    redeemer = merchant_account(campaign.redeemer).id
    issuer_share, through_redeemer = use.shares["issuer"], use.shares["redeemer"]
    legs: list[Leg] = []
    subsidy_share = use.shares["platform"]
    if claim.issuer_settled_at is not None:
        subsidy_share += issuer_share  # the issuer left; its share was settled at closing
    elif claim.hold_id is not None:
        if issuer_share:
            posted = hold_post(
                community=community,
                hold_id=claim.hold_id,
                amount=issuer_share,
                code="cross_coupon_reserve_post",
                idempotency_key=f"xcoupon-post:{claim.id}:{sale.id}",
                actor=clerk,
                policy=sale.policy,
            )
            row.hold_journal_id = posted.journal_id
        else:
            hold_void(
                community=community,
                hold_id=claim.hold_id,
                idempotency_key=f"xcoupon-void:{claim.id}:{sale.id}",
                actor=clerk,
                policy=sale.policy,
            )
        through_redeemer += issuer_share
    elif issuer_share:
        legs.append(Leg(merchant_account(campaign.issuer).id, cost, issuer_share))
    if subsidy_share:
        legs.append(Leg(chart[(AccountKind.SUBSIDY, "CNY")].id, cost, subsidy_share))
    if through_redeemer:
        legs.append(Leg(redeemer, cost, through_redeemer))
    if legs:
        posted = journal_post(
            community=community,
            code="cross_coupon_fund",
            legs=legs,
            idempotency_key=f"xcoupon-fund:{claim.id}:{sale.id}",
            actor=clerk,
            policy=sale.policy,
            memo=f"cross-store coupon {claim.id} in sale {sale.request_no}"[:200],
            external_ref=str(sale.journal_id),
        )
        row.funding_journal_id = posted.journal_id
    row.save(update_fields=["hold_journal_id", "funding_journal_id"])


# --- refunds ------------------------------------------------------------------------------


def refund_coupons(*, sale: Sale, amount_fen: int, actor: Any, now: datetime) -> None:
    """Before an undo or refund is posted, in its transaction. A sale paid with a
    cross-store coupon is refunded whole or not at all, so the coupon's funding can be
    reversed exactly. A refund that makes the sale whole again (undo, or the last part of a
    refund) gives the coupons used in it back to the member if still valid — a cross-store
    coupon with its funding reversed and the issuer's share reserved again — and withdraws
    the unused cross-store coupons the sale earned. This runs first so the shops hold the
    money the sale's reversal takes back. A partial refund changes no coupon."""
    whole = sale.refunded_fen + amount_fen == sale.amount_fen
    uses = list(SaleCoupon.objects.filter(sale=sale).select_related("claim__campaign"))
    if not whole:
        if any(row.paid_fen for row in uses):
            raise errors.CouponPartialRefund()
        return
    for row in uses:
        if row.paid_fen:
            _unfund_cross_store(sale=sale, row=row, actor=actor, now=now)
        CouponClaim.objects.filter(
            id=row.claim_id, status=ClaimStatus.USED, used_in=sale, valid_until__gt=now
        ).update(status=ClaimStatus.AVAILABLE, used_in=None, used_at=None)
    for claim in CouponClaim.objects.filter(
        issued_by_sale=sale, status=ClaimStatus.AVAILABLE
    ).select_related("campaign"):
        _withdraw(claim=claim, sale=sale, actor=actor)


def _unfund_cross_store(*, sale: Sale, row: SaleCoupon, actor: Any, now: datetime) -> None:
    claim, campaign = row.claim, row.claim.campaign
    assert campaign is not None
    community = sale.community
    if row.funding_journal_id is not None:
        journal_reverse(
            community=community,
            journal_id=row.funding_journal_id,
            idempotency_key=f"xcoupon-unfund:{row.id}",
            actor=actor,
            policy=sale.policy,
        )
    redeemer = merchant_account(campaign.redeemer)
    gone = _issuer_gone(claim)
    if row.hold_journal_id is not None:
        # The issuer's share the hold paid the redeemer goes back to the issuer, or to
        # the subsidy account that stands in for an issuer who has left.
        back_to = (
            chart_ensure(community=community)[(AccountKind.SUBSIDY, "CNY")].id
            if gone
            else merchant_account(campaign.issuer).id
        )
        journal_post(
            community=community,
            code="cross_coupon_reserve_back",
            legs=[Leg(redeemer.id, back_to, issuer_share_fen(campaign=campaign, fen=row.paid_fen))],
            idempotency_key=f"xcoupon-back:{row.id}",
            actor=actor,
            policy=sale.policy,
            external_ref=str(row.hold_journal_id),
        )
    hold_id = None
    settled_at = claim.issuer_settled_at
    if gone:
        settled_at = settled_at or now
    elif claim.valid_until > now:
        hold_id = _reserve(claim=claim, actor=actor, key=f"xcoupon-rehold:{row.id}")
    CouponClaim.objects.filter(id=claim.id).update(hold_id=hold_id, issuer_settled_at=settled_at)
    claim.hold_id, claim.issuer_settled_at = hold_id, settled_at


def _withdraw(*, claim: CouponClaim, sale: Sale, actor: Any) -> None:
    campaign = claim.campaign
    assert campaign is not None
    if claim.hold_id is not None:
        try:
            with transaction.atomic():
                hold_void(
                    community=sale.community,
                    hold_id=claim.hold_id,
                    idempotency_key=f"xcoupon-withdraw:{claim.id}",
                    actor=actor,
                    policy=sale.policy,
                )
        except DomainError:
            pass  # already expired and voided by the job: nothing is reserved any more
    CouponClaim.objects.filter(id=claim.id).update(status=ClaimStatus.REVOKED, hold_id=None)
    CrossStoreCampaign.objects.filter(id=campaign.id).update(
        issued_fen=F("issued_fen") - claim.value_fen
    )


# --- cross-store campaigns ------------------------------------------------------------------


def issuer_share_fen(*, campaign: CrossStoreCampaign, fen: int) -> int:
    """The issuing shop's part of `fen` paid with one of the campaign's coupons."""
    return split_basis_points(
        fen, {"platform": campaign.platform_bp, "issuer": campaign.issuer_bp}, rest="redeemer"
    )["issuer"]


def _reserve(*, claim: CouponClaim, actor: Any, key: str) -> Any:
    """Hold the issuer's share of a cross-store coupon (issuer → redeemer) until it expires;
    None when there is nothing to hold or the issuer's account cannot cover it now."""
    campaign = claim.campaign
    assert campaign is not None
    share = issuer_share_fen(campaign=campaign, fen=claim.value_fen)
    issuer = merchant_account(campaign.issuer)
    if share == 0 or account_balances(account=issuer).available < share:
        return None
    try:
        with transaction.atomic():
            posted = hold_create(
                community=campaign.community,
                debit_account_id=issuer.id,
                credit_account_id=merchant_account(campaign.redeemer).id,
                amount=share,
                expires_at=claim.valid_until,
                code="cross_coupon_reserve",
                idempotency_key=key,
                actor=actor,
                policy=policy_in_force(community=campaign.community),
            )
    except DomainError:
        return None
    return posted.transfer_ids[0]


def campaigns_issue(*, sale: Sale, actor: Any, now: datetime) -> list[CouponClaim]:
    """Inside the qualifying sale's transaction: each active campaign of this shop whose
    minimum the sale reaches issues one coupon, within the member's and the campaign's
    budgets (a conditional UPDATE on `issued_fen`). A campaign that cannot issue is
    skipped; the sale itself is never refused because of a campaign."""
    policy = sale.policy
    if policy.cross_store_coupon_value_fen == 0:
        return []
    issued: list[CouponClaim] = []
    campaigns = CrossStoreCampaign.objects.filter(
        community_id=sale.community_id,
        issuer_id=sale.merchant_id,
        is_active=True,
        min_spend_fen__lte=sale.amount_fen,
    ).select_related("community", "issuer", "redeemer")
    for campaign in campaigns:
        claim = _issue_one(campaign=campaign, sale=sale, actor=actor, now=now)
        if claim is not None:
            issued.append(claim)
    return issued


def _issue_one(
    *, campaign: CrossStoreCampaign, sale: Sale, actor: Any, now: datetime
) -> CouponClaim | None:
    if campaign.redeemer.status != MerchantStatus.ACTIVE:
        return None
    try:
        with transaction.atomic():
            if not _member_slot_take(campaign=campaign, member_id=sale.member_id):
                return None
            within = CrossStoreCampaign.objects.filter(
                id=campaign.id, issued_fen__lte=F("budget_fen") - campaign.value_fen
            ).update(issued_fen=F("issued_fen") + campaign.value_fen)
            if within != 1:
                transaction.set_rollback(True)  # the member's slot goes back
                return None
            claim = CouponClaim.objects.create(
                community_id=sale.community_id,
                member_id=sale.member_id,
                merchant=campaign.redeemer,
                campaign=campaign,
                value_fen=campaign.value_fen,
                issued_by_sale=sale,
                valid_from=now,
                valid_until=now + timedelta(days=campaign.valid_days),
                status=ClaimStatus.AVAILABLE,
                claimed_at=now,
            )
            claim.hold_id = _reserve(claim=claim, actor=actor, key=f"xcoupon-issue:{claim.id}")
            claim.save(update_fields=["hold_id"])
            return claim
    except IntegrityError:
        return None


def _member_slot_take(*, campaign: CrossStoreCampaign, member_id: int) -> bool:
    """One of the member's `per_member_limit` coupons of this campaign, race-free: the
    counter row is created once (the unique constraint settles a concurrent first), then
    a conditional UPDATE of that row takes the slot — concurrent sales wait for its row
    lock on PostgreSQL and re-check, SQLite serialises writers."""
    CampaignMemberCount.objects.get_or_create(campaign=campaign, member_id=member_id)
    taken = CampaignMemberCount.objects.filter(
        campaign=campaign, member_id=member_id, issued__lt=campaign.per_member_limit
    ).update(issued=F("issued") + 1)
    return taken == 1


@dataclass(frozen=True)
class CampaignTerms:
    name: str
    issuer_id: int
    redeemer_id: int
    issuer_bp: int
    valid_days: int
    per_member_limit: int
    budget_fen: int


def campaign_create(
    *, community: Community, actor: Any, terms: CampaignTerms, now: datetime | None = None
) -> CrossStoreCampaign:
    """An operator drafts a campaign (switched off until the dry run has been seen). The
    spend, the value and the platform subsidy come from the policy in force."""
    now = now or timezone.now()
    policy = policy_in_force(community=community, at=now)
    if policy.cross_store_coupon_value_fen == 0:
        raise errors.CampaignOff()
    name = terms.name.strip()[:100] if isinstance(terms.name, str) else ""
    if not name:
        raise errors.CampaignInvalid(reason="name")
    shops = {
        m.id: m
        for m in Merchant.objects.filter(
            community=community,
            status=MerchantStatus.ACTIVE,
            id__in=[
                _campaign_int(terms.issuer_id, 1, 2**62, "issuer"),
                _campaign_int(terms.redeemer_id, 1, 2**62, "redeemer"),
            ],
        )
    }
    issuer, redeemer = shops.get(terms.issuer_id), shops.get(terms.redeemer_id)
    if issuer is None or redeemer is None or issuer.id == redeemer.id:
        raise errors.CampaignInvalid(reason="issuer, redeemer")
    platform_bp = policy.cross_store_coupon_platform_subsidy_bp
    _campaign_int(terms.issuer_bp, 0, BP_MAX - platform_bp, "issuer_bp")
    _campaign_int(terms.valid_days, 1, MAX_DAYS, "valid_days")
    _campaign_int(terms.per_member_limit, 1, MAX_LIMIT, "per_member_limit")
    _campaign_int(terms.budget_fen, policy.cross_store_coupon_value_fen, 10**12, "budget_fen")
    return CrossStoreCampaign.objects.create(
        community=community,
        name=name,
        issuer=issuer,
        redeemer=redeemer,
        min_spend_fen=policy.cross_store_coupon_min_spend_fen,
        value_fen=policy.cross_store_coupon_value_fen,
        platform_bp=platform_bp,
        issuer_bp=terms.issuer_bp,
        valid_days=terms.valid_days,
        per_member_limit=terms.per_member_limit,
        budget_fen=terms.budget_fen,
        created_by=actor,
        created_at=now,
    )


def _campaign_int(value: Any, low: int, high: int, reason: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise errors.CampaignInvalid(reason=reason)
    return value


def campaign_switch(*, campaign: CrossStoreCampaign, on: bool) -> CrossStoreCampaign:
    # A switch by hand overrides an exit notice's pause: a withdrawn notice leaves it be.
    CrossStoreCampaign.objects.filter(id=campaign.id).update(
        is_active=bool(on), exit_paused_at=None
    )
    campaign.refresh_from_db()
    return campaign


@dataclass(frozen=True)
class DryRun:
    month_start: date
    month_end: date
    qualifying_sales: int
    coupons_issued: int
    redemption_bp: int
    coupons_redeemed: int
    cost_fen: int
    platform_fen: int
    issuer_fen: int
    redeemer_fen: int
    budget_exhausted: bool


def campaign_dry_run(
    *, campaign: CrossStoreCampaign, redemption_bp: Any, now: datetime | None = None
) -> DryRun:
    """What the campaign would have cost on last calendar month's sales at the issuer: the
    same rules as live issuing (minimum spend, per-member limit, budget), then an assumed
    share of the coupons redeemed, each split as the campaign splits it. Writes nothing."""
    rate = _campaign_int(redemption_bp, 0, BP_MAX, "redemption_bp")
    today = timezone.localdate(now or timezone.now())
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    tz = timezone.get_current_timezone()
    sales = (
        Sale.objects.filter(
            merchant_id=campaign.issuer_id,
            created_at__gte=datetime.combine(start, time.min, tzinfo=tz),
            created_at__lt=datetime.combine(end, time.min, tzinfo=tz),
            amount_fen__gte=campaign.min_spend_fen,
        )
        .filter(~Q(status=SaleStatus.UNDONE))
        .order_by("created_at", "id")
        .values_list("member_id", flat=True)
    )
    per_member: dict[int, int] = {}
    qualifying = issued = 0
    budget_left = campaign.budget_fen
    for member_id in sales:
        qualifying += 1
        if per_member.get(member_id, 0) >= campaign.per_member_limit:
            continue
        if budget_left < campaign.value_fen:
            continue
        per_member[member_id] = per_member.get(member_id, 0) + 1
        budget_left -= campaign.value_fen
        issued += 1
    redeemed = issued * rate // BP_MAX
    shares = split_basis_points(
        campaign.value_fen,
        {"platform": campaign.platform_bp, "issuer": campaign.issuer_bp},
        rest="redeemer",
    )
    return DryRun(
        month_start=start,
        month_end=end - timedelta(days=1),
        qualifying_sales=qualifying,
        coupons_issued=issued,
        redemption_bp=rate,
        coupons_redeemed=redeemed,
        cost_fen=redeemed * campaign.value_fen,
        platform_fen=redeemed * shares["platform"],
        issuer_fen=redeemed * shares["issuer"],
        redeemer_fen=redeemed * shares["redeemer"],
        budget_exhausted=budget_left < campaign.value_fen,
    )


# --- a shop leaves the alliance (linli.merchants.exit_hooks) ---------------------------------


def merchant_leaving(*, merchant: Merchant, phase: str, actor: Any) -> int:
    """Exit hook. At "notice" the shop's coupons can no longer be claimed and every campaign
    it issues or honours switches off (coupons already held stay good during the notice
    period). At "settle" the coupons only this shop honours and that were never used are
    withdrawn (a cross-store one releases its issuer's reserved share), and the unused
    cross-store coupons this shop issued for partners are settled so their holders keep
    them (`_issued_settle`). At "prepare" (the closing, before money moves) those issued
    coupons' rows are locked first. At "withdraw" (the notice taken back) what the notice
    switched off is switched back on (`_exit_paused_restore`). Returns the rows changed
    (locked at "prepare")."""
    if phase == "notice":
        return _exit_pause(merchant)
    if phase == "withdraw":
        return _exit_paused_restore(merchant)
    if phase == "prepare":
        return len(_issued_open(merchant).values_list("id", flat=True))
    open_claims = CouponClaim.objects.select_for_update().filter(
        merchant=merchant, status=ClaimStatus.AVAILABLE
    )
    withdrawn = 0
    for claim in open_claims:
        _release_reserved_share(claim=claim, actor=actor)
        withdrawn += CouponClaim.objects.filter(id=claim.id, status=ClaimStatus.AVAILABLE).update(
            status=ClaimStatus.REVOKED, hold_id=None
        )
    return withdrawn + _issued_settle(merchant=merchant, actor=actor)


def _exit_pause(merchant: Merchant) -> int:
    """At notice: the shop's coupons stop being claimed and every campaign it issues or
    honours switches off; each is marked `exit_paused_at` so a withdrawn notice switches
    back on these and only these (not what the owner had switched off before)."""
    now = timezone.now()
    coupons = Coupon.objects.filter(merchant=merchant, is_active=True).update(
        is_active=False, exit_paused_at=now
    )
    campaigns = CrossStoreCampaign.objects.filter(
        Q(issuer=merchant) | Q(redeemer=merchant), is_active=True
    ).update(is_active=False, exit_paused_at=now)
    return coupons + campaigns


def _exit_paused_restore(merchant: Merchant) -> int:
    """At a withdrawn notice: the coupons the notice switched off can be claimed again; a
    campaign it switched off runs again unless the other shop is itself leaving (its own
    notice keeps it off; withdrawing that one switches it back on) or has left."""
    from linli.merchants.models import MerchantStatus

    coupons = Coupon.objects.filter(merchant=merchant, exit_paused_at__isnull=False).update(
        is_active=True, exit_paused_at=None
    )
    staying = (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED)
    campaigns = CrossStoreCampaign.objects.filter(
        Q(issuer=merchant) | Q(redeemer=merchant),
        exit_paused_at__isnull=False,
        issuer__status__in=staying,
        redeemer__status__in=staying,
    ).update(is_active=True, exit_paused_at=None)
    return coupons + campaigns


def _issued_open(merchant: Merchant) -> Any:
    """The unused, unsettled cross-store coupons `merchant` issued, their rows locked."""
    return (
        CouponClaim.objects.select_for_update(of=("self",))
        .filter(
            campaign__issuer=merchant,
            status=ClaimStatus.AVAILABLE,
            issuer_settled_at__isnull=True,
        )
        .order_by("id")
    )


def _issued_settle(*, merchant: Merchant, actor: Any) -> int:
    """Before an issuer's seat closes (its deposit holds already released): for each
    unused, unexpired cross-store coupon it issued, its reserved share is released and the
    whole share is paid from its account to the subsidy account (journal
    `cross_coupon_issuer_settle`) as far as the account covers it; the subsidy account
    covers the rest and from then on funds that share when the coupon is used. An expired
    one only has its reservation released."""
    now = timezone.now()
    community = merchant.community
    chart = chart_ensure(community=community)
    subsidy = chart[(AccountKind.SUBSIDY, "CNY")].id
    account = merchant_account(merchant)
    settled = 0
    for claim in _issued_open(merchant):
        _release_reserved_share(claim=claim, actor=actor)
        if claim.valid_until <= now:
            CouponClaim.objects.filter(id=claim.id).update(hold_id=None)
            continue
        assert claim.campaign is not None
        share = issuer_share_fen(campaign=claim.campaign, fen=claim.value_fen)
        account.refresh_from_db()
        paid = min(share, max(0, account_balances(account=account).available))
        if paid:
            journal_post(
                community=community,
                code="cross_coupon_issuer_settle",
                legs=[Leg(account.id, subsidy, paid)],
                idempotency_key=f"xcoupon-issuer-settle:{claim.id}",
                actor=actor,
                policy=policy_in_force(community=community),
                memo=f"cross-store coupon {claim.id}: the leaving issuer's share"[:200],
            )
        CouponClaim.objects.filter(id=claim.id).update(hold_id=None, issuer_settled_at=now)
        settled += 1
    return settled


def _release_reserved_share(*, claim: CouponClaim, actor: Any) -> None:
    if claim.hold_id is None:
        return
    try:
        with transaction.atomic():
            hold_void(
                community=claim.community,
                hold_id=claim.hold_id,
                idempotency_key=f"xcoupon-exit:{claim.id}",
                actor=actor,
                policy=policy_in_force(community=claim.community),
            )
    except DomainError:
        pass  # already expired and voided by the job: nothing is reserved any more
