"""Fraud-type refusals at the till are kept for the committee's anomaly view (issue 6
"Fraud and limits"): a merchant's own staff buying at their own shop to farm rewards
(`self_dealing`), a member code replayed (`member_code_used`), a lost card used
(`card_suspended`), a card whose PINs were guessed or used up (`card_pin_locked`,
`card_pin_daily_cap`), the velocity and amount limits, and a member declining on their
phone. The refusal the cashier sees does not change; a row is written beside it.

When: `refusals_recorded` wraps prepare and consume. The record is written after the
exception has left the sale's `transaction.atomic()` block — the sale rolled back, the
record stays (autocommit, as every request runs here). Written in a savepoint of its own,
and a failure to write is logged, never turned into another answer.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linli.commerce import cards, errors
from linli.commerce.refusal_models import TillRefusal
from linli.errors import DomainError
from linli.merchants.models import Merchant

logger = logging.getLogger(__name__)

# What is recorded, with the short label the anomaly view shows.
REFUSAL_LABELS: dict[str, Promise] = {
    errors.SelfDealing.code: _("staff buying at their own shop"),
    errors.CodeUsed.code: _("member code used again"),
    errors.CardSuspended.code: _("card reported lost"),
    errors.PinLocked.code: _("card locked after wrong PINs"),
    errors.PinDailyCap.code: _("card over its daily PIN sales"),
    errors.MemberVelocityLimit.code: _("member buying too often"),
    errors.MerchantVelocityLimit.code: _("shop selling too fast"),
    errors.SaleAmountOverLimit.code: _("sale over the amount limit"),
    errors.MemberDailyAmountLimit.code: _("member over the daily amount"),
    errors.MemberDeclined.code: _("member declined on their phone"),
}
RECORDED_CODES = frozenset(REFUSAL_LABELS)


@contextmanager
def refusals_recorded(
    *, merchant: Merchant, clerk: Any, code: Any, step: str, now: datetime
) -> Iterator[None]:
    """Record a fraud-type refusal raised inside, then let it go on to the caller as is."""
    try:
        yield
    except DomainError as error:
        if error.code in RECORDED_CODES:
            refusal_record(
                merchant=merchant, clerk=clerk, code=code, refusal=error.code, step=step, now=now
            )
        raise


def refusal_record(
    *, merchant: Merchant, clerk: Any, code: Any, refusal: str, step: str, now: datetime
) -> None:
    """One row: shop, clerk, the member the typed code names (if any), refusal and time."""
    try:
        with transaction.atomic():
            TillRefusal.objects.create(
                community_id=merchant.community_id,
                merchant=merchant,
                clerk=clerk if getattr(clerk, "pk", None) else None,
                member_id=cards.member_id_of_code(community_id=merchant.community_id, code=code),
                code=refusal,
                step=step,
                created_at=now,
            )
    except DatabaseError:
        logger.exception("till refusal %s at merchant %s not recorded", refusal, merchant.id)
