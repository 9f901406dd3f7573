"""Group buying (团购预购, A§2.2 供应链共融, B§1.3): tiers, pledges as holds, settle or void.

The money rule, all through the ledger:

* A pledge of N units is a **hold** on the member's CNY wallet for N × the first (highest)
  tier's price, credited to the merchant's CNY account when posted. The member can
  withdraw before the deadline (the hold is voided).
* At the deadline (`group_buy_close`, run every minute by `commerce.tasks` and callable by
  an operator) the group-buy settles once: when the units pledged reach the threshold,
  the final price is the lowest tier whose minimum is reached, and every pledge's hold is
  posted for N × the final price — `hold_post` releases the rest of the hold in the same
  journal (not `keep_rest_held`, which would re-hold it). The supplier margin,
  `margin_bp` of everything posted (within the policy's group_buy_margin_min_bp..max_bp),
  then goes from the merchant to platform revenue in one journal, split with
  `split_basis_points` like every fee of a sale. Below the threshold every hold is voided.
* Each settled pledge gets a pickup code (8 characters, no 0/O/1/I/L, ~8.5×10¹¹ codes,
  from `secrets`) that the merchant's staff confirm at the pickup point once.

Concurrency: a pledge, a withdrawal and the settlement each lock the group-buy row first,
so a pledge cannot slip in while it settles and two settlement runs post once (the
second finds it closed). Deterministic idempotency keys make a crashed rerun safe too.

Holds expire `HOLD_GRACE` after the deadline (the ledger's expiry job voids them), so a
group-buy nobody settles can never keep a member's money held for ever.
"""

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.commerce import groupbuy_errors as errors
from linli.commerce import household
from linli.commerce.accounts import member_wallet, merchant_account
from linli.commerce.models import GroupBuy, GroupBuyStatus, Pledge, PledgeStatus
from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Community, PolicyVersion
from linli.communities.permissions import has_permission, require_permission
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError, Forbidden, NotFound
from linli.ledger import errors as ledger_errors
from linli.ledger.allocation import split_basis_points
from linli.ledger.models import AccountKind, Transfer
from linli.ledger.selectors import account_balances
from linli.ledger.services import (
    Leg,
    chart_ensure,
    hold_create,
    hold_post,
    hold_void,
    journal_post,
)
from linli.members.models import Member
from linli.merchants.models import Merchant, MerchantStatus, StaffRole
from linli.merchants.selectors import staff_merchant, works_at

MAX_TIERS = 5
MAX_PRICE_FEN = 10_000_000  # 100 000 CNY a unit
MAX_UNITS_PER_PLEDGE = 99
MAX_THRESHOLD_UNITS = 100_000
MAX_OPEN_DAYS = 90
HOLD_GRACE = timedelta(days=7)
PICKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a counter
PICKUP_LENGTH = 8
MAX_TITLE, MAX_PICKUP_POINT = 100, 200
logger = logging.getLogger(__name__)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- rules as pure functions -------------------------------------------------------------


def checked_tiers(tiers: Any) -> list[dict[str, int]]:
    """1..MAX_TIERS tiers, minimum units strictly rising from ≥1, prices strictly falling."""
    if not isinstance(tiers, list | tuple) or not 1 <= len(tiers) <= MAX_TIERS:
        raise errors.GroupBuyInvalid(reason=f"1 to {MAX_TIERS} price tiers")
    clean: list[dict[str, int]] = []
    for tier in tiers:
        min_units: Any
        price: Any
        if isinstance(tier, dict):
            min_units, price = tier.get("min_units"), tier.get("price_fen")
        elif isinstance(tier, list | tuple) and len(tier) == 2:
            min_units, price = tier
        else:
            raise errors.GroupBuyInvalid(reason="a tier is a minimum and a price")
        if not (_is_int(min_units) and _is_int(price)):
            raise errors.GroupBuyInvalid(reason="tiers are whole numbers")
        if not (1 <= min_units <= MAX_THRESHOLD_UNITS and 1 <= price <= MAX_PRICE_FEN):
            raise errors.GroupBuyInvalid(reason="a tier's minimum or price is out of range")
        if clean and (min_units <= clean[-1]["min_units"] or price >= clean[-1]["price_fen"]):
            raise errors.GroupBuyInvalid(reason="each tier needs more units and a lower price")
        clean.append({"min_units": min_units, "price_fen": price})
    return clean


