"""The database itself refuses bad ledger rows, whoever writes them (both engines)."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from linli.ledger.models import AccountKind, Entry, Journal, Transfer
from linli.ledger.services import Leg, journal_post
from tests.ledger.conftest import new_key

pytestmark = [pytest.mark.django_db, pytest.mark.db_sensitive]


def _db_uuid(value: uuid.UUID):
    return value if connection.vendor == "postgresql" else value.hex


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_transfer(journal: Journal, debit: int, credit: int, amount: int, asset: str = "CNY"):
    _raw(
        "INSERT INTO ledger_transfer (id, journal_id, community_id, seq, leg_no, asset, "
        "debit_account_id, credit_account_id, amount, kind, pending_id, expires_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'single', NULL, NULL)",
        [
            _db_uuid(uuid.uuid4()),
            _db_uuid(journal.id),
            journal.community_id,
            journal.seq,
            99,
            asset,
            debit,
            credit,
            amount,
        ],
    )


@pytest.fixture
def posted(community, chart, open_wallet):
    buyer, shop = open_wallet(1_000), open_wallet(0)
    result = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key(),
        legs=[Leg(buyer.id, shop.id, 400)],
    )
    return Journal.objects.get(id=result.journal_id), buyer, shop


def test_a_member_wallet_cannot_go_negative_even_by_raw_sql(posted):
    _journal, buyer, _shop = posted
    with pytest.raises(DatabaseError):
        _raw(
            "UPDATE ledger_account SET debits_posted = credits_posted + 1 WHERE id = %s", [buyer.id]
        )


def test_a_held_amount_counts_against_the_limit(posted):
    _journal, buyer, _shop = posted
    with pytest.raises(DatabaseError):
        _raw("UPDATE ledger_account SET debits_pending = 601 WHERE id = %s", [buyer.id])


def test_a_leg_cannot_mix_assets(posted, open_wallet):
    journal, buyer, _shop = posted
    coins = open_wallet(0, asset="TIME")
    with pytest.raises(DatabaseError):
        _insert_transfer(journal, buyer.id, coins.id, 1, asset="CNY")
    with pytest.raises(DatabaseError):
        _insert_transfer(journal, buyer.id, coins.id, 1, asset="TIME")


@pytest.mark.parametrize("amount", [0, -1])
def test_amounts_must_be_positive(posted, amount):
    journal, buyer, shop = posted
    with pytest.raises(DatabaseError):
        _insert_transfer(journal, buyer.id, shop.id, amount)


def test_a_transfer_needs_two_accounts(posted):
    journal, buyer, _shop = posted
    with pytest.raises(DatabaseError):
        _insert_transfer(journal, buyer.id, buyer.id, 1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_transfer SET amount = amount + 1",
        "DELETE FROM ledger_transfer",
        "UPDATE ledger_entry SET balance_after = 0",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_journal SET memo = 'changed'",
        "DELETE FROM ledger_journal",
    ],
)
def test_transfers_entries_and_journals_cannot_be_changed_or_deleted(posted, statement):
    with pytest.raises(DatabaseError):
        _raw(statement, [])
    assert Transfer.objects.filter(amount=400).count() == 1
    assert Entry.objects.count() == 3  # funding (cash-in is hot: no entry) + two sides


def test_accounts_cannot_be_deleted_or_change_asset(posted):
    _journal, buyer, _shop = posted
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM ledger_account WHERE id = %s", [buyer.id])
    with pytest.raises(DatabaseError):
        _raw("UPDATE ledger_account SET asset = 'PTS' WHERE id = %s", [buyer.id])


def test_hot_accounts_cannot_carry_limits(chart):
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    with pytest.raises(DatabaseError):
        _raw(
            "UPDATE ledger_account SET debits_must_not_exceed_credits = %s WHERE id = %s",
            [True, revenue.id],
        )
