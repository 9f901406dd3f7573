"""核销 in three verbs — prepare → consume(request_no) → undo(request_no) — plus partial
refunds and flash sales (SPEC capability 4; the leg rule is in `legs.py`)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext

from linli.commerce import (
    cards,
    coupons,
    errors,
    household,
    limits,
    lots,
    member_prices,
    refusals,
    vouchers,
)
from linli.commerce.accounts import member_wallet, merchant_account
from linli.commerce.legs import PaymentPart, PlannedLeg, Rates, Reward, refund_legs, sale_legs
from linli.commerce.models import (
    FlashOrder,
    FlashSale,
    RefundKind,
    Sale,
    SaleRefund,
    SaleSource,
    SaleStatus,
    TillStep,
)
from linli.communities.models import Community, PolicyVersion
from linli.communities.selectors import policy_in_force
from linli.ledger.models import Account, AccountKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post
from linli.members import pii
from linli.members.models import Member, Referral, ReferralStatus, Tier
from linli.merchants.models import SEAT_HOLDING, Merchant, MerchantStaff, MerchantStatus
from linli.merchants.selectors import commission_grade

MAX_SALE_FEN = 10_000_000  # 100 000 CNY: a neighbourhood till, not a car dealer
UNDO_WINDOW = timedelta(minutes=30)  # the clerk's own correction; later it is a refund
MAX_REQUEST_NO = 64
GOLD_TIERS = (Tier.GOLD, Tier.DIAMOND)
_ASSETS = ("CNY", "TIME", "PTS")


@dataclass
class Preview:
    """What the cashier sees before confirming (the merchant sees a masked name and tier)."""

    member: Member
    masked_name: str
    tier: str
    amount_fen: int
    cash_fen: int
    coin_units: int
    points: int
    legs: list[PlannedLeg]
    policy: PolicyVersion
    check: cards.CardCheck
    notes: list[str] = field(default_factory=list)
    price: member_prices.TillPrice | None = None  # list amount and discounts (member price)
    # --- coupons (linli.commerce.coupons): amount_fen is after the merchant's discount ---
    gross_fen: int = 0
    coupon_plan: coupons.CouponPlan | None = None
    # --- receipts: a platform voucher part; the graded commission rate ---
    voucher: vouchers.VoucherIn | None = None
    commission_bp: int = 0
    # --- the member must approve on their phone: coins and points over this (fen), or None
    confirmation_above_fen: int | None = None


def _referrers(member: Member, merchant: Merchant) -> tuple[int | None, Member | None]:
    """The id of the merchant whose owner referred the member (not the selling one), and
    the direct referrer if gold or better (members.Referral: one level, bound at
    registration). One query: the referring shop is a subquery of the referral."""
    referring_shop = (
        Merchant.objects.filter(
            community_id=member.community_id,
            owner_id=OuterRef("referrer__user_id"),
            status__in=SEAT_HOLDING,
        )
        .exclude(id=merchant.id)
        .order_by(*(Merchant._meta.ordering or ("pk",)))  # the shop `.first()` picked
        .values("id")[:1]
    )
    referral = (
        Referral.objects.filter(referee=member)
        .exclude(status__in=[ReferralStatus.VOID, ReferralStatus.REVERSED])
        .select_related("referrer")
        .annotate(shop_id=Subquery(referring_shop))
        .first()
    )
    if referral is None:
        return None, None
    referrer = referral.referrer
    gold = referrer if referrer.tier in GOLD_TIERS and referrer.closed_at is None else None
    return referral.shop_id, gold


def _units_value(
    *, policy: PolicyVersion, amount_fen: int, coin_units: int, points: int
) -> tuple[int, int]:
    """(coins value, points value) in fen; whole units only, together at most the amount."""
    coins_fen_x100 = coin_units * policy.coin_value_fen
    if coins_fen_x100 % 100:
        raise errors.MixInvalid()
    coins_fen, points_fen = coins_fen_x100 // 100, points * policy.point_value_fen
    if coins_fen + points_fen > amount_fen:
        raise errors.MixInvalid()
    return coins_fen, points_fen


def _points_left_today(member: Member, policy: PolicyVersion, now: datetime) -> int | None:
    cap = policy.daily_redemption_cap_points
    if cap is None:
        return None
    used = (
        Sale.objects.filter(member=member, created_at__date=timezone.localdate(now))
        .exclude(status=SaleStatus.UNDONE)
        .aggregate(total=Sum("points"))["total"]
        or 0
    )
    return max(0, cap - used)


def _check_parties(*, merchant: Merchant, member: Member, staff: bool | None = None) -> None:
    """`staff`: whether the member works at the shop, when the card check read it already."""
    if merchant.status != MerchantStatus.ACTIVE:
        raise errors.MerchantCannotSell()
    if member.closed_at is not None or member.community_id != merchant.community_id:
        raise errors.MemberInactive()
    if merchant.owner_id == member.user_id:
        raise errors.SelfDealing()
    if staff is None:
        staff = MerchantStaff.objects.filter(
            merchant=merchant, user_id=member.user_id, is_active=True
        ).exists()
    if staff:
        raise errors.SelfDealing()


def _checked_input(amount_fen: Any, coin_units: Any, points: Any) -> tuple[int, int, int]:
    values = (amount_fen, coin_units, points)
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
        raise errors.AmountInvalid(max=MAX_SALE_FEN // 100)
    if not 1 <= amount_fen <= MAX_SALE_FEN:
        raise errors.AmountInvalid(max=MAX_SALE_FEN // 100)
    return amount_fen, coin_units, points


def sale_prepare(
    *,
    merchant: Merchant,
    code: str,
    amount_fen: int,
    coin_units: int = 0,
    points: int = 0,
    pin: str = "",
    now: datetime | None = None,
    coupon_ids: list[int] | None = None,
    voucher: vouchers.VoucherIn | None = None,
    clerk: Any = None,
) -> Preview:
    """核销 step 1 (SPEC "核销 in three verbs"): who (masked), what applies, totals — nothing
    is written and the code is not used up (a fraud-type refusal is recorded for the
    anomaly view, `refusals.py`)."""
    now = now or timezone.now()
    with refusals.refusals_recorded(
        merchant=merchant, clerk=clerk, code=code, step=TillStep.PREPARE, now=now
    ):
        return _prepare(
            merchant=merchant,
            code=code,
            amount_fen=amount_fen,
            coin_units=coin_units,
            points=points,
            pin=pin,
            now=now,
            coupon_ids=coupon_ids,
            voucher=voucher,
        )


def _prepare(
    *,
    merchant: Merchant,
    code: str,
    amount_fen: int,
    coin_units: int,
    points: int,
    pin: str,
    now: datetime,
    coupon_ids: list[int] | None,
    voucher: vouchers.VoucherIn | None,
) -> Preview:
    amount_fen, coin_units, points = _checked_input(amount_fen, coin_units, points)
    check = cards.card_check(
        community_id=merchant.community_id, code=code, pin=pin, now=now, seller_id=merchant.id
    )
    member = check.card.member
    _check_parties(merchant=merchant, member=member, staff=check.staff_of_seller)
    household.till_cover_check(member=member, now=now)  # household cards: cover ended?
    limits.check_sale(merchant=merchant, member=member, amount_fen=amount_fen, now=now)
    policy = policy_in_force(community=merchant.community, at=now)
    # --- member price (commerce/member_prices.py): the sale is on the discounted amount ---
    price = member_prices.till_price(
        merchant=merchant, member=member, list_fen=amount_fen, policy=policy
    )
    amount_fen = price.amount_fen
    # --- end member price ---
    # --- coupons: a merchant coupon cuts the price, a cross-store coupon pays part of it ---
    gross_fen, plan = amount_fen, None
    if coupon_ids:
        plan = coupons.plan_for_sale(
            merchant=merchant,
            member=member,
            claim_ids=coupon_ids,
            gross_fen=gross_fen,
            policy=policy,
            now=now,
        )
        amount_fen = gross_fen - plan.discount_fen
    coupon_fen = plan.paid_fen if plan is not None else 0
    # --- end coupons ---
    # --- receipts: a platform voucher pays part of the rest (commerce/vouchers.py) ---
    voucher = vouchers.voucher_checked(
        merchant=merchant, voucher=voucher, left_fen=amount_fen - coupon_fen
    )
    voucher_fen = voucher.value_fen if voucher is not None else 0
    commission_bp = commission_grade(merchant=merchant, policy=policy).rate_bp
    # --- end receipts ---
    coins_fen, points_fen = _units_value(
        policy=policy,
        amount_fen=amount_fen - coupon_fen - voucher_fen,
        coin_units=coin_units,
        points=points,
    )
    left = _points_left_today(member, policy, now)
    if points and left is not None and points > left:
        raise errors.PointsCapReached(cap=policy.daily_redemption_cap_points, left=left)
    cash_fen = amount_fen - coins_fen - points_fen - coupon_fen - voucher_fen
    legs = _plan(
        merchant,
        member,
        policy,
        amount_fen,
        cash_fen,
        coin_units,
        points,
        coupon_fen,
        voucher_fen=voucher_fen,
        commission_bp=commission_bp,
    )
    coupons.check_leg_count(legs)
    return Preview(
        member=member,
        masked_name=pii.mask_name(member.display_name),
        tier=member.tier,
        amount_fen=amount_fen,
        cash_fen=cash_fen,
        coin_units=coin_units,
        points=points,
        legs=legs,
        policy=policy,
        check=check,
        price=price,
        gross_fen=gross_fen,
        coupon_plan=plan,
        voucher=voucher,
        commission_bp=commission_bp,
        confirmation_above_fen=limits.confirmation_threshold(
            policy=policy, coin_units=coin_units, points=points
        ),
    )


def _plan(
    merchant: Merchant,
    member: Member,
    policy: PolicyVersion,
    amount_fen: int,
    cash_fen: int,
    coin_units: int,
    points: int,
    coupon_fen: int = 0,
    *,
    voucher_fen: int = 0,
    commission_bp: int | None = None,
) -> list[PlannedLeg]:
    shop_id, gold = _referrers(member, merchant)
    rates = Rates(
        commission_bp=policy.commission_min_bp if commission_bp is None else commission_bp,
        fund_bp=policy.community_fund_sale_bp,
        rebate_bp=policy.cross_referral_rebate_bp if shop_id is not None else 0,
        reward_bp=policy.spend_reward_bp,
        gold_bp=policy.gold_team_spend_bp if gold is not None else 0,
    )
    # (asset, units, the system account paying it, or None for the member's wallet)
    paying = [
        (asset, units, system_kind, reason)
        for asset, units, system_kind, reason in (
            ("CNY", cash_fen, AccountKind.CASH_IN, "payment"),
            ("TIME", coin_units, None, "payment"),
            ("PTS", points, None, "payment"),
            ("CNY", coupon_fen, AccountKind.COUPON_COST, "payment"),  # cross-store
            # receipts: paid to the shop by Meituan/Douyin outside Linli, posted like cash
            ("CNY", voucher_fen, AccountKind.CASH_IN, vouchers.VOUCHER_REASON),
        )
        if units > 0
    ]
    rebate_shop_id = shop_id if shop_id is not None and rates.rebate_bp else None
    gold_member = gold if gold is not None and rates.gold_bp else None
    reward_asset = policy.spend_reward_asset
    chart, accounts = _sale_accounts(
        merchant.community,
        members=[_wallet_key(member, asset) for asset, _units, kind, _why in paying if kind is None]
        + [_reward_key(m, reward_asset) for m in (member, gold_member) if m is not None],
        merchants=[
            (merchant_id, asset)
            for merchant_id in (merchant.id, rebate_shop_id)
            if merchant_id is not None
            for asset, _units, _kind, _why in paying
        ],
    )
    parts = [
        PaymentPart(
            asset=asset,
            units=units,
            source_account_id=(
                chart[(kind, asset)].id
                if kind is not None
                else accounts[_wallet_key(member, asset)].id
            ),
            merchant_account_id=accounts[_shop_key(merchant.id, asset)].id,
            platform_account_id=chart[(AccountKind.PLATFORM_REVENUE, asset)].id,
            fund_account_id=chart[(AccountKind.COMMUNITY_FUND, asset)].id,
            rebate_account_id=(
                accounts[_shop_key(rebate_shop_id, asset)].id
                if rebate_shop_id is not None
                else None
            ),
            reason=reason,
        )
        for asset, units, kind, reason in paying
    ]
    reward = Reward(
        asset=reward_asset,
        issuance_account_id=chart[(AccountKind.ISSUANCE, reward_asset)].id,
        member_account_id=accounts[_reward_key(member, reward_asset)].id,
        gold_account_id=(
            accounts[_reward_key(gold_member, reward_asset)].id if gold_member is not None else None
        ),
    )
    return sale_legs(amount_fen=amount_fen, parts=parts, reward=reward, rates=rates)


_AccountKey = tuple[str, str, str, int]  # kind, asset, owner type, owner id


def _wallet_key(member: Member, asset: str) -> _AccountKey:
    return (AccountKind.MEMBER_WALLET, asset, "member", member.id)


def _reward_key(member: Member, asset: str) -> _AccountKey:
    """Where a sale's reward goes: points stay frozen until the return window closes
    (SPEC "Points"; released by `lots.points_release_due`), coins go to the wallet."""
    if asset == "PTS":
        return (AccountKind.MEMBER_FROZEN, asset, "member", member.id)
    return _wallet_key(member, asset)


def _shop_key(merchant_id: int, asset: str) -> _AccountKey:
    return (AccountKind.MERCHANT, asset, "merchant", merchant_id)


def _sale_accounts(
    community: Community,
    *,
    members: list[_AccountKey],
    merchants: list[tuple[int, str]],
) -> tuple[dict[tuple[str, str], Account], dict[tuple[str, str, str, int | None], Account]]:
    """The chart and every owned account a sale touches in ONE SELECT (a sale is planned
    twice, at prepare and at consume); a chart account missing goes through
    `chart_ensure` and an owned account never used before through `account_open`, which
    create them."""
    wanted = [*members, *(_shop_key(m, a) for m, a in merchants)]
    read = list(
        Account.objects.filter(community=community).filter(
            Q(owner_id__isnull=True)
            | Q(
                kind__in=[
                    AccountKind.MEMBER_WALLET,
                    AccountKind.MEMBER_FROZEN,
                    AccountKind.MERCHANT,
                ],
                owner_id__in={key[3] for key in wanted},
            )
        )
    )
    chart = chart_ensure(community=community, read=read)
    found: dict[tuple[str, str, str, int | None], Account] = {
        (a.kind, a.asset_id, a.owner_type, a.owner_id): a for a in read if a.owner_id
    }
    for key in wanted:
        if key not in found:
            kind, asset, owner_type, owner_id = key
            found[key] = account_open(
                community=community,
                kind=kind,
                asset=asset,
                owner_type=owner_type,
                owner_id=owner_id,
            )
    return chart, found


def sale_consume(
    *,
    merchant: Merchant,
    clerk: Any,
    request_no: str,
    code: str,
    amount_fen: int,
    coin_units: int = 0,
    points: int = 0,
    pin: str = "",
    source: str = SaleSource.POS,
    now: datetime | None = None,
    coupon_ids: list[int] | None = None,
    voucher: vouchers.VoucherIn | None = None,
) -> tuple[Sale, bool]:
    """核销 step 2: use the code up and post ONE journal with every leg. A retry with the
    same request_no returns the first sale (and `True` for "replayed"). A fraud-type
    refusal is recorded after the sale's transaction rolled back (`refusals.py`)."""
    request_no = _request_no(request_no)
    if source not in SaleSource.values:
        source = SaleSource.POS
    existing = Sale.objects.filter(merchant=merchant, request_no=request_no).first()
    if existing is not None:
        return _replayed(existing, amount_fen, coin_units, points), True
    now = now or timezone.now()
    with refusals.refusals_recorded(
        merchant=merchant, clerk=clerk, code=code, step=TillStep.CONSUME, now=now
    ):
        return _consume(
            merchant=merchant,
            clerk=clerk,
            request_no=request_no,
            code=code,
            amount_fen=amount_fen,
            coin_units=coin_units,
            points=points,
            pin=pin,
            source=source,
            now=now,
            coupon_ids=coupon_ids,
            voucher=voucher,
        )


