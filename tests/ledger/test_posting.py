"""Posting through the service: balances, entries, holds, reversals, idempotency, bad input."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from linli.ledger import errors
from linli.ledger.models import (
    Account,
    AccountKind,
    Entry,
    HotRollup,
    Journal,
    JournalStatus,
    Transfer,
)
from linli.ledger.selectors import account_balance
from linli.ledger.services import (
    Leg,
    hold_create,
    hold_post,
    hold_void,
    holds_expire,
    hot_rollup,
    journal_post,
    journal_reverse,
)
from tests.ledger.conftest import balance, new_key

pytestmark = [pytest.mark.django_db, pytest.mark.db_sensitive]


def _ledger_counts() -> tuple[int, int, int]:
    return Journal.objects.count(), Transfer.objects.count(), Entry.objects.count()


def test_a_purchase_moves_money_and_writes_one_entry_per_account(community, chart, open_wallet):
    buyer = open_wallet(10_000)
    shop = open_wallet(0)
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    posted = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key(),
        memo="邻里超市 购物",
        legs=[Leg(buyer.id, shop.id, 9_800), Leg(buyer.id, revenue.id, 200)],
    )
    assert balance(buyer) == 0
    assert balance(shop) == 9_800
    assert account_balance(account=revenue) == 200
    buyer_entries = list(Entry.objects.filter(account=buyer).order_by("account_version"))
    assert [e.account_version for e in buyer_entries] == [1, 2, 3]
    assert [e.balance_after for e in buyer_entries] == [10_000, 200, 0]
    journal = Journal.objects.get(id=posted.journal_id)
    assert journal.seq == posted.seq == 2  # the funding, then this purchase
    assert len(journal.leaf_hash) == 64


def test_hot_accounts_are_appended_not_updated(community, chart, open_wallet):
    buyer = open_wallet(1_000)
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    for _ in range(3):
        journal_post(
            community=community,
            code="fee",
            idempotency_key=new_key(),
            legs=[Leg(buyer.id, revenue.id, 100)],
        )
    revenue.refresh_from_db()
    assert (revenue.version, revenue.credits_posted) == (0, 0)
    assert not Entry.objects.filter(account=revenue).exists()
    assert account_balance(account=revenue) == 300
    hot_rollup(community=community)
    assert HotRollup.objects.get(account=revenue).credits_posted == 300
    journal_post(
        community=community,
        code="fee",
        idempotency_key=new_key(),
        legs=[Leg(buyer.id, revenue.id, 50)],
    )
    assert account_balance(account=revenue) == 350  # rollup + tail


def test_overdraft_is_rejected_and_nothing_changes(community, chart, open_wallet):
    buyer = open_wallet(500)
    shop = open_wallet(0)
    before = _ledger_counts()
    with pytest.raises(errors.InsufficientFunds) as caught:
        journal_post(
            community=community,
            code="purchase",
            idempotency_key="too-much",
            legs=[Leg(buyer.id, shop.id, 501)],
        )
    assert caught.value.params["shortfall"] == 1
    assert balance(buyer) == 500 and balance(shop) == 0
    journals, transfers, entries = _ledger_counts()
    assert (journals, transfers, entries) == (before[0] + 1, before[1], before[2])
    assert Journal.objects.get(idempotency_key="too-much").status == JournalStatus.REJECTED


def test_a_journal_is_all_or_nothing(community, chart, open_wallet):
    buyer = open_wallet(1_000)
    poor = open_wallet(0)
    shop = open_wallet(0)
    with pytest.raises(errors.InsufficientFunds):
        journal_post(
            community=community,
            code="purchase",
            idempotency_key=new_key(),
            legs=[Leg(buyer.id, shop.id, 1_000), Leg(poor.id, shop.id, 1)],
        )
    assert balance(buyer) == 1_000 and balance(shop) == 0


def test_idempotent_replay_returns_the_first_result(community, chart, open_wallet):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    first = journal_post(
        community=community,
        code="purchase",
        idempotency_key="sale-1",
        legs=[Leg(buyer.id, shop.id, 300)],
    )
    again = journal_post(
        community=community,
        code="purchase",
        idempotency_key="sale-1",
        legs=[Leg(buyer.id, shop.id, 300)],
    )
    assert again.journal_id == first.journal_id and again.replayed
    assert balance(shop) == 300


def test_same_key_for_another_request_is_a_conflict(community, chart, open_wallet):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    journal_post(
        community=community,
        code="purchase",
        idempotency_key="sale-2",
        legs=[Leg(buyer.id, shop.id, 300)],
    )
    with pytest.raises(errors.IdempotencyConflict) as caught:
        journal_post(
            community=community,
            code="purchase",
            idempotency_key="sale-2",
            legs=[Leg(buyer.id, shop.id, 301)],
        )
    assert caught.value.status == 409
    assert balance(shop) == 300


def test_replay_of_a_rejected_request_is_rejected_again(community, chart, open_wallet):
    buyer, shop = open_wallet(100), open_wallet(0)
    legs = [Leg(buyer.id, shop.id, 200)]
    with pytest.raises(errors.InsufficientFunds):
        journal_post(community=community, code="purchase", idempotency_key="poor", legs=legs)
    journal_post(
        community=community,
        code="top_up",
        idempotency_key=new_key(),
        legs=[Leg(open_wallet(500).id, buyer.id, 500)],
    )
    with pytest.raises(errors.InsufficientFunds):  # same key: same answer, even though funded now
        journal_post(community=community, code="purchase", idempotency_key="poor", legs=legs)
    assert balance(shop) == 0


def test_the_same_key_in_another_community_is_independent(community, other_community, open_wallet):
    a_buyer, a_shop = open_wallet(100), open_wallet(0)
    b_buyer = open_wallet(100, target=other_community)
    b_shop = open_wallet(0, target=other_community)
    journal_post(
        community=community, code="p", idempotency_key="k", legs=[Leg(a_buyer.id, a_shop.id, 10)]
    )
    journal_post(
        community=other_community,
        code="p",
        idempotency_key="k",
        legs=[Leg(b_buyer.id, b_shop.id, 10)],
    )
    assert balance(a_shop) == balance(b_shop) == 10


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (0, "positive"),
        (-5, "positive"),
        (10**13 + 1, "10^13"),
        (2**70, "10^13"),
        ("100", "integers"),
        (1.5, "integers"),
        (True, "integers"),
    ],
)
def test_bad_amounts_are_refused_before_anything_is_written(
    community, chart, open_wallet, amount, reason
):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    before = _ledger_counts()
    with pytest.raises(errors.InvalidPosting) as caught:
        journal_post(
            community=community,
            code="purchase",
            idempotency_key=new_key(),
            legs=[Leg(buyer.id, shop.id, amount)],
        )
    assert reason in caught.value.render("en")
    assert _ledger_counts() == before


def test_bad_legs_are_refused(community, other_community, chart, open_wallet):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    coins = open_wallet(0, asset="TIME")
    foreign = open_wallet(0, target=other_community)
    before = _ledger_counts()
    cases = [
        ([Leg(buyer.id, buyer.id, 1)], errors.InvalidPosting),
        ([Leg(buyer.id, coins.id, 1)], errors.InvalidPosting),
        ([Leg(buyer.id, foreign.id, 1)], errors.AccountNotFound),
        ([Leg(buyer.id, 999_999_999, 1)], errors.AccountNotFound),
        ([Leg(buyer.id, shop.id, 1)] * 17, errors.InvalidPosting),
        ([], errors.InvalidPosting),
    ]
    for legs, error in cases:
        with pytest.raises(error):
            journal_post(community=community, code="purchase", idempotency_key=new_key(), legs=legs)
    with pytest.raises(errors.InvalidPosting):
        journal_post(
            community=community,
            code="purchase",
            idempotency_key="x" * 101,
            legs=[Leg(buyer.id, shop.id, 1)],
        )
    assert _ledger_counts() == before


def test_hold_then_post_less_releases_the_rest(community, chart, open_wallet):
    member = open_wallet(1_000)
    escrow = chart[(AccountKind.DEPOSIT_ESCROW, "CNY")]
    held = hold_create(
        community=community,
        debit_account_id=member.id,
        credit_account_id=escrow.id,
        amount=600,
        expires_at=None,
        code="deposit_hold",
        idempotency_key=new_key(),
    )
    member.refresh_from_db()
    assert (member.debits_pending, balance(member)) == (600, 1_000)
    shop = open_wallet(0)
    with pytest.raises(errors.InsufficientFunds):  # the held 600 is not spendable
        journal_post(
            community=community,
            code="purchase",
            idempotency_key=new_key(),
            legs=[Leg(member.id, shop.id, 401)],
        )
    with pytest.raises(errors.HoldExceeded):
        hold_post(
            community=community, hold_id=held.transfer_ids[0], amount=601, idempotency_key=new_key()
        )
    hold_post(
        community=community, hold_id=held.transfer_ids[0], amount=250, idempotency_key=new_key()
    )
    member.refresh_from_db()
    escrow.refresh_from_db()
    assert (member.debits_pending, balance(member)) == (0, 750)
    assert (escrow.credits_pending, escrow.credits_posted) == (0, 250)
    with pytest.raises(errors.HoldResolved):
        hold_void(community=community, hold_id=held.transfer_ids[0], idempotency_key=new_key())


def test_void_and_expiry_release_holds(community, chart, open_wallet):
    member = open_wallet(1_000)
    pool = chart[(AccountKind.FEE_ESCROW, "CNY")]
    first = hold_create(
        community=community,
        debit_account_id=member.id,
        credit_account_id=pool.id,
        amount=100,
        expires_at=None,
        code="pledge",
        idempotency_key=new_key(),
    )
    hold_void(community=community, hold_id=first.transfer_ids[0], idempotency_key=new_key())
    soon = timezone.now() + timedelta(seconds=30)
    second = hold_create(
        community=community,
        debit_account_id=member.id,
        credit_account_id=pool.id,
        amount=200,
        expires_at=soon,
        code="pledge",
        idempotency_key=new_key(),
    )
    assert holds_expire(now=soon - timedelta(seconds=1)) == 0
    assert holds_expire(now=soon + timedelta(seconds=1)) == 1
    assert holds_expire(now=soon + timedelta(seconds=2)) == 0  # rerun is safe
    member.refresh_from_db()
    assert (member.debits_pending, balance(member)) == (0, 1_000)
    assert Transfer.objects.get(pending_id=second.transfer_ids[0]).kind == "void"


def test_reversal_swaps_every_leg_and_can_happen_once(community, chart, open_wallet):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    sale = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key(),
        legs=[Leg(buyer.id, shop.id, 700)],
    )
    refund = journal_reverse(
        community=community, journal_id=sale.journal_id, idempotency_key=new_key()
    )
    assert balance(buyer) == 1_000 and balance(shop) == 0
    assert Journal.objects.get(id=refund.journal_id).reverses_id == sale.journal_id
    with pytest.raises(errors.AlreadyReversed):
        journal_reverse(community=community, journal_id=sale.journal_id, idempotency_key=new_key())


def test_a_reversal_cannot_overdraw_whoever_spent_the_money(community, chart, open_wallet):
    buyer, shop, supplier = open_wallet(1_000), open_wallet(0), open_wallet(0)
    sale = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key(),
        legs=[Leg(buyer.id, shop.id, 700)],
    )
    journal_post(
        community=community,
        code="pay_supplier",
        idempotency_key=new_key(),
        legs=[Leg(shop.id, supplier.id, 700)],
    )
    with pytest.raises(errors.InsufficientFunds):
        journal_reverse(community=community, journal_id=sale.journal_id, idempotency_key=new_key())
    assert balance(shop) == 0


def test_other_communities_journals_and_holds_are_not_found(
    community, other_community, open_wallet
):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    sale = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key(),
        legs=[Leg(buyer.id, shop.id, 100)],
    )
    with pytest.raises(errors.JournalNotFound):
        journal_reverse(
            community=other_community, journal_id=sale.journal_id, idempotency_key=new_key()
        )
    with pytest.raises(errors.HoldNotFound):
        hold_void(community=other_community, hold_id=uuid.uuid4(), idempotency_key=new_key())


def test_closed_accounts_refuse_postings(community, chart, open_wallet):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    Account.objects.filter(id=shop.id).update(is_closed=True)
    with pytest.raises(errors.AccountClosed):
        journal_post(
            community=community,
            code="purchase",
            idempotency_key=new_key(),
            legs=[Leg(buyer.id, shop.id, 100)],
        )
    assert balance(buyer) == 1_000


def test_posting_part_of_a_hold_can_keep_the_rest_held(community, chart, open_wallet):
    merchant = open_wallet(50_000)
    escrow = chart[(AccountKind.DEPOSIT_ESCROW, "CNY")]
    deposit = hold_create(
        community=community,
        debit_account_id=merchant.id,
        credit_account_id=escrow.id,
        amount=50_000,
        expires_at=None,
        code="deposit_hold",
        idempotency_key=new_key(),
    )
    paid = hold_post(
        community=community,
        hold_id=deposit.transfer_ids[0],
        amount=8_000,
        code="complaint_compensation",
        idempotency_key=new_key(),
        keep_rest_held=True,
    )
    merchant.refresh_from_db()
    assert (balance(merchant), merchant.debits_pending) == (42_000, 42_000)
    rest = Transfer.objects.get(id=paid.transfer_ids[1])
    assert (rest.kind, rest.amount) == ("pending", 42_000)
    with pytest.raises(errors.HoldExceeded):
        hold_post(community=community, hold_id=rest.id, amount=42_001, idempotency_key=new_key())
