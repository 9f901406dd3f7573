"""Building the Merkle leaf of a journal: one function, used when posting and when verifying.

The leaf carries no personal data: accounts appear as opaque ids, the memo is the journal's
business description (e.g. "会员费"), never a name or a phone number.
"""

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