def _consume(
    *,
    merchant: Merchant,
    clerk: Any,
    request_no: str,
    code: str,
    amount_fen: int,
    coin_units: int,
    points: int,
    pin: str,
    source: str,
    now: datetime,
    coupon_ids: list[int] | None,
    voucher: vouchers.VoucherIn | None,
) -> tuple[Sale, bool]:
    preview = _prepare(
        merchant=merchant,
        code=code,
        amount_fen=amount_fen,
        coin_units=coin_units,
        points=points,
        pin=pin,
        now=now,
        coupon_ids=coupon_ids,
        voucher=voucher,
    )
    confirmation = limits.confirmation_for(  # the member approves on their phone (if needed)
        merchant=merchant,
        member=preview.member,
        amount_fen=preview.amount_fen,
        coin_units=preview.coin_units,
        points=preview.points,
        policy=preview.policy,
        now=now,
    )
    try:
        with transaction.atomic():
            limits.check_sale(  # again under row locks: concurrent tills count in turn
                merchant=merchant, member=preview.member, amount_fen=amount_fen, now=now, lock=True
            )
            cards.card_use(check=preview.check)
            posted = journal_post(
                community=merchant.community,
                code="sale",
                legs=[Leg(g.debit_account_id, g.credit_account_id, g.amount) for g in preview.legs],
                idempotency_key=f"sale:{merchant.id}:{request_no}",
                actor=clerk,
                policy=preview.policy,
                memo=f"sale {request_no}"[:200],
            )
            sale = Sale.objects.create(
                community_id=merchant.community_id,
                merchant=merchant,
                member=preview.member,
                request_no=request_no,
                status=SaleStatus.CONSUMED,
                amount_fen=preview.amount_fen,
                cash_fen=preview.cash_fen,
                coin_units=preview.coin_units,
                points=preview.points,
                legs=[g.as_json() for g in preview.legs],
                journal_id=posted.journal_id,
                policy=preview.policy,
                clerk=clerk,
                source=source,
                auth_method=preview.check.method,
                card_step=preview.check.step,
                created_at=now,
                commission_bp=preview.commission_bp,
            )
            vouchers.voucher_record(sale=sale, voucher=preview.voucher)  # receipts
            member_prices.sale_price_record(sale=sale, price=preview.price)
            # --- coupons: use them up and fund them; issue cross-store coupons earned ---
            coupons.plan_apply(sale=sale, plan=preview.coupon_plan, clerk=clerk, now=now)
            coupons.campaigns_issue(sale=sale, actor=clerk, now=now)
            limits.confirmation_use(confirmation=confirmation, sale=sale)
    except IntegrityError:
        existing = Sale.objects.filter(merchant=merchant, request_no=request_no).first()
        if existing is None:
            raise
        return _replayed(existing, amount_fen, coin_units, points), True
    return sale, False


