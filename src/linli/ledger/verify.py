"""Offline check of a member's evidence bundle: ``python -m linli.ledger.verify bundle.json``.

Needs only the stdlib and ``cryptography``: no Django, no database, no network. What it
checks, in order, stopping at the first failure (see docs/evidence.md):

1. the checkpoint is signed by the bundle's verifier key (c2sp.org/signed-note), and by
   the key the member pinned (``--key``) if given;
2. the checkpoint's origin names the bundle's community (``…/<community>``);
3. every journal leaf has the version-1 shape, re-encodes to its leaf hash, and carries
   the journal's ``seq`` and the bundle's community;
4. every leaf is in the checkpoint's tree at index ``seq − 1`` (RFC 9162 §2.1.3.2);
5. every account's entries run through versions 1…version without gap or repeat, each
   ``balance_after`` is the previous one plus ``delta``, and the last one and the sum of
   ``pending_delta`` equal the claimed posted and pending balances;
6. if present, an older checkpoint (same key and origin) is a prefix of the current one
   (RFC 9162 §2.1.4.2).

Exit status: 0 all checks passed, 1 a check failed (named on the last line), 2 the
bundle is unreadable or malformed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linli.ledger.canonical import journal_leaf_hash, validate_leaf
from linli.ledger.merkle import verify_consistency, verify_inclusion
from linli.ledger.signing import (
    Checkpoint,
    CheckpointError,
    checkpoint_open,
    parse_verifier_key,
)

FORMAT = "linli-evidence/1"
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_PROOF_HASHES = 64  # a tree of 2^63 leaves needs at most 63
_HASH_HEX = re.compile(r"[0-9a-f]{64}")

EXIT_OK, EXIT_FAILED, EXIT_MALFORMED = 0, 1, 2


class BundleError(ValueError):
    """The bundle is not a well-formed linli-evidence/1 document."""


@dataclass(frozen=True)
class CheckResult:
    """One check: a stable ``check`` id, whether it passed, a zh-hans / English message."""

    check: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.message}"


@dataclass(frozen=True)
class JournalEvidence:
    seq: int
    leaf: dict[str, Any]
    leaf_hash: bytes
    inclusion_proof: list[bytes]


@dataclass(frozen=True)
class AccountClaim:
    id: int
    asset: str
    version: int
    balance_posted: int
    balance_pending: int


@dataclass(frozen=True)
class ConsistencyEvidence:
    old_checkpoint: str
    proof: list[bytes]


@dataclass(frozen=True)
class Bundle:
    community: str
    verifier_key: str
    checkpoint: str
    accounts: list[AccountClaim]
    journals: list[JournalEvidence]
    consistency: ConsistencyEvidence | None


# --- parsing (malformed → BundleError → exit 2) ---------------------------------------------


def _field(obj: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise BundleError(f"{where} lacks {key!r}")
    value = obj[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise BundleError(f"{where}.{key} must be {kind.__name__}")
    return value


def _hash(text: object, where: str) -> bytes:
    if not isinstance(text, str) or not _HASH_HEX.fullmatch(text):
        raise BundleError(f"{where} must be 64 lowercase hex digits")
    return bytes.fromhex(text)


def _proof(value: object, where: str) -> list[bytes]:
    if not isinstance(value, list) or len(value) > MAX_PROOF_HASHES:
        raise BundleError(f"{where} must be a list of at most {MAX_PROOF_HASHES} hashes")
    return [_hash(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{where} must be an object")
    return value


def _parse_account(value: object, where: str) -> AccountClaim:
    obj = _object(value, where)
    claim = AccountClaim(
        id=_field(obj, "id", int, where),
        asset=_field(obj, "asset", str, where),
        version=_field(obj, "version", int, where),
        balance_posted=_field(obj, "balance_posted", int, where),
        balance_pending=_field(obj, "balance_pending", int, where),
    )
    if claim.id < 1 or claim.version < 0:
        raise BundleError(f"{where}: id must be positive and version not negative")
    return claim


def _parse_journal(value: object, where: str) -> JournalEvidence:
    obj = _object(value, where)
    return JournalEvidence(
        seq=_field(obj, "seq", int, where),
        leaf=_field(obj, "leaf", dict, where),
        leaf_hash=_hash(obj.get("leaf_hash"), f"{where}.leaf_hash"),
        inclusion_proof=_proof(obj.get("inclusion_proof"), f"{where}.inclusion_proof"),
    )


def _parse_consistency(value: object) -> ConsistencyEvidence | None:
    if value is None:
        return None
    obj = _object(value, "consistency")
    return ConsistencyEvidence(
        old_checkpoint=_field(obj, "old_checkpoint", str, "consistency"),
        proof=_proof(obj.get("proof"), "consistency.proof"),
    )


def parse_bundle(data: object) -> Bundle:
    """Check the bundle's structure and types; raise BundleError naming the problem."""
    obj = _object(data, "bundle")
    if obj.get("format") != FORMAT:
        raise BundleError(f"bundle format must be {FORMAT!r}")
    accounts = [
        _parse_account(a, f"accounts[{i}]")
        for i, a in enumerate(_field(obj, "accounts", list, "bundle"))
    ]
    if len({a.id for a in accounts}) != len(accounts):
        raise BundleError("an account appears twice in accounts")
    journals = [
        _parse_journal(j, f"journals[{i}]")
        for i, j in enumerate(_field(obj, "journals", list, "bundle"))
    ]
    return Bundle(
        community=_field(obj, "community", str, "bundle"),
        verifier_key=_field(obj, "verifier_key", str, "bundle"),
        checkpoint=_field(obj, "checkpoint", str, "bundle"),
        accounts=accounts,
        journals=journals,
        consistency=_parse_consistency(obj.get("consistency")),
    )


