"""verify_ledger names the first bad row: one tampered column of each kind of ledger row,
with the exact check, row and detail the auditor sees (pinned so that a faster verifier
cannot change what it reports)."""

import pytest
from django.db import connection, transaction

from linli.ledger.models import Account, AccountKind, Checkpoint, Entry, HotRollup, Journal
from linli.ledger.verification import Problem, ledger_verify
from tests.ledger.test_checkpoints import _tamper

pytestmark = [pytest.mark.django_db, pytest.mark.db_sensitive]


def _key(journal_id):
    return journal_id if connection.vendor == "postgresql" else journal_id.hex


def _journal(seq: int, community) -> Journal:
    return Journal.objects.get(community=community, seq=seq)


def _problem(community) -> Problem:
    problem = ledger_verify(community=community).problem
    assert problem is not None
    return problem


def _journal_row(journal: Journal) -> str:
    return f"journal {journal.id} (seq {journal.seq})"


def test_an_honest_ledger_reports_its_counts(community, history):
    report = ledger_verify(community=community)
    assert report.problem is None
    accounts = Account.objects.filter(community=community, is_hot=False).count()
    assert (report.journals, report.accounts, report.checkpoints) == (6, accounts, 2)


def test_a_changed_memo_is_a_leaf_problem(community, history):
    journal = _journal(2, community)
    _tamper(
        "UPDATE ledger_journal SET memo = %s WHERE id = %s",
        ["邻里超市 购物!", _key(journal.id)],
        "ledger_journal",
    )
    problem = _problem(community)
    assert (problem.check, problem.row, problem.detail) == (
        "leaf",
        _journal_row(journal),
        "rows do not hash to the stored leaf hash",
    )


def test_a_changed_stored_leaf_hash_is_a_leaf_problem(community, history):
    journal = _journal(5, community)
    _tamper(
        "UPDATE ledger_journal SET leaf_hash = %s WHERE id = %s",
        ["ab" * 32, _key(journal.id)],
        "ledger_journal",
    )
    problem = _problem(community)
    assert (problem.check, problem.row) == ("leaf", _journal_row(journal))


def test_a_changed_entry_balance_is_a_leaf_problem_of_its_journal(community, history):
    journal = _journal(4, community)
    entry = Entry.objects.filter(journal=journal).order_by("account_id").first()
    _tamper(
        "UPDATE ledger_entry SET balance_after = balance_after + 1 WHERE id = %s",
        [entry.id],
        "ledger_entry",
    )
    problem = _problem(community)
    assert (problem.check, problem.row) == ("leaf", _journal_row(journal))


def test_a_text_value_in_an_integer_column_is_a_leaf_problem(community, history):
    """SQLite turns '900' back into 900 (integer affinity) but keeps '900x' as TEXT in an
    integer column: the direct encoder defers to the general one, a JSON string."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL columns are typed")
    journal = _journal(3, community)
    _tamper(
        "UPDATE ledger_entry SET delta = CAST(delta AS TEXT) || 'x' WHERE journal_id = %s",
        [_key(journal.id)],
        "ledger_entry",
    )
    problem = _problem(community)
    assert (problem.check, problem.row) == ("leaf", _journal_row(journal))


def test_a_gap_in_seq_is_named(community, history):
    journal = _journal(6, community)
    _tamper("UPDATE ledger_journal SET seq = 9 WHERE id = %s", [_key(journal.id)], "ledger_journal")
    _tamper("UPDATE ledger_transfer SET seq = 9 WHERE seq = 6", [], "ledger_transfer")
    problem = _problem(community)
    assert (problem.check, problem.row, problem.detail) == (
        "seq",
        f"journal {journal.id} (seq 9)",
        "expected seq 6: a gap",
    )


def test_a_checkpoint_beyond_the_journals_is_named(community, history):
    _tamper(
        "UPDATE ledger_checkpoint SET tree_size = 7 WHERE tree_size = 6",
        [],
        "ledger_checkpoint",
    )
    problem = _problem(community)
    assert (problem.check, problem.row, problem.detail) == (
        "checkpoint",
        "checkpoint size 7",
        "covers journals that do not exist",
    )


def test_a_changed_signed_note_is_named(community, history):
    checkpoint = Checkpoint.objects.get(community=community, tree_size=6)
    note = checkpoint.signed_note.replace("\n6\n", "\n5\n", 1)
    assert note != checkpoint.signed_note
    _tamper(
        "UPDATE ledger_checkpoint SET signed_note = %s WHERE id = %s",
        [note, checkpoint.id],
        "ledger_checkpoint",
    )
    problem = _problem(community)
    assert (problem.check, problem.row) == ("checkpoint", "checkpoint size 6")
    assert problem.detail.startswith("signature: ")


def _account_update(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_changed_pending_snapshot_is_named(community, history):
    buyer = history["buyer"]
    _account_update(
        "UPDATE ledger_account SET debits_pending = debits_pending + 1 WHERE id = %s", [buyer.id]
    )
    buyer.refresh_from_db()
    problem = _problem(community)
    assert (problem.check, problem.row) == ("snapshot", f"account {buyer.id} (member_wallet CNY)")
    assert problem.detail == (
        f"snapshot ({buyer.debits_posted}, {buyer.credits_posted}, {buyer.debits_pending}, "
        f"{buyer.credits_pending}) but transfers sum to ({buyer.debits_posted}, "
        f"{buyer.credits_posted}, {buyer.debits_pending - 1}, {buyer.credits_pending})"
    )


def test_a_changed_account_version_is_an_entries_problem(community, history):
    shop = history["shop"]
    _account_update("UPDATE ledger_account SET version = version + 1 WHERE id = %s", [shop.id])
    shop.refresh_from_db()
    problem = _problem(community)
    assert (problem.check, problem.row, problem.detail) == (
        "entries",
        f"account {shop.id} (member_wallet CNY)",
        f"{shop.version - 1} entries for account version {shop.version}",
    )


def test_the_first_bad_account_by_id_is_named(community, history):
    buyer, shop = history["buyer"], history["shop"]
    for account in (shop, buyer):
        _account_update(
            "UPDATE ledger_account SET version = version + 1 WHERE id = %s", [account.id]
        )
    first = min(buyer.id, shop.id)
    assert _problem(community).row.startswith(f"account {first} ")


def test_a_changed_rollup_is_named(community, history, chart):
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    rollup = HotRollup.objects.get(account=revenue)
    _tamper(
        "UPDATE ledger_hotrollup SET credits_posted = credits_posted + 1 WHERE id = %s",
        [rollup.id],
        "ledger_hotrollup",
    )
    problem = _problem(community)
    assert (problem.check, problem.row, problem.detail) == (
        "rollup",
        f"rollup {rollup.id}",
        "totals differ from the transfers",
    )


def test_a_hot_account_made_ordinary_breaks_the_snapshot_check(community, history, chart):
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    _account_update("UPDATE ledger_account SET is_hot = %s WHERE id = %s", [False, revenue.id])
    problem = _problem(community)
    assert problem.check == "snapshot" and problem.row.startswith(f"account {revenue.id} ")
