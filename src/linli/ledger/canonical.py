"""The one canonical byte encoding of a journal leaf, and the leaf's shape (version 1).

Encoding (documented for auditors in docs/evidence.md): JSON with keys sorted by
Unicode code point, no whitespace (``","`` and ``":"`` separators), non-ASCII text
written as UTF-8 rather than ``\\u`` escapes, strings as given (no Unicode
normalisation). Only objects with string keys, arrays, strings, integers in signed
64-bit range, ``true``/``false`` and ``null`` are allowed: floats, decimals and
anything else would make the bytes depend on a library's number formatting.

The leaf hash is RFC 9162 §2.1.1's ``SHA-256(0x00 ‖ canonical bytes)``. Changing
anything here changes every leaf hash: a new encoding needs a new leaf version ``v``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

from linli.ledger.merkle import leaf_hash

LEAF_VERSION = 1
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
MAX_DEPTH = 16
MAX_TRANSFERS = 16  # legs per journal (DESIGN: a journal has up to 16 transfers)
MAX_ENTRIES = 2 * MAX_TRANSFERS
MAX_MEMO_CHARS = 500
TRANSFER_KINDS = frozenset({"single", "pending", "post", "void"})

LEAF_KEYS = frozenset(
    {"v", "community", "seq", "journal", "code", "at", "policy", "ref", "memo"}
    | {"transfers", "entries"}
)
TRANSFER_KEYS = frozenset({"leg", "asset", "debit", "credit", "amount", "kind", "pending"})
ENTRY_KEYS = frozenset({"account", "version", "delta", "pending_delta", "balance_after"})

_SLUG = re.compile(r"[A-Za-z0-9_-]{1,100}")
_UUID_HEX = re.compile(r"[0-9a-f]{32}")
_CODE = re.compile(r"[^\x00-\x1f\x7f]{1,64}")  # journal codes: short, one line
_ASSET = re.compile(r"[A-Z][A-Z0-9_]{0,15}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


# --- encoding -------------------------------------------------------------------------------


def _check_value(root: object, depth: int) -> None:
    """Raise unless ``root`` is made only of the JSON types we allow.

    Iterative, with exact-type fast paths: this runs over every leaf `verify_ledger`
    rebuilds. Text validity (no lone surrogates) is checked once, on the encoded result.
    """
    stack: list[tuple[object, int]] = [(root, depth)]
    while stack:
        value, level = stack.pop()
        kind = type(value)
        if kind is str or value is None or kind is bool:
            continue
        if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
            if not INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]
                raise ValueError(f"integer {value} is outside signed 64-bit range")
            continue
        if isinstance(value, str):
            continue
        if level >= MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if kind is list:
            stack.extend((item, level + 1) for item in value)  # type: ignore[attr-defined]
        elif kind is dict:
            for key, item in value.items():  # type: ignore[attr-defined]
                if not isinstance(key, str):
                    raise TypeError(f"object key {key!r} is not a string")
                stack.append((item, level + 1))
        else:
            raise TypeError(f"{kind.__name__} has no canonical encoding")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise ValueError(f"string is not valid Unicode: {text!r}") from exc


def canonical_bytes(obj: object, *, checked: bool = True) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj`` (sorted keys, no spaces, no floats).

    Raises TypeError for a type outside dict (str keys) / list / str / int / bool /
    None (floats, Decimals, tuples…), ValueError for integers outside signed 64-bit
    and for strings that are not valid Unicode.

    ``checked=False`` skips the type walk, for a caller that only compares the result
    with a stored hash (`verify_ledger` re-hashing rows): a value the walk would refuse
    encodes to different bytes, so the comparison fails and names the row anyway.
    """
    if checked:
        _check_value(obj, 0)
    text = json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate somewhere in a key or a value
        raise ValueError(f"string is not valid Unicode: {exc}") from exc


def journal_leaf_hash(leaf: Mapping[str, Any], *, checked: bool = True) -> bytes:
    """RFC 9162 §2.1.1 leaf hash of a journal leaf: SHA-256(0x00 ‖ canonical bytes)."""
    return leaf_hash(canonical_bytes(leaf, checked=checked))


# --- leaf shape (version 1) -----------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_int(value: object, where: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{where} is outside signed 64-bit range")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where} must be at least {minimum}")
    return value