def tier_price(tiers: list[dict[str, int]], units: int) -> int:
    """The price of the last tier whose minimum `units` reaches (the first tier's below)."""
    price = tiers[0]["price_fen"]
    for tier in tiers:
        if units >= tier["min_units"]:
            price = tier["price_fen"]
    return price


def settlement_amounts(
    *, pledged_units: list[int], tiers: list[dict[str, int]], margin_bp: int
) -> tuple[int, list[tuple[int, int]], int, int]:
    """(final price, [(posted, released) per pledge], margin to the platform, merchant's
    share) for pledges that reached the threshold: the worked rule of the module docstring."""
    final = tier_price(tiers, sum(pledged_units))
    first = tiers[0]["price_fen"]
    per_pledge = [(units * final, units * (first - final)) for units in pledged_units]
    total = sum(posted for posted, _released in per_pledge)
    split = split_basis_points(total, {"margin": margin_bp}, rest="merchant")
    return final, per_pledge, split["margin"], split["merchant"]


def pickup_code_new() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(PICKUP_LENGTH))


def pickup_code_normal(text: Any) -> str:
    """What a clerk types, forgiving case, spaces and dashes; "" when it cannot be a code."""
    if not isinstance(text, str):
        return ""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != PICKUP_LENGTH or any(c not in PICKUP_ALPHABET for c in code):
        return ""
    return code


# --- who may act for which merchant --------------------------------------------------------


def merchant_for_creator(
    *, actor: Any, community: Community, merchant: Merchant | None
) -> Merchant:
    """A merchant owner creates for their own shop; an operator for any active merchant
    (the supplier's group-buy); nobody else."""
    require_permission(user=actor, community=community, action="groupbuy.create")
    job = staff_merchant(user=actor, community=community)
    if job is not None and job[1] == StaffRole.OWNER and (merchant is None or merchant == job[0]):
        merchant = job[0]
    elif not has_permission(user=actor, community=community, action="groupbuy.settle"):
        raise Forbidden()
    if merchant is None or merchant.community_id != community.id:
        raise NotFound()
    if merchant.status != MerchantStatus.ACTIVE:
        raise errors.GroupBuyInvalid(reason="the shop is not active")
    return merchant


# --- use cases -----------------------------------------------------------------------------


def group_buy_create(
    *,
    actor: Any,
    community: Community,
    title: Any,
    tiers: Any,
    threshold_units: Any,
    deadline: Any,
    pickup_point: Any,
    margin_bp: Any,
    merchant: Merchant | None = None,
    now: datetime | None = None,
) -> GroupBuy:
    """A merchant's (or, for a supplier, an operator's) group-buy, checked against policy."""
    now = now or timezone.now()
    shop = merchant_for_creator(actor=actor, community=community, merchant=merchant)
    clean_tiers = checked_tiers(tiers)
    title_text = title.strip() if isinstance(title, str) else ""
    point_text = pickup_point.strip() if isinstance(pickup_point, str) else ""
    if not 1 <= len(title_text) <= MAX_TITLE or not 1 <= len(point_text) <= MAX_PICKUP_POINT:
        raise errors.GroupBuyInvalid(reason="an item name and a pickup point are needed")
    if not _is_int(threshold_units) or not 1 <= threshold_units <= MAX_THRESHOLD_UNITS:
        raise errors.GroupBuyInvalid(reason="the minimum units are out of range")
    if threshold_units < clean_tiers[0]["min_units"]:
        raise errors.GroupBuyInvalid(reason="the minimum must reach the first tier")
    if (
        not isinstance(deadline, datetime)
        or deadline.tzinfo is None  # a deadline without a time zone is ambiguous
        or not now < deadline <= now + timedelta(days=MAX_OPEN_DAYS)
    ):
        raise errors.GroupBuyInvalid(reason=f"the deadline must be within {MAX_OPEN_DAYS} days")
    policy = policy_in_force(community=community, at=now)
    low, high = policy.group_buy_margin_min_bp, policy.group_buy_margin_max_bp
    if not _is_int(margin_bp) or not low <= margin_bp <= high:
        raise errors.MarginOutOfPolicy(low=low, high=high)
    with transaction.atomic():
        group_buy = GroupBuy.objects.create(
            community=community,
            merchant=shop,
            title=title_text,
            tiers=clean_tiers,
            threshold_units=threshold_units,
            deadline=deadline,
            pickup_point=point_text,
            margin_bp=margin_bp,
            policy=policy,
            created_by=actor,
            created_at=now,
        )
        audit_record(
            actor=actor, action="groupbuy.create", target=group_buy, after=snapshot(group_buy)
        )
    return group_buy


