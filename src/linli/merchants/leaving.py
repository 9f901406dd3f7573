"""A shop owner's own way out of the alliance (issue 5 "Leaving the alliance"): what
leaving would mean, shown before notice is given, and the owner's notice itself.

The steps are the ones every exit takes (`services.merchant_exit_request`, then
`merchant_exit_complete` once the notice period is over); this module adds what the owner
sees first and the refusals an owner gets before the notice period starts rather than
at its end: a compensation debt the deposit cannot cover blocks the seat's closing, so
notice is refused until it is paid at the counter.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils import timezone

from linli.communities.selectors import policy_in_force
from linli.merchants import errors
from linli.merchants.models import (
    Complaint,
    ComplaintStatus,
    Merchant,
    MerchantDebt,
    MerchantStatus,
)
from linli.merchants.selectors import deposit_held_fen, merchant_account

REASON_MAX = 500
EXITS_PER_PAGE = 20


@dataclass(frozen=True)
class ExitPreview:
    """Figures in fen; `return_fen` is what the seat's closing would pay out today."""

    exiting: bool  # notice has been given
    notice_days: int
    closes_on: date
    offers_ending: int
    coupons_withdrawn: int
    coupons_settled: int  # cross-store coupons it issued: members keep them
    coupons_settled_fen: int  # its share of them, paid from the deposit at closing
    deposit_held_fen: int
    balance_fen: int  # the shop's free balance besides the deposit
    debt_fen: int
    debt_left_fen: int  # what the deposit cannot repay: blocks the closing
    open_complaints: int  # must be decided before the seat closes
    return_fen: int
    # While notice runs: what withdrawing it switches back on, and the flash sales the
    # notice closed, which stay closed (`exit_hooks`, phase "withdraw").
    coupons_paused: int = 0
    campaigns_paused: int = 0
    flash_sales_closed: int = 0

    @property
    def blocked_by_debt(self) -> bool:
        return self.debt_left_fen > 0


def exit_preview(*, merchant: Merchant, now: datetime | None = None) -> ExitPreview:
    from linli.commerce.coupon_selectors import exit_paused_counts, leaving_offers

    now = now or timezone.now()
    policy = policy_in_force(community=merchant.community)
    exiting = merchant.status == MerchantStatus.EXITING and merchant.exit_effective_at is not None
    closes_at = (
        merchant.exit_effective_at
        if exiting and merchant.exit_effective_at is not None
        else now + timedelta(days=policy.merchant_exit_notice_days)
    )
    offers = leaving_offers(merchant=merchant, now=now)
    held = deposit_held_fen(merchant=merchant)
    free = _free_balance(merchant)
    coupons_paid = min(offers.settled_share_fen, held + free + offers.reserved_fen)
    freed = held + free + offers.reserved_fen - coupons_paid
    debts = list(
        MerchantDebt.objects.filter(merchant=merchant, settled_at__isnull=True).values_list(
            "amount_fen", flat=True
        )
    )
    repaid = _debts_repaid(debts, freed)
    coupons_paused, campaigns_paused = exit_paused_counts(merchant=merchant) if exiting else (0, 0)
    return ExitPreview(
        exiting=exiting,
        notice_days=policy.merchant_exit_notice_days,
        closes_on=timezone.localtime(closes_at).date(),
        offers_ending=offers.offers_ending,
        coupons_withdrawn=offers.coupons_withdrawn,
        coupons_settled=offers.coupons_settled,
        coupons_settled_fen=coupons_paid,
        deposit_held_fen=held,
        balance_fen=free,
        debt_fen=sum(debts),
        debt_left_fen=sum(debts) - repaid,
        open_complaints=Complaint.objects.filter(
            merchant=merchant, status__in=[ComplaintStatus.OPEN, ComplaintStatus.ANSWERED]
        ).count(),
        return_fen=max(0, freed - repaid),
        coupons_paused=coupons_paused,
        campaigns_paused=campaigns_paused,
        flash_sales_closed=_flash_sales_closed_at_notice(merchant) if exiting else 0,
    )


