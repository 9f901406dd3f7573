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

    @property
    def blocked_by_debt(self) -> bool:
        return self.debt_left_fen > 0


def exit_preview(*, merchant: Merchant, now: datetime | None = None) -> ExitPreview:
    from linli.commerce.coupon_selectors import leaving_offers

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
    preview = exit_preview(merchant=merchant)
    if preview.exiting:
        raise errors.ExitAlreadyGiven(on=preview.closes_on.isoformat())
    if merchant.status not in (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED):
        raise errors.MerchantInactive()
    if preview.blocked_by_debt:
        raise errors.DebtOutstanding(owed_fen=preview.debt_left_fen)
    return merchant_exit_request(merchant=merchant, actor=actor)