def _request_no(request_no: Any) -> str:
    text = request_no.strip() if isinstance(request_no, str) else ""
    if not 1 <= len(text) <= MAX_REQUEST_NO or not text.isprintable():
        raise errors.RequestConflict()
    return text


def _replayed(sale: Sale, amount_fen: Any, coin_units: Any, points: Any) -> Sale:
    # The cashier typed the list price; a member price then coupons came off it.
    typed = member_prices.list_amount_of(sale)
    if typed == sale.amount_fen:
        typed = coupons.gross_of(sale)
    if (typed, sale.coin_units, sale.points) != (amount_fen, coin_units, points):
        raise errors.RequestConflict()
    return sale


def _legs_of(sale: Sale) -> list[PlannedLeg]:
    return [PlannedLeg(**leg) for leg in sale.legs]


def sale_undo(
    *, sale: Sale, actor: Any, source: str = SaleSource.POS, now: datetime | None = None
) -> SaleRefund:
    """核销 step 3: the clerk's undo within UNDO_WINDOW of a sale not yet refunded — a
    full reversing journal that references the sale's. Repeating it returns the first."""
    done = sale.refunds.filter(kind=RefundKind.UNDO).first()
    if done is not None:
        return done
    now = now or timezone.now()
    if sale.refunded_fen:
        raise errors.UndoNotAllowed(reason=_reason_refunded())
    if now - sale.created_at > UNDO_WINDOW:
        raise errors.UndoNotAllowed(reason=_reason_too_late())
    undone = _refund_post(
        sale=sale,
        actor=actor,
        request_no="undo",
        kind=RefundKind.UNDO,
        amount_fen=sale.amount_fen,
        source=source,
        now=now,
    )
    vouchers.voucher_release(sale=sale)  # receipts: the code may be rung up again
    return undone


