"""The offline evidence check: good bundles pass, each kind of tampering fails the right check.

Bundles are built in memory from a small simulated ledger (InMemoryTree + a temporary
Ed25519 key), the way the server will export them, without a database.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from linli.ledger.canonical import journal_leaf_hash
from linli.ledger.merkle import InMemoryTree, consistency_proof, inclusion_proof
from linli.ledger.signing import checkpoint_sign, verifier_key
from linli.ledger.verify import BundleError, all_passed, verify_bundle

COMMUNITY = "lin-li-garden"
ORIGIN = f"linli.ledger/{COMMUNITY}"
MEMBER, MERCHANT, CASH, REVENUE = 12, 40, 3, 7  # account ids; REVENUE is hot (no entries)


@dataclass
class Move:
    kind: str
    debit: int
    credit: int
    amount: int
    pending: str | None = None
    held: int = 0  # for post/void: the amount the hold reserved


@dataclass
class SimLedger:
    """Just enough of the posting rules to produce realistic version-1 leaves."""

    hot: set[int] = field(default_factory=lambda: {REVENUE})
    leaves: list[dict[str, Any]] = field(default_factory=list)
    state: dict[int, list[int]] = field(default_factory=dict)  # id -> [version, posted, pending]
    holds: dict[str, Move] = field(default_factory=dict)

    def post(self, moves: list[Move], *, code: str = "purchase", memo: str = "") -> int:
        seq = len(self.leaves) + 1
        transfers, entries = [], []
        for leg, move in enumerate(moves):
            transfers.append(
                {
                    "leg": leg,
                    "asset": "CNY",
                    "debit": move.debit,
                    "credit": move.credit,
                    "amount": move.amount,
                    "kind": move.kind,
                    "pending": move.pending,
                }
            )
            for account, sign in ((move.debit, -1), (move.credit, 1)):
                if account not in self.hot:
                    entries.append(self._apply(account, sign, move))
        self.leaves.append(
            {
                "v": 1,
                "community": COMMUNITY,
                "seq": seq,
                "journal": uuid.UUID(int=seq).hex,
                "code": code,
                "at": f"2026-11-23T04:05:{seq % 60:02d}.000000Z",
                "policy": 3,
                "ref": None,
                "memo": memo,
                "transfers": transfers,
                "entries": sorted(entries, key=lambda e: (e["account"], e["version"])),
            }
        )
        return seq

    def _apply(self, account: int, sign: int, move: Move) -> dict[str, int]:
        version, posted, pending = self.state.get(account, [0, 0, 0])
        delta = sign * move.amount if move.kind in ("single", "post") else 0
        pending_delta = {"pending": sign * move.amount, "post": -sign * move.held}.get(move.kind, 0)
        if move.kind == "void":
            pending_delta = -sign * move.held
        version, posted, pending = version + 1, posted + delta, pending + pending_delta
        self.state[account] = [version, posted, pending]
        return {
            "account": account,
            "version": version,
            "delta": delta,
            "pending_delta": pending_delta,
            "balance_after": posted,
        }

    def single(self, debit: int, credit: int, amount: int, **kw: Any) -> int:
        return self.post([Move("single", debit, credit, amount)], **kw)

    def hold(self, debit: int, credit: int, amount: int) -> str:
        hold_id = uuid.UUID(int=(1 << 64) + len(self.leaves) + 1).hex  # deterministic
        self.holds[hold_id] = Move("pending", debit, credit, amount)
        self.post([Move("pending", debit, credit, amount)], code="hold")
        return hold_id

    def settle(self, hold_id: str, amount: int | None) -> int:
        held = self.holds.pop(hold_id)
        kind = "void" if amount is None else "post"
        move = Move(kind, held.debit, held.credit, amount or held.amount, hold_id, held.amount)
        return self.post([move], code=f"hold_{kind}")


def build_ledger() -> SimLedger:
    ledger = SimLedger()
    ledger.single(CASH, MEMBER, 50_000, code="top_up", memo="充值")
    ledger.single(CASH, MERCHANT, 1_000, code="top_up")  # not the member's
    ledger.post(
        [Move("single", MEMBER, MERCHANT, 9_900), Move("single", MERCHANT, REVENUE, 500)],
        memo="会员费 2026",
    )
    hold = ledger.hold(MEMBER, MERCHANT, 3_000)
    ledger.single(MERCHANT, REVENUE, 10)
    ledger.settle(hold, 2_000)
    second = ledger.hold(MEMBER, MERCHANT, 700)
    ledger.single(CASH, MERCHANT, 5)
    ledger.single(MEMBER, MERCHANT, 1, memo="团购 🍎")
    ledger.single(CASH, MERCHANT, 5)
    del second  # still pending: the member's pending balance is -700
    return ledger


@dataclass
class Fixture:
    ledger: SimLedger
    tree: InMemoryTree
    key: Ed25519PrivateKey
    vkey: str


@pytest.fixture
def fx() -> Fixture:
    ledger = build_ledger()
    tree = InMemoryTree([journal_leaf_hash(leaf) for leaf in ledger.leaves])
    key = Ed25519PrivateKey.generate()
    return Fixture(ledger, tree, key, verifier_key(ORIGIN, key.public_key()))


def sign_head(fx: Fixture, size: int, key: Ed25519PrivateKey | None = None) -> str:
    return checkpoint_sign(origin=ORIGIN, size=size, root=fx.tree.root(size), key=key or fx.key)


def journal_evidence(fx: Fixture, seq: int, size: int) -> dict[str, Any]:
    leaf = fx.ledger.leaves[seq - 1]
    return {
        "seq": seq,
        "leaf": copy.deepcopy(leaf),
        "leaf_hash": journal_leaf_hash(leaf).hex(),
        "inclusion_proof": [h.hex() for h in inclusion_proof(fx.tree, seq - 1, size)],
    }


def make_bundle(fx: Fixture, account: int = MEMBER, old_size: int | None = 4) -> dict[str, Any]:
    size = fx.tree.size
    version, posted, pending = fx.ledger.state[account]
    seqs = [
        leaf["seq"]
        for leaf in fx.ledger.leaves
        if any(e["account"] == account for e in leaf["entries"])
    ]
    consistency = None
    if old_size is not None:
        consistency = {
            "old_checkpoint": sign_head(fx, old_size),
            "proof": [h.hex() for h in consistency_proof(fx.tree, old_size, size)],
        }
    return {
        "format": "linli-evidence/1",
        "community": COMMUNITY,
        "verifier_key": fx.vkey,
        "checkpoint": sign_head(fx, size),
        "accounts": [
            {
                "id": account,
                "asset": "CNY",
                "version": version,
                "balance_posted": posted,
                "balance_pending": pending,
            }
        ],
        "journals": [journal_evidence(fx, seq, size) for seq in seqs],
        "consistency": consistency,
    }


def failed_check(bundle: dict[str, Any], pinned_key: str | None = None) -> str | None:
    results = verify_bundle(bundle, pinned_key=pinned_key)
    failures = [r for r in results if not r.ok]
    assert len(failures) <= 1  # it stops at the first failure
    return failures[0].check if failures else None


def member_journal(bundle: dict[str, Any], seq: int) -> dict[str, Any]:
    return next(j for j in bundle["journals"] if j["seq"] == seq)


# --- good bundles -------------------------------------------------------------------------------


def test_simulated_member_state_is_what_we_expect(fx: Fixture) -> None:
    assert fx.ledger.state[MEMBER] == [6, 50_000 - 9_900 - 2_000 - 1, -700]


def test_good_bundle_passes_every_check(fx: Fixture) -> None:
    results = verify_bundle(make_bundle(fx), pinned_key=fx.vkey)
    assert all_passed(results)
    assert [r.check for r in results] == [
        "checkpoint_signature",
        "pinned_key",
        "origin",
        "leaves",
        "inclusion",
        "accounts",
        "consistency",
    ]
    assert all(" / " in r.message for r in results)  # zh-hans and English on one line


def test_every_account_in_the_ledger_verifies(fx: Fixture) -> None:
    for account in (MEMBER, MERCHANT, CASH):
        assert all_passed(verify_bundle(make_bundle(fx, account=account)))


def test_bundle_without_consistency_proof_passes(fx: Fixture) -> None:
    results = verify_bundle(make_bundle(fx, old_size=None))
    assert all_passed(results)
    assert "consistency" not in [r.check for r in results]


@pytest.mark.parametrize("old_size", [0, 1, 6, 10])
def test_consistency_from_any_older_size_passes(fx: Fixture, old_size: int) -> None:
    assert all_passed(verify_bundle(make_bundle(fx, old_size=old_size)))


def test_account_without_entries_passes_with_zero_balance(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["accounts"].append(
        {"id": 99, "asset": "CNY", "version": 0, "balance_posted": 0, "balance_pending": 0}
    )
    assert all_passed(verify_bundle(bundle))


# --- tampering ------------------------------------------------------------------------------------


def test_altered_amount_in_a_leaf_fails_leaves(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    member_journal(bundle, 3)["leaf"]["transfers"][0]["amount"] = 990
    assert failed_check(bundle) == "leaves"


def test_consistently_altered_leaf_fails_leaves(fx: Fixture) -> None:
    """Amount, delta and balance all edited to agree: the leaf hash still gives it away."""
    bundle = make_bundle(fx)
    leaf = member_journal(bundle, 1)["leaf"]
    leaf["transfers"][0]["amount"] += 100
    for entry in leaf["entries"]:
        entry["delta"] += 100 if entry["account"] == MEMBER else -100
        entry["balance_after"] += 100 if entry["account"] == MEMBER else -100
    assert failed_check(bundle) == "leaves"


def test_altered_leaf_with_recomputed_hash_fails_inclusion(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    journal = member_journal(bundle, 1)
    journal["leaf"]["memo"] = "改过的"
    journal["leaf_hash"] = journal_leaf_hash(journal["leaf"]).hex()
    assert failed_check(bundle) == "inclusion"


def test_missing_entry_fails_accounts(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["journals"] = [j for j in bundle["journals"] if j["seq"] != 6]  # version gap
    assert failed_check(bundle) == "accounts"


def test_repeated_journal_fails_leaves(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["journals"].append(copy.deepcopy(bundle["journals"][0]))
    assert failed_check(bundle) == "leaves"


@pytest.mark.parametrize(
    ("field_name", "change"), [("balance_posted", 1), ("balance_pending", -1), ("version", 1)]
)
def test_wrong_balance_fails_accounts(fx: Fixture, field_name: str, change: int) -> None:
    bundle = make_bundle(fx)
    bundle["accounts"][0][field_name] += change
    assert failed_check(bundle) == "accounts"


def test_broken_balance_chain_fails_accounts(fx: Fixture) -> None:
    """The server sends an honest leaf set but claims an older, larger version: gap."""
    bundle = make_bundle(fx)
    bundle["accounts"][0]["version"] -= 1
    assert failed_check(bundle) == "accounts"


def test_versions_out_of_journal_order_fail_accounts() -> None:
    """A dishonest ledger that signed leaves whose versions run against the journal order."""
    ledger = build_ledger()
    first = next(e for e in ledger.leaves[0]["entries"] if e["account"] == MEMBER)
    third = next(e for e in ledger.leaves[2]["entries"] if e["account"] == MEMBER)
    first.update(version=2, balance_after=50_000 - 9_900)
    third.update(version=1, balance_after=-9_900)  # the chain itself still adds up
    tree = InMemoryTree([journal_leaf_hash(leaf) for leaf in ledger.leaves])
    key = Ed25519PrivateKey.generate()
    bundle = make_bundle(Fixture(ledger, tree, key, verifier_key(ORIGIN, key.public_key())))
    results = verify_bundle(bundle)
    assert results[-1].check == "accounts"
    assert not results[-1].ok
    assert "earlier journal" in results[-1].message


def test_asset_mismatch_fails_accounts(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["accounts"][0]["asset"] = "TIME"
    assert failed_check(bundle) == "accounts"


def test_proof_for_another_index_fails_inclusion(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    other = [h.hex() for h in inclusion_proof(fx.tree, 1, fx.tree.size)]  # leaf #2's proof
    member_journal(bundle, 1)["inclusion_proof"] = other
    assert failed_check(bundle) == "inclusion"


def test_journal_claiming_another_seq_fails_leaves(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    member_journal(bundle, 1)["seq"] = 2
    assert failed_check(bundle) == "leaves"


def test_truncated_proof_fails_inclusion(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    member_journal(bundle, 3)["inclusion_proof"].pop()
    assert failed_check(bundle) == "inclusion"


def test_journal_beyond_the_checkpoint_fails_inclusion(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["checkpoint"] = sign_head(fx, 8)  # the member's journal #9 is newer
    assert failed_check(bundle) == "inclusion"


def test_checkpoint_signed_by_another_key_fails_signature(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["checkpoint"] = sign_head(fx, fx.tree.size, key=Ed25519PrivateKey.generate())
    assert failed_check(bundle) == "checkpoint_signature"


def test_edited_checkpoint_fails_signature(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["checkpoint"] = bundle["checkpoint"].replace(f"\n{fx.tree.size}\n", "\n9\n")
    assert failed_check(bundle) == "checkpoint_signature"


def test_whole_bundle_resigned_by_another_key_fails_pinned_key(fx: Fixture) -> None:
    attacker = Ed25519PrivateKey.generate()
    bundle = make_bundle(fx)
    bundle["verifier_key"] = verifier_key(ORIGIN, attacker.public_key())
    bundle["checkpoint"] = sign_head(fx, fx.tree.size, key=attacker)
    bundle["consistency"] = None
    assert failed_check(bundle) is None  # self-consistent on its own…
    assert failed_check(bundle, pinned_key=fx.vkey) == "pinned_key"  # …but not your key


def test_checkpoint_of_another_community_fails_origin(fx: Fixture) -> None:
    bundle = make_bundle(fx, old_size=None)
    bundle["checkpoint"] = checkpoint_sign(
        origin="linli.ledger/other",
        size=fx.tree.size,
        root=fx.tree.root(),
        key=fx.key,
        name=ORIGIN,
    )
    assert failed_check(bundle) == "origin"


def test_leaf_of_another_community_fails_leaves(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["community"] = "other"
    bundle["checkpoint"] = checkpoint_sign(
        origin="linli.ledger/other",
        size=fx.tree.size,
        root=fx.tree.root(),
        key=fx.key,
        name=ORIGIN,
    )
    assert failed_check(bundle) == "leaves"


def test_forked_history_fails_consistency(fx: Fixture) -> None:
    """The log once showed the member a different size-4 tree: a split view."""
    bundle = make_bundle(fx)
    forked = InMemoryTree([fx.tree.perfect_node(0, i) for i in range(3)])
    forked.extend([journal_leaf_hash(dict(fx.ledger.leaves[3], memo="另一个历史"))])
    bundle["consistency"]["old_checkpoint"] = checkpoint_sign(
        origin=ORIGIN, size=4, root=forked.root(), key=fx.key
    )
    assert failed_check(bundle) == "consistency"


def test_tampered_consistency_proof_fails_consistency(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["consistency"]["proof"] = bundle["consistency"]["proof"][:-1]
    assert failed_check(bundle) == "consistency"


def test_old_checkpoint_by_another_key_fails_consistency(fx: Fixture) -> None:
    bundle = make_bundle(fx)
    bundle["consistency"]["old_checkpoint"] = sign_head(fx, 4, key=Ed25519PrivateKey.generate())
    assert failed_check(bundle) == "consistency"


@pytest.mark.parametrize(
    "breakage",
    [
        lambda b: b.update(format="linli-evidence/2"),
        lambda b: b.pop("journals"),
        lambda b: b.update(accounts="none"),
        lambda b: b["accounts"][0].update(balance_posted="100"),
        lambda b: b["accounts"][0].update(id=True),
        lambda b: b["accounts"].append(dict(b["accounts"][0])),
        lambda b: b["journals"][0].update(leaf_hash="XYZ"),
        lambda b: b["journals"][0].update(inclusion_proof=["00"]),
        lambda b: b["journals"][0].update(leaf=[]),
        lambda b: b.update(consistency={"proof": []}),
    ],
)
def test_malformed_bundle_raises_bundle_error(fx: Fixture, breakage: Any) -> None:
    bundle = make_bundle(fx)
    breakage(bundle)
    with pytest.raises(BundleError):
        verify_bundle(bundle)


# --- the command line, in a fresh interpreter without Django ----------------------------------


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "linli.ledger.verify", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        input=None if stdin is None else stdin.decode(),
        timeout=60,
        check=False,
    )


def write_bundle(tmp_path: Path, bundle: dict[str, Any]) -> str:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(path)


def test_cli_passes_a_good_bundle(fx: Fixture, tmp_path: Path) -> None:
    result = run_cli(write_bundle(tmp_path, make_bundle(fx)), "--key", fx.vkey)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("全部通过 / all checks passed")
    assert "✓ 检查点签名有效 / checkpoint signature valid" in result.stdout
    assert result.stderr == ""


def test_cli_reads_stdin(fx: Fixture) -> None:
    raw = json.dumps(make_bundle(fx), ensure_ascii=False).encode()
    assert run_cli("-", stdin=raw).returncode == 0


def test_cli_names_the_first_failure_and_exits_1(fx: Fixture, tmp_path: Path) -> None:
    bundle = make_bundle(fx)
    bundle["accounts"][0]["balance_posted"] += 1
    result = run_cli(write_bundle(tmp_path, bundle))
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "未通过 / FAILED: accounts"
    assert "✗ 账户 12" in result.stdout


def test_cli_pinned_key_mismatch_exits_1(fx: Fixture, tmp_path: Path) -> None:
    other = verifier_key(ORIGIN, Ed25519PrivateKey.generate().public_key())
    result = run_cli(write_bundle(tmp_path, make_bundle(fx)), "--key", other)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "未通过 / FAILED: pinned_key"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        b'{"format": "linli-evidence/1", "format": "linli-evidence/1"}',  # duplicate key
        b'{"format": NaN}',
        b"\xff\xfe\x00",
        b'{"format": "linli-evidence/1"}',
    ],
)
def test_cli_garbage_exits_2_without_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.json"
    path.write_bytes(content)
    result = run_cli(str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "malformed bundle" in result.stderr


def test_cli_missing_file_and_bad_key_exit_2(fx: Fixture, tmp_path: Path) -> None:
    assert run_cli(str(tmp_path / "absent.json")).returncode == 2
    result = run_cli(write_bundle(tmp_path, make_bundle(fx)), "--key", "not-a-key")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_verifier_imports_no_django() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys, linli.ledger.verify, linli.ledger.signing, linli.ledger.merkle, "
        "linli.ledger.canonical; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"


# --- a committed example bundle (also the one docs/evidence.md tells people to try) ---------------

GOLDEN_BUNDLE = Path(__file__).parent / "golden" / "bundle_v1.json"
GOLDEN_SEED = b"linli golden test key - not secret"
GOLDEN_VKEY = "linli.ledger/lin-li-garden+b86d56ed+AWUBf0sDZLil0uFWL0MUvFZ+yIOwzByQyJ1Yf/2r+luB"


def test_committed_example_bundle_passes_the_cli() -> None:
    result = run_cli(str(GOLDEN_BUNDLE), "--key", GOLDEN_VKEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "account 12 (CNY): versions 1–6, balance 38099, pending -700" in result.stdout


def test_committed_example_bundle_is_reproduced_byte_for_byte() -> None:
    """Same leaves, same key: same bytes (Ed25519 is deterministic). Guards the encoding."""
    import hashlib

    ledger = build_ledger()
    tree = InMemoryTree([journal_leaf_hash(leaf) for leaf in ledger.leaves])
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(GOLDEN_SEED).digest())
    assert verifier_key(ORIGIN, key.public_key()) == GOLDEN_VKEY
    bundle = make_bundle(Fixture(ledger, tree, key, GOLDEN_VKEY))
    expected = GOLDEN_BUNDLE.read_text(encoding="utf-8")
    assert json.dumps(bundle, ensure_ascii=False, indent=2) + "\n" == expected