# --- checks (failure → exit 1) ----------------------------------------------------------------


@dataclass
class _Context:
    bundle: Bundle
    pinned_key: str | None
    checkpoint: Checkpoint | None = None
    results: list[CheckResult] = field(default_factory=list)

    @property
    def head(self) -> Checkpoint:
        if self.checkpoint is None:  # the signature check runs first and sets it
            raise RuntimeError("checkpoint not verified yet")
        return self.checkpoint


def _pass(check: str, message: str) -> CheckResult:
    return CheckResult(check=check, ok=True, message=message)


def _fail(check: str, message: str) -> CheckResult:
    return CheckResult(check=check, ok=False, message=message)


def _check_signature(ctx: _Context) -> list[CheckResult]:
    try:
        ctx.checkpoint = checkpoint_open(ctx.bundle.checkpoint, ctx.bundle.verifier_key)
    except CheckpointError as exc:
        return [_fail("checkpoint_signature", f"检查点签名无效 / checkpoint signature: {exc}")]
    head = ctx.checkpoint
    return [
        _pass(
            "checkpoint_signature",
            f"检查点签名有效 / checkpoint signature valid (size {head.size}, "
            f"root {head.root.hex()[:16]}…)",
        )
    ]


def _same_key(a: str, b: str) -> bool:
    first, second = parse_verifier_key(a), parse_verifier_key(b)
    return (first.name, first.key_id, first.public_key.public_bytes_raw()) == (
        second.name,
        second.key_id,
        second.public_key.public_bytes_raw(),
    )


def _check_pinned_key(ctx: _Context) -> list[CheckResult]:
    if ctx.pinned_key is None:
        return []
    try:
        if not _same_key(ctx.pinned_key, ctx.bundle.verifier_key):
            raise CheckpointError("the bundle names another key")
        checkpoint_open(ctx.bundle.checkpoint, ctx.pinned_key)
    except CheckpointError as exc:
        return [_fail("pinned_key", f"与您保存的公钥不符 / not signed by your pinned key: {exc}")]
    return [_pass("pinned_key", "与您保存的公钥一致 / signed by the key you pinned")]