def _reason_refunded() -> str:
    return gettext("it has been partly refunded; refund the rest instead.")


def _reason_too_late() -> str:
    return gettext("the undo window has passed; record a refund instead.")


def sale_refund(
    *,
    sale: Sale,
    actor: Any,
    request_no: str,
    amount_fen: int,
    source: str = SaleSource.BACKOFFICE,
    now: datetime | None = None,
) -> SaleRefund:
    """A full or partial refund within the policy's return window: every leg reversed in
    proportion (`legs.refund_legs`), in a new journal. A retry returns the first."""
    request_no = _request_no(request_no)
    done = sale.refunds.filter(request_no=request_no).first()
    if done is not None:
        if done.amount_fen != amount_fen:
            raise errors.RequestConflict()
        return done
    now = now or timezone.now()
    if now - sale.created_at > timedelta(days=sale.policy.return_window_days):
        raise errors.UndoNotAllowed(reason=_reason_too_late())
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen < 1:
        raise errors.RefundInvalid()
    return _refund_post(
        sale=sale,
        actor=actor,
        request_no=request_no,
        kind=RefundKind.REFUND,
        amount_fen=amount_fen,
        source=source,
        now=now,
    )


def _refund_post(
    *,
    sale: Sale,
    actor: Any,
    request_no: str,
    kind: str,
    amount_fen: int,
    source: str,
    now: datetime,
) -> SaleRefund:
    with transaction.atomic():
        locked = Sale.objects.select_for_update().get(id=sale.id)
        if amount_fen > locked.amount_fen - locked.refunded_fen:
            raise errors.RefundInvalid()
        # coupons: refused if partial with a cross-store coupon; given back when made whole
        coupons.refund_coupons(sale=locked, amount_fen=amount_fen, actor=actor, now=now)
        original = _legs_of(locked)
        available, spill = _reward_sources(locked, original)
        chart = chart_ensure(community=locked.community)
        legs = refund_legs(
            original=original,
            amount_fen=locked.amount_fen,
            refunded_before_fen=locked.refunded_fen,
            refunded_after_fen=locked.refunded_fen + amount_fen,
            member_available=available,
            subsidy_accounts={
                a: chart[(AccountKind.SUBSIDY, a)].id for a in ("CNY", "TIME", "PTS")
            },
            spill=spill,
        )
        if not legs:  # too small to move a single unit of any leg: nothing to post
            raise errors.RefundInvalid()
        posted = journal_post(
            community=locked.community,
            code="sale_refund" if kind == RefundKind.REFUND else "sale_undo",
            legs=[Leg(g.debit_account_id, g.credit_account_id, g.amount) for g in legs],
            idempotency_key=f"{kind}:{locked.id}:{request_no}",
            actor=actor,
            policy=locked.policy,
            memo=f"{kind} of sale {locked.request_no}"[:200],
            external_ref=str(locked.journal_id),
        )
        locked.refunded_fen += amount_fen
        full = locked.refunded_fen == locked.amount_fen
        locked.status = (
            SaleStatus.UNDONE
            if kind == RefundKind.UNDO
            else (SaleStatus.REFUNDED if full else SaleStatus.PARTLY_REFUNDED)
        )
        locked.save(update_fields=["refunded_fen", "status"])
        return SaleRefund.objects.create(
            community_id=locked.community_id,
            sale=locked,
            request_no=request_no,
            kind=kind,
            amount_fen=amount_fen,
            legs=[g.as_json() for g in legs],
            journal_id=posted.journal_id,
            actor=actor,
            source=source,
            created_at=now,
        )