def group_buy_pledge(
    *, group_buy: GroupBuy, member: Member, units: Any, now: datetime | None = None
) -> Pledge:
    """Pledge `units`: hold units × the first tier's price on the member's CNY wallet. The
    group-buy's own shop (owner or staff) cannot pledge (`group_buy_own_shop`)."""
    now = now or timezone.now()
    community = group_buy.community
    if member.community_id != community.id or member.closed_at is not None:
        raise NotFound()
    require_permission(user=member.user, community=community, action="groupbuy.pledge")
    if not _is_int(units) or not 1 <= units <= MAX_UNITS_PER_PLEDGE:
        raise errors.PledgeInvalid(max=MAX_UNITS_PER_PLEDGE)
    if works_at(merchant=group_buy.merchant, user_id=member.user_id):
        raise errors.PledgeOwnShop()  # the shop's (or supplier's) own people: self-dealing
    wallet, shop = member_wallet(member), merchant_account(group_buy.merchant)
    policy = policy_in_force(community=community, at=now)
    try:
        with transaction.atomic():
            locked = GroupBuy.objects.select_for_update().get(id=group_buy.id)
            if locked.status != GroupBuyStatus.OPEN or now >= locked.deadline:
                raise errors.GroupBuyClosed()
            held_fen = units * locked.first_price_fen
            pledge = Pledge.objects.create(
                community=community,
                group_buy=locked,
                member=member,
                units=units,
                held_fen=held_fen,
                status=PledgeStatus.HELD,
                created_at=now,
            )
            posted = hold_create(
                community=community,
                debit_account_id=wallet.id,
                credit_account_id=shop.id,
                amount=held_fen,
                expires_at=max(locked.deadline, now) + HOLD_GRACE,
                code="group_buy_pledge",
                idempotency_key=f"gb-pledge:{pledge.id}",
                actor=member.user,
                policy=policy,
                memo=f"group-buy {locked.id} pledge {units}",
            )
            pledge.hold_id = posted.transfer_ids[0]
            pledge.save(update_fields=["hold_id"])
            return pledge
    except ledger_errors.InsufficientFunds:
        wallet.refresh_from_db()
        available = account_balances(account=wallet).available
        raise errors.WalletShort(
            available=_yuan(available), needed=_yuan(units * group_buy.first_price_fen)
        ) from None
    except IntegrityError as exc:
        if Pledge.objects.filter(
            group_buy=group_buy, member=member, status=PledgeStatus.HELD
        ).exists():
            raise errors.AlreadyPledged() from exc
        raise