def _flash_sales_closed_at_notice(merchant: Merchant) -> int:
    """The shop's flash sales its notice closed (audited `commerce.flash_sale_close`)."""
    from linli.commerce.models import FlashSale
    from linli.communities.models import AuditEntry

    if merchant.exit_requested_at is None:
        return 0
    ids = [str(i) for i in FlashSale.objects.filter(merchant=merchant).values_list("id", flat=True)]
    return (
        AuditEntry.objects.filter(
            community_id=merchant.community_id,
            action="commerce.flash_sale_close",
            target_type=FlashSale._meta.label_lower,
            target_id__in=ids,
            created_at__gte=merchant.exit_requested_at,
        )
        .values("target_id")
        .distinct()
        .count()
    )


def _free_balance(merchant: Merchant) -> int:
    account = merchant_account(merchant=merchant, asset="CNY")
    if account is None:
        return 0
    return account.credits_posted - account.debits_posted - account.debits_pending


def _debts_repaid(debts: list[int], freed: int) -> int:
    """As the closing repays them (`services._debts_offset`): oldest first, whole debts
    only, stopping at the first that does not fit."""
    repaid = 0
    for amount in debts:
        if amount > freed - repaid:
            break
        repaid += amount
    return repaid


def exit_notice_give(*, merchant: Merchant, actor: Any, confirmed: Any) -> Merchant:
    """The owner gives notice after reading the preview (`confirmed` must be True)."""
    from linli.merchants.services import merchant_exit_request

    if confirmed is not True:
        raise errors.ExitConfirmRequired()
    _notice_allowed(merchant)
    return merchant_exit_request(merchant=merchant, actor=actor)


def exit_notice_record(*, merchant: Merchant, actor: Any, reason: Any) -> Merchant:
    """An operator records the shop's notice on its behalf (the owner told the counter,
    or cannot use the console), with the reason; the same checks and steps as the
    owner's own notice, and the audit entry `merchant.exit_request` carries the reason."""
    from linli.merchants.services import merchant_exit_request

    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > REASON_MAX or "\x00" in text:
        raise errors.ExitReasonRequired(limit=REASON_MAX)
    _notice_allowed(merchant)
    return merchant_exit_request(merchant=merchant, actor=actor, reason=text)


def _notice_allowed(merchant: Merchant) -> None:
    """Refusals before any notice: already given, no seat, a debt that would block the
    closing (paid at the counter first)."""
    preview = exit_preview(merchant=merchant)
    if preview.exiting:
        raise errors.ExitAlreadyGiven(on=preview.closes_on.isoformat())
    if merchant.status not in (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED):
        raise errors.MerchantInactive()
    if preview.blocked_by_debt:
        raise errors.DebtOutstanding(owed_fen=preview.debt_left_fen)


# --- the committee's view of exits in progress ----------------------------------------------


@dataclass(frozen=True)
class ExitInProgress:
    """One shop serving its notice, with what would stop its seat closing."""

    merchant: Merchant
    closes_on: date
    preview: ExitPreview
    overdue: bool  # the closing day has passed and the seat is still held (blocked)

    @property
    def blockers(self) -> list[str]:
        """Codes of what blocks the closing today: `complaints_open`, `debt_outstanding`."""
        found = []
        if self.preview.open_complaints:
            found.append("complaints_open")
        if self.preview.blocked_by_debt:
            found.append("debt_outstanding")
        return found

    @property
    def coupons_open(self) -> int:
        """Coupons still open, settled at the closing (withdrawn, or paid from the deposit)."""
        return self.preview.coupons_withdrawn + self.preview.coupons_settled


def exits_page(*, community: Any, page: Any) -> Page:
    """One page of the shops serving notice in `community`, the earliest closing first
    (a page number out of range or not a number gives the last or the first page)."""
    shops = (
        Merchant.objects.filter(community=community, status=MerchantStatus.EXITING)
        .select_related("industry")
        .order_by("exit_effective_at", "id")
    )
    return Paginator(shops, EXITS_PER_PAGE).get_page(page)


def exit_in_progress(*, merchant: Merchant, now: datetime | None = None) -> ExitInProgress:
    now = now or timezone.now()
    preview = exit_preview(merchant=merchant, now=now)
    return ExitInProgress(
        merchant=merchant,
        closes_on=preview.closes_on,
        preview=preview,
        overdue=merchant.exit_effective_at is not None and merchant.exit_effective_at <= now,
    )