def _require_match(value: object, pattern: re.Pattern[str], where: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{where} has the wrong format")
    return value


def _require_keys(obj: object, keys: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be an object")
    missing = sorted(keys - obj.keys())
    extra = sorted(str(k) for k in obj.keys() - keys)
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    if extra:
        raise ValueError(f"{where} has unexpected {', '.join(extra)}")
    return obj


def _validate_header(leaf: dict[str, Any]) -> None:
    if not _is_int(leaf["v"]) or leaf["v"] != LEAF_VERSION:
        raise ValueError(f"leaf.v must be {LEAF_VERSION}")
    _require_match(leaf["community"], _SLUG, "leaf.community")
    _require_int(leaf["seq"], "leaf.seq", minimum=1)
    _require_match(leaf["journal"], _UUID_HEX, "leaf.journal")
    _require_match(leaf["code"], _CODE, "leaf.code")
    at = _require_match(leaf["at"], _TIMESTAMP, "leaf.at")
    try:
        datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:
        raise ValueError("leaf.at is not a real UTC time") from exc
    if leaf["policy"] is not None:
        _require_int(leaf["policy"], "leaf.policy", minimum=1)
    if leaf["ref"] is not None:
        _require_match(leaf["ref"], _UUID_HEX, "leaf.ref")
    memo = leaf["memo"]
    if not isinstance(memo, str) or len(memo) > MAX_MEMO_CHARS:
        raise ValueError(f"leaf.memo must be text of at most {MAX_MEMO_CHARS} characters")
    _check_text(memo)


def _validate_transfer(transfer: object, leg: int) -> dict[str, Any]:
    where = f"leaf.transfers[{leg}]"
    t = _require_keys(transfer, TRANSFER_KEYS, where)
    if _require_int(t["leg"], f"{where}.leg") != leg:
        raise ValueError(f"{where}.leg must be {leg}")
    _require_match(t["asset"], _ASSET, f"{where}.asset")
    debit = _require_int(t["debit"], f"{where}.debit", minimum=1)
    credit = _require_int(t["credit"], f"{where}.credit", minimum=1)
    if debit == credit:
        raise ValueError(f"{where} debits and credits the same account")
    kind = t["kind"]
    if kind not in TRANSFER_KINDS:
        raise ValueError(f"{where}.kind must be one of {', '.join(sorted(TRANSFER_KINDS))}")
    _require_int(t["amount"], f"{where}.amount", minimum=1)
    if kind in ("post", "void"):
        _require_match(t["pending"], _UUID_HEX, f"{where}.pending")
    elif t["pending"] is not None:
        raise ValueError(f"{where}.pending must be null for a {kind} transfer")
    return t


def _validate_entry(entry: object, position: int) -> tuple[int, int]:
    where = f"leaf.entries[{position}]"
    e = _require_keys(entry, ENTRY_KEYS, where)
    account = _require_int(e["account"], f"{where}.account", minimum=1)
    version = _require_int(e["version"], f"{where}.version", minimum=1)
    for field in ("delta", "pending_delta", "balance_after"):
        _require_int(e[field], f"{where}.{field}")
    return account, version


def _posted_effect(transfers: list[dict[str, Any]]) -> dict[int, int]:
    """Credits minus debits each account's posted balance gets from these transfers."""
    effect: dict[int, int] = {}
    for t in transfers:
        if t["kind"] in ("single", "post"):
            effect[t["credit"]] = effect.get(t["credit"], 0) + t["amount"]
            effect[t["debit"]] = effect.get(t["debit"], 0) - t["amount"]
        else:
            effect.setdefault(t["credit"], 0)
            effect.setdefault(t["debit"], 0)
    return effect


def _validate_entries(entries: object, transfers: list[dict[str, Any]]) -> None:
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise ValueError(f"leaf.entries must be a list of at most {MAX_ENTRIES} entries")
    keys = [_validate_entry(entry, i) for i, entry in enumerate(entries)]
    if any(a >= b for a, b in pairwise(keys)):
        raise ValueError("leaf.entries must be sorted by (account, version) without repeats")
    effect = _posted_effect(transfers)
    deltas: dict[int, int] = {}
    for entry in entries:
        deltas[entry["account"]] = deltas.get(entry["account"], 0) + entry["delta"]
    for account, delta in deltas.items():
        if account not in effect:
            raise ValueError(f"leaf.entries touch account {account}, which no transfer moves")
        if delta != effect[account]:
            raise ValueError(
                f"leaf.entries change account {account} by {delta}, "
                f"its transfers by {effect[account]}"
            )


def validate_leaf(leaf: object) -> None:
    """Check a version-1 journal leaf strictly; raise ValueError naming the first problem.

    Besides types and formats: legs are numbered 0, 1, …; post/void transfers name the
    pending transfer they resolve; entries are sorted by (account, version); and for
    every account with entries, the sum of their ``delta`` equals what the journal's
    single and post transfers move on that account (credits minus debits).
    """
    obj = _require_keys(leaf, LEAF_KEYS, "leaf")
    _validate_header(obj)
    transfers = obj["transfers"]
    if not isinstance(transfers, list) or not 1 <= len(transfers) <= MAX_TRANSFERS:
        raise ValueError(f"leaf.transfers must be a list of 1 to {MAX_TRANSFERS} transfers")
    checked = [_validate_transfer(t, leg) for leg, t in enumerate(transfers)]
    _validate_entries(obj["entries"], checked)
    canonical_bytes(obj)  # nothing slipped past that the encoder would refuse
