"""Building the Merkle leaf of a journal: one function, used when posting and when verifying.

The leaf carries no personal data: accounts appear as opaque ids, the memo is the journal's
business description (e.g. "会员费"), never a name or a phone number.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

LEAF_VERSION = 1


def _hex(value: UUID | str | None) -> str | None:
    """Ids as 32 hex digits, whether they come as UUIDs (ORM, PostgreSQL) or text (SQLite)."""
    if value is None:
        return None
    return value if isinstance(value, str) else value.hex


def leaf_time(moment: datetime) -> str:
    """UTC with microseconds and a Z: the one textual form of a journal's time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def journal_leaf(
    *,
    community_slug: str,
    seq: int,
    journal_id: UUID | str,
    code: str,
    created_at: datetime,
    policy_id: int | None,
    reverses_id: UUID | str | None,
    memo: str,
    transfers: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "v": LEAF_VERSION,
        "community": community_slug,
        "seq": seq,
        "journal": _hex(journal_id),
        "code": code,
        "at": leaf_time(created_at),
        "policy": policy_id,
        "ref": _hex(reverses_id),
        "memo": memo,
        "transfers": sorted(transfers, key=lambda t: t["leg"]),
        "entries": sorted(entries, key=lambda e: (e["account"], e["version"])),
    }


def leaf_transfer(
    *,
    leg: int,
    asset: str,
    debit: int,
    credit: int,
    amount: int,
    kind: str,
    pending: UUID | str | None,
) -> dict[str, Any]:
    return {
        "leg": leg,
        "asset": asset,
        "debit": debit,
        "credit": credit,
        "amount": amount,
        "kind": kind,
        "pending": _hex(pending),
    }


def leaf_entry(
    *, account: int, version: int, delta: int, pending_delta: int, balance_after: int
) -> dict[str, Any]:
    return {
        "account": account,
        "version": version,
        "delta": delta,
        "pending_delta": pending_delta,
        "balance_after": balance_after,
    }


# --- the canonical text of a leaf straight from its rows (verify_ledger) ----------------------

# What `json.dumps(..., ensure_ascii=False)` writes for a string, quotes included.
_json_text = json.encoder.encode_basestring


class UnusualRow(Exception):
    """A value of a type the direct encoder does not write: use the general path."""


def _text(value: object) -> str:
    if type(value) is str:
        return _json_text(value)
    raise UnusualRow


def _int_or_null(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    raise UnusualRow


def _hex_or_null(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return _json_text(value)
    if type(value) is UUID:
        return f'"{value.hex}"'
    raise UnusualRow


def _transfer_json(
    leg: object,
    asset: object,
    debit: object,
    credit: object,
    amount: object,
    kind: object,
    pending: object,
) -> str:
    if not int is type(leg) is type(debit) is type(credit) is type(amount):
        raise UnusualRow
    return (
        f'{{"amount":{amount},"asset":{_text(asset)},"credit":{credit},"debit":{debit},'
        f'"kind":{_text(kind)},"leg":{leg},"pending":{_hex_or_null(pending)}}}'
    )


def _entry_json(
    account: object, version: object, delta: object, pending_delta: object, balance_after: object
) -> str:
    if not int is type(account) is type(version) is type(delta) is type(pending_delta):
        raise UnusualRow
    if type(balance_after) is not int:
        raise UnusualRow
    return (
        f'{{"account":{account},"balance_after":{balance_after},"delta":{delta},'
        f'"pending_delta":{pending_delta},"version":{version}}}'
    )


def journal_leaf_text(
    *,
    community_slug: str,
    seq: int,
    journal_id: UUID | str,
    code: str,
    created_at: datetime,
    policy_id: int | None,
    reverses_id: UUID | str | None,
    memo: str,
    transfers: Iterable[Sequence[Any]],
    entries: Iterable[Sequence[Any]],
) -> str:
    """The canonical JSON text of `journal_leaf(...)` (canonical.py: sorted keys, no spaces,
    UTF-8 text), written directly from row tuples without building the dicts.

    `transfers` are (leg, asset, debit, credit, amount, kind, pending) sorted by leg and
    `entries` (account, version, delta, pending_delta, balance_after) sorted by (account,
    version), as `journal_leaf` would sort them. Exact types only (int, str, None, UUID for
    ids): anything else raises `UnusualRow` and the caller encodes `journal_leaf(...)` with
    the general encoder, so a row of any type gets the same bytes, or the same error, as
    there. tests/ledger/test_canonical.py compares the two on random rows.
    """
    if type(seq) is not int:
        raise UnusualRow
    entries_json = ",".join([_entry_json(*entry) for entry in entries])
    transfers_json = ",".join([_transfer_json(*transfer) for transfer in transfers])
    return (
        f'{{"at":"{leaf_time(created_at)}","code":{_text(code)},'
        f'"community":{_text(community_slug)},"entries":[{entries_json}],'
        f'"journal":{_hex_or_null(journal_id)},"memo":{_text(memo)},'
        f'"policy":{_int_or_null(policy_id)},"ref":{_hex_or_null(reverses_id)},"seq":{seq},'
        f'"transfers":[{transfers_json}],"v":{LEAF_VERSION}}}'
    )
