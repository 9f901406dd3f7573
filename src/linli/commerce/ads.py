"""Merchant ad slots (A§4.2 广告位, 300–500 CNY per slot per month), paid through the ledger.

* An operator defines slots; a slot's monthly price must lie within the policy's
  ad_slot_price_min_fen..max_fen (checked again at booking against the policy in force).
* A merchant's owner books a slot for a calendar month, from this month up to
  `MAX_MONTHS_AHEAD` ahead. A partial unique constraint on (slot, month) among live
  bookings is what forbids double booking, so it holds under concurrency on any engine.
* Payment: one journal `ad_slot_booking` = merchant CNY → platform revenue, from what the
  merchant's CNY account has *available* (its sales takings; the deposit is held and
  cannot pay). Too little → `ad_funds_insufficient`, nothing booked.
* Cancellation: before the month starts, the booking is cancelled and the payment is
  refunded by a reversing journal (`journal_reverse`) that references the original; once
  the month has started the ad runs to the month's end and cancellation is refused
  (`ad_cancel_too_late`): no refund.
"""

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.commerce import groupbuy_errors as errors
from linli.commerce.accounts import merchant_account
from linli.commerce.models import AdBooking, AdBookingStatus, AdSlot
from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Community
from linli.communities.permissions import has_permission, require_permission
from linli.communities.selectors import policy_in_force
from linli.errors import Forbidden, NotFound
from linli.ledger import errors as ledger_errors
from linli.ledger.models import AccountKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, chart_ensure, journal_post, journal_reverse
from linli.merchants.models import Merchant, MerchantStatus, StaffRole
from linli.merchants.selectors import staff_merchant

MAX_MONTHS_AHEAD = 12
MAX_NAME = 100


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def month_add(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _price_in_policy(community: Community, price_fen: Any, at: datetime | None = None) -> None:
    policy = policy_in_force(community=community, at=at)
    low, high = policy.ad_slot_price_min_fen, policy.ad_slot_price_max_fen
    ok = isinstance(price_fen, int) and not isinstance(price_fen, bool)
    if not ok or not low <= price_fen <= high:
        raise errors.AdPriceOutOfPolicy(low=_yuan(low), high=_yuan(high))


def ad_slot_create(
    *, community: Community, actor: Any, name: Any, position: Any, price_fen: Any
) -> AdSlot:
    """An operator defines a slot (where it shows) and its monthly price."""
    require_permission(user=actor, community=community, action="adslot.manage")
    name_text = name.strip() if isinstance(name, str) else ""
    position_text = position.strip() if isinstance(position, str) else ""
    if not 1 <= len(name_text) <= MAX_NAME or not 1 <= len(position_text) <= MAX_NAME:
        raise errors.AdSlotInvalid(reason="a name and a position are needed")
    _price_in_policy(community, price_fen)
    try:
        with transaction.atomic():
            slot = AdSlot.objects.create(
                community=community, name=name_text, position=position_text, price_fen=price_fen
            )
            audit_record(actor=actor, action="adslot.create", target=slot, after=snapshot(slot))
    except IntegrityError:
        raise errors.AdSlotInvalid(reason="a slot with this name exists") from None
    return slot


def _owner_merchant(actor: Any, community: Community) -> Merchant:
    require_permission(user=actor, community=community, action="adslot.book")
    job = staff_merchant(user=actor, community=community)
    if job is None or job[1] != StaffRole.OWNER:
        raise Forbidden()
    return job[0]


def ad_book(*, actor: Any, slot: AdSlot, month: Any, now: datetime | None = None) -> AdBooking:
    """The owner books `slot` for the month starting `month` and pays at once."""
    now = now or timezone.now()
    community = slot.community
    merchant = _owner_merchant(actor, community)
    if slot.community_id != merchant.community_id or not slot.is_active:
        raise NotFound()
    if merchant.status != MerchantStatus.ACTIVE:
        raise Forbidden()
    this_month = month_start(timezone.localdate(now))
    if not isinstance(month, date) or isinstance(month, datetime) or month.day != 1:
        raise errors.AdMonthInvalid(max=MAX_MONTHS_AHEAD)
    if not 0 <= months_between(this_month, month) <= MAX_MONTHS_AHEAD:
        raise errors.AdMonthInvalid(max=MAX_MONTHS_AHEAD)
    _price_in_policy(community, slot.price_fen, now)
    account = merchant_account(merchant)
    available = account_balances(account=account).available
    if available < slot.price_fen:
        raise errors.AdFundsShort(available=_yuan(available), price=_yuan(slot.price_fen))
    chart = chart_ensure(community=community)
    try:
        with transaction.atomic():
            booking = AdBooking.objects.create(
                community=community,
                slot=slot,
                merchant=merchant,
                month=month,
                price_fen=slot.price_fen,
                booked_by=actor,
                created_at=now,
            )
            posted = journal_post(
                community=community,
                code="ad_slot_booking",
                legs=[
                    Leg(account.id, chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id, slot.price_fen)
                ],
                idempotency_key=f"ad-book:{booking.id}",
                actor=actor,
                policy=policy_in_force(community=community, at=now),
                memo=f"ad slot {slot.id} {month:%Y-%m}",
            )
            booking.journal_id = posted.journal_id
            booking.save(update_fields=["journal_id"])
            audit_record(actor=actor, action="adslot.book", target=booking, after=snapshot(booking))
            return booking
    except IntegrityError:
        if AdBooking.objects.filter(slot=slot, month=month, status=AdBookingStatus.BOOKED).exists():
            raise errors.AdSlotTaken() from None
        raise
    except ledger_errors.InsufficientFunds:
        account.refresh_from_db()
        available = account_balances(account=account).available
        raise errors.AdFundsShort(available=_yuan(available), price=_yuan(slot.price_fen)) from None


def ad_booking_cancel(*, actor: Any, booking: AdBooking, now: datetime | None = None) -> AdBooking:
    """Before its month starts: cancelled and refunded by a reversing journal. After: refused."""
    now = now or timezone.now()
    community = booking.community
    job = staff_merchant(user=actor, community=community)
    is_owner = (
        job is not None
        and job[1] == StaffRole.OWNER
        and job[0].id == booking.merchant_id
        and has_permission(user=actor, community=community, action="adslot.book")
    )
    if not is_owner and not has_permission(user=actor, community=community, action="adslot.manage"):
        raise NotFound()
    with transaction.atomic():
        locked = AdBooking.objects.select_for_update().get(id=booking.id)
        if locked.status == AdBookingStatus.CANCELLED:
            return locked
        if month_start(timezone.localdate(now)) >= locked.month or locked.journal_id is None:
            raise errors.AdCancelTooLate()
        posted = journal_reverse(
            community=community,
            journal_id=locked.journal_id,
            idempotency_key=f"ad-cancel:{locked.id}",
            actor=actor,
            policy=policy_in_force(community=community, at=now),
            memo=f"ad slot {locked.slot_id} {locked.month:%Y-%m} cancelled",
        )
        locked.status = AdBookingStatus.CANCELLED
        locked.refund_journal_id = posted.journal_id
        locked.cancelled_at = now
        locked.save(update_fields=["status", "refund_journal_id", "cancelled_at"])
        audit_record(actor=actor, action="adslot.cancel", target=locked, after=snapshot(locked))
        return locked
