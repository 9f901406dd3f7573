"""Compensation beyond the deposit (issue 5 "compensation is paid first from the deposit"):
the deposit pays what it holds, then the merchant's free balance, and the platform's
subsidy account advances the rest as a recorded debt; the merchant is suspended until it
pays. To the fen, and the books balance."""

from datetime import timedelta

import pytest

from linli.ledger.models import AccountKind, Journal, Transfer
from linli.ledger.services import chart_ensure
from linli.ledger.verification import ledger_verify
from linli.merchants import errors
from linli.merchants.models import MerchantDebt, MerchantStatus
from linli.merchants.selectors import debt_open_fen, deposit_held_fen, traffic_light
from linli.merchants.services import (
    deposit_top_up,
    merchant_exit_complete,
    merchant_exit_request,
)
from linli.merchants.trust import complaint_decide, complaint_file, debt_settle
from tests.factories import make_merchant
from tests.merchants.helpers import record_sale


def _paid_out(community, code: str) -> int:
    out = chart_ensure(community=community)[(AccountKind.CASH_OUT, "CNY")]
    return sum(
        Transfer.objects.filter(credit_account=out, journal__code=code).values_list(
            "amount", flat=True
        )
    )


def _subsidy_net(community) -> int:
    """Credits − debits of the CNY subsidy account over every posting so far."""
    subsidy = chart_ensure(community=community)[(AccountKind.SUBSIDY, "CNY")]
    credits = Transfer.objects.filter(credit_account=subsidy).values_list("amount", flat=True)
    debits = Transfer.objects.filter(debit_account=subsidy).values_list("amount", flat=True)
    return sum(credits) - sum(debits)


def _award(merchant, member, operator, amount_fen):
    complaint = complaint_file(merchant=merchant, complainant=member, text="坏了")
    return complaint_decide(
        complaint=complaint, verified=True, compensation_fen=amount_fen, actor=operator
    )


def test_award_beyond_deposit_takes_balance_then_becomes_a_debt(community, operator, resident):
    merchant = make_merchant(community, "fruit")
    record_sale(merchant, 7_000)  # the merchant's own free balance: 70.00 CNY
    complaint = _award(merchant, resident, operator, 60_000)

    assert _paid_out(community, "merchant_compensation") == 50_000  # the whole deposit
    assert _paid_out(community, "merchant_compensation_balance") == 7_000
    assert _paid_out(community, "merchant_compensation_advance") == 3_000
    assert _subsidy_net(community) == -3_000
    debt = MerchantDebt.objects.get(merchant=merchant)
    assert (debt.amount_fen, debt.complaint_id, debt.settled_at) == (3_000, complaint.id, None)
    advance = Journal.objects.get(id=debt.advance_journal_id)
    assert advance.external_ref == f"merchant-debt:complaint:{complaint.id}"
    merchant.refresh_from_db()
    assert (merchant.status, merchant.suspended_reason) == (MerchantStatus.SUSPENDED, "debt")
    assert deposit_held_fen(merchant=merchant) == 0 and debt_open_fen(merchant=merchant) == 3_000
    assert traffic_light(merchant=merchant).colour == "red"

    # Topping the deposit up does not lift a suspension for debt.
    deposit_top_up(merchant=merchant, amount_fen=50_000, idempotency_key="d1", actor=operator)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.SUSPENDED

    assert debt_settle(merchant=merchant, idempotency_key="k1", actor=operator) == 3_000
    merchant.refresh_from_db()
    assert (merchant.status, merchant.suspended_reason) == (MerchantStatus.ACTIVE, "")
    assert _subsidy_net(community) == 0 and debt_open_fen(merchant=merchant) == 0
    with pytest.raises(errors.NoDebt):
        debt_settle(merchant=merchant, idempotency_key="k2", actor=operator)
    assert ledger_verify(community=community).problem is None


def test_award_within_deposit_records_no_debt(community, operator, resident):
    merchant = make_merchant(community, "barber")
    _award(merchant, resident, operator, 50_000)
    assert not MerchantDebt.objects.exists()
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.ACTIVE


def test_bad_settlement_input_posts_nothing(community, operator, resident):
    merchant = make_merchant(community, "pharmacy")
    _award(merchant, resident, operator, 50_001)
    journals = Journal.objects.filter(community=community).count()
    for bad in ("", "x" * 81, None, 7):
        with pytest.raises(errors.AmountInvalid):
            debt_settle(merchant=merchant, idempotency_key=bad, actor=operator)
    assert Journal.objects.filter(community=community).count() == journals
    assert debt_open_fen(merchant=merchant) == 1


def test_exit_repays_the_debt_from_the_deposit_or_waits(community, operator, resident):
    owes_little = make_merchant(community, "bakery")
    _award(owes_little, resident, operator, 51_000)  # deposit 500.00 + debt 10.00
    deposit_top_up(merchant=owes_little, amount_fen=50_000, idempotency_key="t", actor=operator)
    merchant_exit_request(merchant=owes_little, actor=owes_little.owner)
    owes_little.refresh_from_db()
    later = owes_little.exit_effective_at + timedelta(seconds=1)
    merchant_exit_complete(merchant=owes_little, actor=operator, now=later)
    assert debt_open_fen(merchant=owes_little) == 0
    assert _subsidy_net(community) == 0
    assert _paid_out(community, "merchant_deposit_return") == 49_000

    cannot_pay = make_merchant(community, "tutoring")
    _award(cannot_pay, resident, operator, 50_500)  # debt 5.00, nothing left to offset
    merchant_exit_request(merchant=cannot_pay, actor=cannot_pay.owner)
    cannot_pay.refresh_from_db()
    later = cannot_pay.exit_effective_at + timedelta(seconds=1)
    with pytest.raises(errors.DebtOutstanding):
        merchant_exit_complete(merchant=cannot_pay, actor=operator, now=later)
    cannot_pay.refresh_from_db()
    assert cannot_pay.status == MerchantStatus.EXITING
    debt_settle(merchant=cannot_pay, idempotency_key="pay", actor=operator)
    merchant_exit_complete(merchant=cannot_pay, actor=operator, now=later)
    cannot_pay.refresh_from_db()
    assert cannot_pay.status == MerchantStatus.EXITED
    assert ledger_verify(community=community).problem is None