def _check_origin(ctx: _Context) -> list[CheckResult]:
    community = ctx.bundle.community
    origin = ctx.head.origin
    if not community or not origin.endswith("/" + community) or origin == "/" + community:
        return [
            _fail(
                "origin",
                f"检查点不属于社区 {community} / checkpoint origin {origin!r} "
                f"is not community {community!r}",
            )
        ]
    return [_pass("origin", f"检查点属于社区 {community} / checkpoint is for {origin}")]


def _leaf_problem(journal: JournalEvidence, community: str) -> str | None:
    try:
        validate_leaf(journal.leaf)
    except (ValueError, TypeError) as exc:
        return f"invalid leaf: {exc}"
    if journal.leaf["seq"] != journal.seq:
        return f"leaf.seq is {journal.leaf['seq']}"
    if journal.leaf["community"] != community:
        return f"leaf.community is {journal.leaf['community']!r}"
    if journal_leaf_hash(journal.leaf) != journal.leaf_hash:
        return "leaf does not re-encode to leaf_hash"
    return None


def _check_leaves(ctx: _Context) -> list[CheckResult]:
    seen: set[int] = set()
    for journal in ctx.bundle.journals:
        problem = (
            "appears twice" if journal.seq in seen else _leaf_problem(journal, ctx.bundle.community)
        )
        if problem:
            return [
                _fail("leaves", f"账目 #{journal.seq} 有误 / journal #{journal.seq}: {problem}")
            ]
        seen.add(journal.seq)
    count = len(ctx.bundle.journals)
    return [_pass("leaves", f"{count} 笔账目编码一致 / {count} journal leaves match their hashes")]


def _check_inclusion(ctx: _Context) -> list[CheckResult]:
    head = ctx.head
    for journal in ctx.bundle.journals:
        index = journal.seq - 1
        if not verify_inclusion(
            journal.leaf_hash, index, head.size, journal.inclusion_proof, head.root
        ):
            return [
                _fail(
                    "inclusion",
                    f"账目 #{journal.seq} 不在检查点中 / journal #{journal.seq} "
                    f"is not proven in the tree of size {head.size}",
                )
            ]
    count = len(ctx.bundle.journals)
    return [
        _pass(
            "inclusion",
            f"{count} 个包含证明有效 / {count} inclusion proofs verify (tree size {head.size})",
        )
    ]


def _account_entries(
    bundle: Bundle, account: AccountClaim
) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """This account's entries as (seq, entry), by version; and a problem with its assets."""
    found: list[tuple[int, dict[str, Any]]] = []
    problem = ""
    for journal in sorted(bundle.journals, key=lambda j: j.seq):
        for transfer in journal.leaf["transfers"]:
            touches = account.id in (transfer["debit"], transfer["credit"])
            if touches and transfer["asset"] != account.asset and not problem:
                problem = f"journal #{journal.seq} moves {transfer['asset']}"
        found.extend(
            (journal.seq, e) for e in journal.leaf["entries"] if e["account"] == account.id
        )
    found.sort(key=lambda pair: pair[1]["version"])
    return found, problem


def _chain_problem(account: AccountClaim, found: list[tuple[int, dict[str, Any]]]) -> str | None:
    versions = [entry["version"] for _, entry in found]
    if versions != list(range(1, account.version + 1)):
        missing = sorted(set(range(1, account.version + 1)) - set(versions))
        extra = sorted(v for v in set(versions) if versions.count(v) > 1 or v > account.version)
        return f"versions missing {missing[:5]} / repeated or beyond {extra[:5]}"
    balance, pending, last_seq = 0, 0, 0
    for seq, entry in found:
        if seq < last_seq:
            return f"version {entry['version']} is in an earlier journal #{seq}"
        if entry["balance_after"] != balance + entry["delta"]:
            return f"version {entry['version']}: balance_after ≠ {balance} + {entry['delta']}"
        balance, pending, last_seq = entry["balance_after"], pending + entry["pending_delta"], seq
    if balance != account.balance_posted:
        return f"entries end at {balance}, the claimed balance is {account.balance_posted}"
    if pending != account.balance_pending:
        return f"pending entries sum to {pending}, the claimed pending is {account.balance_pending}"
    return None