def _hold_of(pledge: Pledge) -> uuid.UUID:
    """The pledge's hold (set in the transaction that created the pledge)."""
    if pledge.hold_id is None:
        raise errors.PledgeNotHeld()
    return pledge.hold_id


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def pledge_withdraw(*, pledge: Pledge, member: Member, now: datetime | None = None) -> Pledge:
    """Withdraw before the deadline: the hold is voided, nothing moves."""
    now = now or timezone.now()
    if pledge.member_id != member.id:
        raise NotFound()
    with transaction.atomic():
        group_buy = GroupBuy.objects.select_for_update().get(id=pledge.group_buy_id)
        locked = Pledge.objects.select_for_update().get(id=pledge.id)
        if locked.status == PledgeStatus.WITHDRAWN:
            return locked
        if locked.status != PledgeStatus.HELD:
            raise errors.PledgeNotHeld()
        if group_buy.status != GroupBuyStatus.OPEN or now >= group_buy.deadline:
            raise errors.GroupBuyClosed()
        posted = hold_void(
            community=group_buy.community,
            hold_id=_hold_of(locked),
            code="group_buy_withdraw",
            idempotency_key=f"gb-withdraw:{locked.id}",
            actor=member.user,
            policy=policy_in_force(community=group_buy.community, at=now),
            memo=f"group-buy {group_buy.id} pledge withdrawn",
        )
        locked.status = PledgeStatus.WITHDRAWN
        locked.resolve_journal_id = posted.journal_id
        locked.save(update_fields=["status", "resolve_journal_id"])
        return locked


def group_buy_close(
    *, group_buy: GroupBuy, actor: Any = None, now: datetime | None = None
) -> GroupBuy:
    """Settle or void every pledge once the deadline has passed; a second run (or a
    concurrent one) returns the closed group-buy without posting anything again."""
    now = now or timezone.now()
    if actor is not None:
        require_permission(user=actor, community=group_buy.community, action="groupbuy.settle")
    with transaction.atomic():
        locked = (
            GroupBuy.objects.select_for_update()
            .select_related("community", "merchant")
            .get(id=group_buy.id)
        )
        if locked.status != GroupBuyStatus.OPEN:
            return locked
        if now < locked.deadline:
            raise errors.GroupBuyNotDue()
        pledges = list(
            Pledge.objects.select_for_update()
            .filter(group_buy=locked, status=PledgeStatus.HELD)
            .order_by("id")
        )
        pledges = _drop_expired(pledges)
        policy = policy_in_force(community=locked.community, at=now)
        units = sum(p.units for p in pledges)
        if pledges and units >= locked.threshold_units:
            _settle(locked, pledges, policy, actor)
        else:
            _void_all(locked, pledges, policy, actor)
        locked.closed_at = now
        locked.save(
            update_fields=[
                "status",
                "final_price_fen",
                "settled_units",
                "margin_fen",
                "margin_journal_id",
                "closed_at",
            ]
        )
        audit_record(
            actor=actor,
            action="groupbuy.close",
            target=locked,
            after={"status": locked.status, "units": units, "margin_fen": locked.margin_fen},
        )
        return locked


def _drop_expired(pledges: list[Pledge]) -> list[Pledge]:
    """Pledges whose hold the ledger's expiry job already released (a settlement more than
    HOLD_GRACE late) are marked released and no longer count towards the threshold."""
    resolved = set(
        Transfer.objects.filter(
            id__in=[p.hold_id for p in pledges if p.hold_id], resolutions__isnull=False
        ).values_list("id", flat=True)
    )
    for pledge in pledges:
        if pledge.hold_id in resolved:
            pledge.status = PledgeStatus.VOIDED
            pledge.save(update_fields=["status"])
    return [p for p in pledges if p.hold_id not in resolved]