def _reward_sources(
    sale: Sale, original: list[PlannedLeg]
) -> tuple[dict[int, int], dict[int, int]]:
    """What a refund may take the sale's rewards back from: the wallets credited (what they
    can spend now) and, for points credited frozen, what is left frozen of THIS sale's lot
    then the member's wallet (`spill`). Locks each member's points book, members in id
    order, before the journal locks the accounts (the order `commerce/lots.py` keeps)."""
    rewarded = Account.objects.filter(
        id__in={g.credit_account_id for g in original if g.reason in ("cashback", "gold")},
        kind__in=[AccountKind.MEMBER_WALLET, AccountKind.MEMBER_FROZEN],
    ).order_by("owner_id")
    available: dict[int, int] = {}
    spill: dict[int, int] = {}
    for account in rewarded:
        if account.kind == AccountKind.MEMBER_WALLET:
            available[account.id] = account_balances(account=account).available
            continue
        owner = Member.objects.select_related("community").get(id=account.owner_id or 0)
        lots.lots_sync(member=owner)  # takes the book lock, held until the refund commits
        wallet = member_wallet(owner, "PTS")
        available[account.id] = lots.frozen_left_for(member=owner, journal_id=sale.journal_id)
        available[wallet.id] = account_balances(account=wallet).available
        spill[account.id] = wallet.id
    return available, spill