def _check_accounts(ctx: _Context) -> list[CheckResult]:
    results = []
    for account in ctx.bundle.accounts:
        found, asset_problem = _account_entries(ctx.bundle, account)
        problem = asset_problem or _chain_problem(account, found)
        if problem:
            message = f"账户 {account.id} 流水或余额不符 / account {account.id}: {problem}"
            results.append(_fail("accounts", message))
            return results
        results.append(
            _pass(
                "accounts",
                f"账户 {account.id} 流水连续、余额一致 / account {account.id} ({account.asset}): "
                f"versions 1–{account.version}, balance {account.balance_posted}, "
                f"pending {account.balance_pending}",
            )
        )
    return results


def _check_consistency(ctx: _Context) -> list[CheckResult]:
    evidence = ctx.bundle.consistency
    if evidence is None:
        return []
    head = ctx.head
    try:
        old = checkpoint_open(evidence.old_checkpoint, ctx.bundle.verifier_key)
    except CheckpointError as exc:
        return [_fail("consistency", f"旧检查点签名无效 / old checkpoint signature: {exc}")]
    if old.origin != head.origin or not verify_consistency(
        old.size, head.size, old.root, head.root, evidence.proof
    ):
        return [
            _fail(
                "consistency",
                f"新旧检查点不一致 / checkpoint of size {old.size} is not a prefix of "
                f"size {head.size}",
            )
        ]
    return [
        _pass(
            "consistency",
            f"一致性证明有效 / checkpoint of size {old.size} is a prefix of size {head.size}",
        )
    ]


_CHECKS: tuple[Callable[[_Context], list[CheckResult]], ...] = (
    _check_signature,
    _check_pinned_key,
    _check_origin,
    _check_leaves,
    _check_inclusion,
    _check_accounts,
    _check_consistency,
)


def verify_bundle(bundle: dict[str, Any], pinned_key: str | None = None) -> list[CheckResult]:
    """Run every check in order, stopping after the first failure.

    Raises BundleError if the bundle is malformed. All passed iff every result is ok.
    """
    ctx = _Context(bundle=parse_bundle(bundle), pinned_key=pinned_key)
    for check in _CHECKS:
        results = check(ctx)
        ctx.results.extend(results)
        if any(not r.ok for r in results):
            break
    return ctx.results


def all_passed(results: Sequence[CheckResult]) -> bool:
    return bool(results) and all(r.ok for r in results)


# --- command line -----------------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise BundleError(f"key {key!r} appears twice in one object")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> None:
    raise BundleError(f"{name} is not allowed")


def load_bundle(path: str) -> dict[str, Any]:
    """Read and parse a bundle file ('-' for stdin) strictly; raise BundleError."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError("bundle is too large")
    try:
        data = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BundleError(f"not JSON: {exc}") from exc
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise BundleError(str(exc)) from exc
    if not isinstance(data, dict):
        raise BundleError("bundle must be a JSON object")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    parser = argparse.ArgumentParser(
        prog="python -m linli.ledger.verify",
        description="邻里账本证据包离线核验 / offline check of a Linli ledger evidence bundle",
    )
    parser.add_argument("bundle", help="evidence bundle JSON file, or - for stdin")
    parser.add_argument("--key", help="the verifier key you pinned (name+id+key)")
    args = parser.parse_args(argv)
    try:
        if args.key is not None:
            parse_verifier_key(args.key)
        results = verify_bundle(load_bundle(args.bundle), pinned_key=args.key)
    except (BundleError, CheckpointError) as exc:
        print(f"✗ 证据包格式错误 / malformed bundle: {exc}", file=sys.stderr)
        return EXIT_MALFORMED
    except Exception as exc:  # hostile input must not end in a traceback
        print(f"✗ 无法核验 / cannot verify: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_MALFORMED
    for result in results:
        print(result.line())
    if all_passed(results):
        print("全部通过 / all checks passed")
        return EXIT_OK
    failed = next(r for r in results if not r.ok)
    print(f"未通过 / FAILED: {failed.check}")
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