def _settle(group_buy: GroupBuy, pledges: list[Pledge], policy: PolicyVersion, actor: Any) -> None:
    final, amounts, margin, _merchant_share = settlement_amounts(
        pledged_units=[p.units for p in pledges],
        tiers=group_buy.tiers,
        margin_bp=group_buy.margin_bp,
    )
    for pledge, (paid, _released) in zip(pledges, amounts, strict=True):
        posted = hold_post(
            community=group_buy.community,
            hold_id=_hold_of(pledge),
            amount=paid,
            code="group_buy_settle",
            idempotency_key=f"gb-settle:{pledge.id}",
            actor=actor,
            policy=policy,
            memo=f"group-buy {group_buy.id}: {pledge.units} at {final} fen",
        )
        pledge.status = PledgeStatus.SETTLED
        pledge.paid_fen = paid
        pledge.resolve_journal_id = posted.journal_id
        pledge.save(update_fields=["status", "paid_fen", "resolve_journal_id"])
        _give_pickup_code(pledge)
    if margin:
        chart = chart_ensure(community=group_buy.community)
        posted = journal_post(
            community=group_buy.community,
            code="group_buy_margin",
            legs=[
                Leg(
                    merchant_account(group_buy.merchant).id,
                    chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id,
                    margin,
                )
            ],
            idempotency_key=f"gb-margin:{group_buy.id}",
            actor=actor,
            policy=policy,
            memo=f"group-buy {group_buy.id} supplier margin {group_buy.margin_bp} bp",
        )
        group_buy.margin_journal_id = posted.journal_id
    group_buy.status = GroupBuyStatus.SETTLED
    group_buy.final_price_fen = final
    group_buy.settled_units = sum(p.units for p in pledges)
    group_buy.margin_fen = margin


def _give_pickup_code(pledge: Pledge) -> None:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                pledge.pickup_code = pickup_code_new()
                pledge.save(update_fields=["pickup_code"])
                return
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique pickup code")  # 5 collisions in 8.5e11


def _void_all(
    group_buy: GroupBuy, pledges: list[Pledge], policy: PolicyVersion, actor: Any
) -> None:
    for pledge in pledges:
        try:
            posted = hold_void(
                community=group_buy.community,
                hold_id=_hold_of(pledge),
                code="group_buy_void",
                idempotency_key=f"gb-void:{pledge.id}",
                actor=actor,
                policy=policy,
                memo=f"group-buy {group_buy.id} below its threshold",
            )
            pledge.resolve_journal_id = posted.journal_id
        except ledger_errors.HoldResolved:
            pass  # already released by the ledger's expiry job: nothing is held any more
        pledge.status = PledgeStatus.VOIDED
        pledge.save(update_fields=["status", "resolve_journal_id"])
    group_buy.status = GroupBuyStatus.VOIDED


def group_buys_close_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """The periodic job: close every open group-buy whose deadline has passed."""
    now = now or timezone.now()
    due = GroupBuy.objects.filter(status=GroupBuyStatus.OPEN, deadline__lte=now).order_by(
        "deadline", "id"
    )[:limit]
    closed = 0
    for group_buy in due:
        try:
            group_buy_close(group_buy=group_buy, now=now)
            closed += 1
        except DomainError:  # one stuck group-buy must not stop the others; retried next run
            logger.exception("group-buy %s could not be closed", group_buy.id)
    return closed


def pickup_confirm(
    *, actor: Any, community: Community, code: Any, now: datetime | None = None
) -> Pledge:
    """The shop's staff confirm a pickup code once (a conditional UPDATE: single use even
    when two clerks scan the same code at the same moment). A member whose family-package
    cover ended is refused as at the till (`household_not_covered`)."""
    now = now or timezone.now()
    job = staff_merchant(user=actor, community=community)
    if job is None or not has_permission(user=actor, community=community, action="sale.record"):
        raise Forbidden()
    merchant = job[0]
    normal = pickup_code_normal(code)
    if not normal:
        raise errors.PickupCodeInvalid()
    mine = Pledge.objects.filter(
        community=community,
        group_buy__merchant=merchant,
        pickup_code=normal,
        status=PledgeStatus.SETTLED,
    )
    pledge = mine.select_related("group_buy", "member").first()
    if pledge is None:
        raise errors.PickupCodeInvalid()
    if pledge.picked_up_at is not None:
        raise errors.PickupCodeUsed()
    household.till_cover_check(member=pledge.member, now=now)  # as the till does
    taken = mine.filter(picked_up_at__isnull=True).update(picked_up_at=now, picked_up_by=actor)
    if taken != 1:
        raise errors.PickupCodeUsed()
    pledge.picked_up_at, pledge.picked_up_by = now, actor
    return pledge
