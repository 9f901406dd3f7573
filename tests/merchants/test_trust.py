"""Complaints paid first from the deposit, top-up and suspension, ratings, violations,
red and black lists, the traffic light, exit — and the books still balance."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.communities.models import CommunityRole
from linli.communities.selectors import policy_in_force
from linli.ledger.errors import InsufficientFunds
from linli.ledger.models import Account, AccountKind, Journal, Transfer
from linli.ledger.services import Leg, chart_ensure, journal_post
from linli.ledger.verification import ledger_verify
from linli.merchants import errors
from linli.merchants.models import (
    BlacklistedLicence,
    ComplaintStatus,
    DepositHold,
    Hearing,
    HoldStatus,
    MerchantStatus,
    Violation,
)
from linli.merchants.scoring import hearing_decide
from linli.merchants.selectors import (
    debt_open_fen,
    deposit_held_fen,
    merchant_account,
    red_list,
    traffic_light,
)
from linli.merchants.services import (
    deposit_top_up,
    merchant_exit_complete,
    merchant_exit_request,
)
from linli.merchants.trust import (
    complaint_answer,
    complaint_decide,
    complaint_file,
    deposits_enforce,
    merchant_remove,
    rating_create,
    red_list_review,
    violation_record,
)
from tests.factories import make_merchant
from tests.merchants.helpers import commerce_sale, commerce_sales

_keys = itertools.count()


def _sale(merchant, amount_fen=5_000):
    chart = chart_ensure(community=merchant.community)
    cny = merchant_account(merchant=merchant, asset="CNY")
    posted = journal_post(
        community=merchant.community,
        code="purchase",
        legs=[Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny.id, amount_fen)],
        idempotency_key=f"test-sale-{next(_keys)}",
    )
    return posted.journal_id


def _give_coins(merchant, units):
    chart = chart_ensure(community=merchant.community)
    coins = merchant_account(merchant=merchant, asset="TIME")
    journal_post(
        community=merchant.community,
        code="test_coins",
        legs=[Leg(chart[(AccountKind.ISSUANCE, "TIME")].id, coins.id, units)],
        idempotency_key=f"test-coins-{next(_keys)}",
    )


def _cash_out_total(community) -> int:
    out = chart_ensure(community=community)[(AccountKind.CASH_OUT, "CNY")]
    return sum(
        Transfer.objects.filter(
            credit_account=out, journal__code="merchant_compensation"
        ).values_list("amount", flat=True)
    )


def test_verified_complaint_is_paid_from_the_deposit_then_topped_up(community, operator, resident):
    merchant = make_merchant(community, "fruit")
    sale = commerce_sale(merchant, resident.member, 1)
    complaint = complaint_file(
        merchant=merchant, complainant=resident, text="烂苹果", sale_journal_id=str(sale.journal_id)
    )
    complaint_answer(complaint=complaint, answer="已道歉", actor=merchant.owner)
    decided = complaint_decide(
        complaint=complaint, verified=True, compensation_fen=12_000, actor=operator
    )
    assert decided.status == ComplaintStatus.VERIFIED
    assert deposit_held_fen(merchant=merchant) == 50_000 - 12_000
    assert _cash_out_total(community) == 12_000
    # The rest is still a hold in escrow (the second transfer of the same journal).
    open_hold = DepositHold.objects.get(merchant=merchant, status=HoldStatus.OPEN)
    rest = Transfer.objects.get(id=open_hold.transfer_id)
    first = DepositHold.objects.get(merchant=merchant, status=HoldStatus.CLOSED)
    posting = Transfer.objects.get(pending_id=first.transfer_id)
    assert rest.journal_id == posting.journal_id and rest.amount == 38_000
    merchant.refresh_from_db()
    assert merchant.top_up_due_at is not None
    assert "deposit_short" in traffic_light(merchant=merchant).reasons

    # Not topped up in time → suspended; topping up lifts it.
    assert deposits_enforce(now=merchant.top_up_due_at - timedelta(seconds=1)) == 0
    assert deposits_enforce(now=merchant.top_up_due_at + timedelta(seconds=1)) == 1
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.SUSPENDED
    assert traffic_light(merchant=merchant).colour == "red"
    with pytest.raises(errors.AmountInvalid):
        deposit_top_up(merchant=merchant, amount_fen=12_001, idempotency_key="t1", actor=operator)
    deposit_top_up(merchant=merchant, amount_fen=12_000, idempotency_key="t1", actor=operator)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.ACTIVE and merchant.top_up_due_at is None
    assert deposit_held_fen(merchant=merchant) == 50_000
    assert ledger_verify(community=community).problem is None


def test_compensation_never_exceeds_the_deposit_and_bad_amounts_post_nothing(
    community, operator, resident
):
    merchant = make_merchant(community, "barber")
    complaint = complaint_file(merchant=merchant, complainant=resident, text="剪坏了")
    journals = Journal.objects.filter(community=community).count()
    for bad in (-1, True, 1.5, "100", 10**7 + 1, 2**70):
        with pytest.raises(errors.AmountInvalid):
            complaint_decide(
                complaint=complaint, verified=True, compensation_fen=bad, actor=operator
            )
    with pytest.raises(errors.AmountInvalid):
        complaint_decide(complaint=complaint, verified=False, compensation_fen=100, actor=operator)
    assert Journal.objects.filter(community=community).count() == journals
    complaint_decide(complaint=complaint, verified=True, compensation_fen=50_000, actor=operator)
    assert deposit_held_fen(merchant=merchant) == 0
    with pytest.raises(errors.ComplaintNotOpen):
        complaint_decide(complaint=complaint, verified=True, compensation_fen=0, actor=operator)
    # The deposit is empty now: it pays nothing more (what is beyond it: test_debt.py).
    second = complaint_file(merchant=merchant, complainant=resident, text="again")
    complaint_decide(complaint=second, verified=True, compensation_fen=1, actor=operator)
    assert deposit_held_fen(merchant=merchant) == 0
    assert _cash_out_total(community) == 50_000
    assert ledger_verify(community=community).problem is None


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(st.integers(min_value=1, max_value=30_000), min_size=1, max_size=5))
def test_property_deposit_paid_out_never_exceeds_what_was_held(community, operator, amounts):
    """Whatever the awards, the deposit pays at most what it holds; the rest is a debt."""
    merchant = make_merchant(community, "pet-care")
    member = merchant.owner
    awarded = 0
    for amount in amounts:
        complaint = complaint_file(merchant=merchant, complainant=member, text="x")
        complaint_decide(
            complaint=complaint, verified=True, compensation_fen=amount, actor=operator
        )
        awarded += amount
        assert deposit_held_fen(merchant=merchant) == 50_000 - min(awarded, 50_000) >= 0
        assert debt_open_fen(merchant=merchant) == max(0, awarded - 50_000)
    escrow = Account.objects.get(
        pk=chart_ensure(community=community)[(AccountKind.DEPOSIT_ESCROW, "CNY")].pk
    )
    assert escrow.credits_posted - escrow.debits_posted >= 0
    # Leave the seat free for the next example.
    merchant_remove(merchant=merchant, reason="test", blacklist=False, actor=operator)
    assert ledger_verify(community=community).problem is None


def test_ratings_one_per_sale_and_only_for_its_sales(community, resident):
    merchant = make_merchant(community, "breakfast")
    other = make_merchant(community, "restaurant")
    buyer = resident.member
    sale = commerce_sale(merchant, buyer, 1).journal_id
    rating_create(merchant=merchant, rater=resident, sale_journal_id=sale, stars=5, comment="好")
    with pytest.raises(errors.RatingDuplicate):
        rating_create(merchant=merchant, rater=resident, sale_journal_id=sale, stars=4)
    with pytest.raises(errors.SaleNotFound):
        rating_create(merchant=other, rater=resident, sale_journal_id=sale, stars=4)
    with pytest.raises(errors.SaleNotFound):
        rating_create(merchant=merchant, rater=resident, sale_journal_id="not-a-uuid", stars=4)
    # A ledger journal credited to the shop is not a sale (no 核销).
    with pytest.raises(errors.SaleNotFound):
        rating_create(merchant=merchant, rater=resident, sale_journal_id=_sale(merchant), stars=4)
    second = commerce_sale(merchant, buyer, 2).journal_id
    for stars in (0, 6, True, "5"):
        with pytest.raises(errors.AmountInvalid):
            rating_create(merchant=merchant, rater=resident, sale_journal_id=second, stars=stars)


def test_violation_fines_time_coins_into_the_community_fund(community, operator):
    merchant = make_merchant(community, "supermarket")
    _give_coins(merchant, 5_000)
    journals = Journal.objects.filter(community=community).count()
    with pytest.raises(errors.AmountInvalid):
        violation_record(
            merchant=merchant,
            description="虚标折扣",
            evidence="照片",
            fine_units=-100,
            actor=operator,
        )
    with pytest.raises(InsufficientFunds):
        violation_record(
            merchant=merchant,
            description="虚标折扣",
            evidence="照片",
            fine_units=5_001,
            actor=operator,
        )
    assert Journal.objects.filter(community=community, status="posted").count() == journals
    assert not Violation.objects.exists()
    violation = violation_record(
        merchant=merchant, description="虚标折扣", evidence="照片", fine_units=2_000, actor=operator
    )
    fund = chart_ensure(community=community)[(AccountKind.COMMUNITY_FUND, "TIME")]
    assert Transfer.objects.get(journal_id=violation.journal_id).credit_account_id == fund.id
    coins = Account.objects.get(pk=merchant_account(merchant=merchant, asset="TIME").pk)
    assert coins.credits_posted - coins.debits_posted == 3_000
    assert ledger_verify(community=community).problem is None


def test_complaint_rate_above_five_percent_red_lists_then_removal_black_lists(
    community, operator, resident
):
    merchant = make_merchant(community, "dry-cleaning")
    policy = policy_in_force(community=community)
    sales = commerce_sales(merchant, policy.merchant_complaint_min_sales)
    later = timezone.now() + timedelta(minutes=5)  # after the sales (stamped ≤ 30 s ahead)
    # 1 verified of 20 sales = 5 %: at the line, not above it.
    first = complaint_file(
        merchant=merchant,
        complainant=sales[0].member.user,
        text="1",
        sale_journal_id=sales[0].journal_id,
    )
    complaint_decide(complaint=first, verified=True, compensation_fen=100, actor=operator)
    assert policy.complaint_rate_red_bp == 500
    assert red_list_review(now=later) == 0
    second = complaint_file(merchant=merchant, complainant=resident, text="2")
    complaint_decide(complaint=second, verified=True, compensation_fen=100, actor=operator)
    assert red_list_review(now=later) == 1
    assert list(red_list(community=community)) == [merchant]
    merchant.refresh_from_db()
    assert traffic_light(merchant=merchant, now=later).colour == "red"
    hearing = Hearing.objects.get(merchant=merchant, reason="red_list")
    hearing_decide(hearing=hearing, replace=True, note="听证会决定", actor=operator)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.REMOVED
    assert not CommunityRole.objects.filter(user=merchant.owner, role="merchant_owner").exists()
    assert BlacklistedLicence.objects.filter(licence_no=merchant.licence_no).exists()
    assert deposit_held_fen(merchant=merchant) == 0
    assert ledger_verify(community=community).problem is None


def test_exit_after_notice_returns_the_deposit(community, operator, resident):
    merchant = make_merchant(community, "optician")
    complaint = complaint_file(merchant=merchant, complainant=resident, text="镜片划痕")
    merchant_exit_request(merchant=merchant, actor=merchant.owner)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.EXITING
    assert (merchant.exit_effective_at - merchant.exit_requested_at).days >= 30
    with pytest.raises(errors.ExitBlocked):
        merchant_exit_complete(merchant=merchant, actor=operator)
    later = merchant.exit_effective_at + timedelta(seconds=1)
    with pytest.raises(errors.ExitBlocked):  # the complaint is still open
        merchant_exit_complete(merchant=merchant, actor=operator, now=later)
    complaint_decide(complaint=complaint, verified=True, compensation_fen=5_000, actor=operator)
    merchant_exit_complete(merchant=merchant, actor=operator, now=later)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.EXITED
    assert not CommunityRole.objects.filter(user=merchant.owner, role="merchant_owner").exists()
    cny = Account.objects.get(pk=merchant_account(merchant=merchant, asset="CNY").pk)
    assert cny.credits_posted - cny.debits_posted == 0 and cny.debits_pending == 0
    returned = Transfer.objects.get(journal__code="merchant_deposit_return", kind="single")
    assert returned.amount == 45_000
    # The seat is free again.
    make_merchant(community, "optician")
    assert ledger_verify(community=community).problem is None


def test_traffic_light_green_for_a_new_merchant_in_good_standing(community):
    merchant = make_merchant(community, "massage")
    light = traffic_light(merchant=merchant, now=timezone.now())
    assert light.colour == "green", light.reasons