# --- flash sales for points (积分秒杀) ------------------------------------------------------


def flash_sale_create(
    *, merchant: Merchant, title: str, price_points: int, stock: int
) -> FlashSale:
    """A merchant's limited item for points (B§2.3 积分秒杀)."""
    if not (isinstance(price_points, int) and price_points > 0 and isinstance(stock, int)):
        raise errors.AmountInvalid(max=MAX_SALE_FEN // 100)
    return FlashSale.objects.create(
        community_id=merchant.community_id,
        merchant=merchant,
        title=title[:100],
        price_points=price_points,
        stock=max(stock, 0),
    )


def flash_sale_buy(*, flash_sale: FlashSale, member: Member) -> FlashOrder:
    """Take one from the stock with a conditional UPDATE (sold < stock, atomic on both
    engines, backed by a CHECK) and pay the points in the same transaction: never oversold,
    and a buyer without the points gives the item back by rolling back."""
    community: Community = flash_sale.community
    if FlashOrder.objects.filter(flash_sale=flash_sale, member=member).exists():
        raise errors.AlreadyBought()
    wallet = member_wallet(member, "PTS")
    shop = merchant_account(flash_sale.merchant, "PTS")
    try:
        with transaction.atomic():
            taken = FlashSale.objects.filter(id=flash_sale.id, sold__lt=F("stock")).update(
                sold=F("sold") + 1
            )
            if taken != 1:
                raise errors.SoldOut()
            posted = journal_post(
                community=community,
                code="flash_sale",
                legs=[Leg(wallet.id, shop.id, flash_sale.price_points)],
                idempotency_key=f"flash:{flash_sale.id}:{member.id}",
                actor=member.user,
                policy=policy_in_force(community=community),
                memo=f"flash sale {flash_sale.id}",
            )
            return FlashOrder.objects.create(
                community=community,
                flash_sale=flash_sale,
                member=member,
                journal_id=posted.journal_id,
            )
    except IntegrityError as exc:
        if FlashOrder.objects.filter(flash_sale=flash_sale, member=member).exists():
            raise errors.AlreadyBought() from exc
        raise


# --- for the merchant alliance (merchantsgap): a leaving shop's flash sales end -----------


def merchant_flash_sales_close(*, merchant: Merchant, actor: Any) -> int:
    """End the shop's live flash sales when it gives notice (issue 5: "its offers end"):
    the stock is cut to what was sold, so `flash_sale_buy`'s conditional UPDATE finds
    nothing left; orders already paid stay as they are. Returns how many were closed."""
    from linli.communities.audit import audit_record

    closed = 0
    with transaction.atomic():
        for flash in FlashSale.objects.select_for_update().filter(
            merchant=merchant, sold__lt=F("stock")
        ):
            before = {"stock": flash.stock, "sold": flash.sold}
            flash.stock = flash.sold
            flash.save(update_fields=["stock"])
            audit_record(
                actor=actor,
                action="commerce.flash_sale_close",
                target=flash,
                before=before,
                after={"stock": flash.stock, "sold": flash.sold},
            )
            closed += 1
    return closed


# --- end of the merchantsgap block ---------------------------------------------------------
