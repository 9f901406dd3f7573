"""Checkpoints, verify_ledger, tampering behind the app's back, and the member's evidence."""

import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from linli.ledger.evidence import evidence_bundle, journal_inclusion, tree_consistency
from linli.ledger.merkle import verify_consistency, verify_inclusion
from linli.ledger.models import Checkpoint, Journal
from linli.ledger.services import (
    Leg,
    checkpoint_create,
    journal_post,
)
from linli.ledger.signing import checkpoint_open
from linli.ledger.verification import ledger_verify
from linli.ledger.verify import all_passed, verify_bundle
from tests.ledger.conftest import new_key

pytestmark = [pytest.mark.django_db, pytest.mark.db_sensitive]


def test_checkpoints_are_signed_and_consistent(community, history):
    first, second = history["first"], history["second"]
    assert (first.tree_size, second.tree_size) == (4, 6)
    assert checkpoint_create(community=community) is None  # nothing new
    from linli.ledger.services.checkpoints import community_verifier_key

    opened = checkpoint_open(second.signed_note, community_verifier_key(community))
    assert opened.size == 6 and opened.root.hex() == second.root_hash
    proof = tree_consistency(community=community, old_size=4, new_size=6)
    assert verify_consistency(
        4,
        6,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        [bytes.fromhex(h) for h in proof["proof"]],
    )


def test_every_journal_has_an_inclusion_proof(community, history):
    for journal in Journal.objects.filter(community=community, status="posted"):
        proof = journal_inclusion(community=community, journal=journal)
        assert verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            journal.seq - 1,
            6,
            [bytes.fromhex(h) for h in proof["inclusion_proof"]],
            bytes.fromhex(proof["root_hash"]),
        )


def test_verify_ledger_passes_on_an_honest_ledger(community, history, capsys):
    report = ledger_verify(community=community)
    assert report.problem is None
    assert (report.journals, report.checkpoints) == (6, 2)
    call_command("verify_ledger", "--community", community.slug)
    assert "OK [ledger-a] 6 journals" in capsys.readouterr().out


def _tamper(sql: str, params: list, table: str) -> None:
    """Change a row behind the app's back: drop the immutability trigger first."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER linli_immutable_{table}_update")
            cursor.execute(sql, params)


def test_a_changed_transfer_is_named_by_verify_ledger(community, history):
    sale = history["sales"][1]
    _tamper(
        "UPDATE ledger_transfer SET amount = 1 WHERE journal_id = %s AND leg_no = 0",
        [sale.journal_id if connection.vendor == "postgresql" else sale.journal_id.hex],
        "ledger_transfer",
    )
    report = ledger_verify(community=community)
    assert report.problem is not None
    assert report.problem.check == "leaf"
    assert str(sale.journal_id) in report.problem.row and "seq 3" in report.problem.row
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--community", community.slug)


def test_a_fractional_amount_slipped_into_a_row_is_named_by_verify_ledger(community, history):
    """verify_ledger hashes rebuilt leaves without the encoder's type walk: a value the walk
    would refuse (SQLite keeps 1.5 as REAL in an integer column) still fails the hash."""
    sale = history["sales"][1]
    _tamper(
        "UPDATE ledger_transfer SET amount = %s WHERE journal_id = %s AND leg_no = 0",
        [
            1.5 if connection.vendor == "sqlite" else 2,
            sale.journal_id if connection.vendor == "postgresql" else sale.journal_id.hex,
        ],
        "ledger_transfer",
    )
    problem = ledger_verify(community=community).problem
    assert problem is not None and problem.check == "leaf"
    assert str(sale.journal_id) in problem.row


def test_a_changed_snapshot_is_named_by_verify_ledger(community, history):
    shop = history["shop"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET credits_posted = credits_posted + 5 WHERE id = %s", [shop.id]
        )
    problem = ledger_verify(community=community).problem
    assert problem is not None and problem.check == "snapshot"
    assert f"account {shop.id}" in problem.row


def test_a_rewritten_checkpoint_root_is_caught(community, history):
    _tamper(
        "UPDATE ledger_checkpoint SET root_hash = %s WHERE tree_size = 4",
        ["00" * 32],
        "ledger_checkpoint",
    )
    problem = ledger_verify(community=community).problem
    assert problem is not None and problem.row == "checkpoint size 4"


def test_the_member_evidence_bundle_verifies_offline(community, history, tmp_path):
    bundle = evidence_bundle(community=community, accounts=[history["buyer"]])
    assert all_passed(verify_bundle(bundle))
    assert {j["seq"] for j in bundle["journals"]} == {1, 2, 3, 4, 5, 6}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "linli.ledger.verify", str(path)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    bundle["accounts"][0]["balance_posted"] += 1
    assert not all_passed(verify_bundle(bundle))


def test_a_journal_after_the_checkpoint_has_no_proof_yet(community, history, open_wallet):
    from linli.ledger.evidence import NotYetCheckpointed

    buyer, shop = history["buyer"], history["shop"]
    late = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key(),
        legs=[Leg(buyer.id, shop.id, 1)],
    )
    with pytest.raises(NotYetCheckpointed):
        journal_inclusion(community=community, journal=Journal.objects.get(id=late.journal_id))
    assert Checkpoint.objects.filter(community=community).count() == 2
