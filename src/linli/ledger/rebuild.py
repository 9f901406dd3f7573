"""Rebuild journal leaves from the stored rows: what the verifier and evidence export use.

The same `journal_leaf` function builds the leaf at posting time; rebuilding it from the
rows and comparing hashes is how a changed row is caught. Rows are read with plain SQL in
batches (three queries per batch): ORM row conversion cost more than the hashing.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from linli.communities.models import Community
from linli.ledger.leaves import journal_leaf, leaf_entry, leaf_transfer

BATCH_JOURNALS = 20_000
BATCH_SEQS = 500


@dataclass(frozen=True)
class StoredLeaf:
    journal_id: uuid.UUID
    seq: int
    stored_hash: str
    leaf: dict[str, Any]


def stored_leaves(
    *, community: Community, first_seq: int = 1, last_seq: int | None = None
) -> Iterator[StoredLeaf]:
    """Leaves of posted journals in seq order, rebuilt from journals, transfers and entries."""
    start = first_seq
    while last_seq is None or start <= last_seq:
        end = (
            start + BATCH_JOURNALS - 1
            if last_seq is None
            else min(start + BATCH_JOURNALS - 1, last_seq)
        )
        found = _leaves_where(community, "BETWEEN %s AND %s", [start, end])
        if not found:
            return
        yield from found
        start = end + 1


def leaves_for_seqs(*, community: Community, seqs: Sequence[int]) -> list[StoredLeaf]:
    """Leaves of chosen journals (a member's own), in seq order."""
    wanted = sorted(set(seqs))
    found: list[StoredLeaf] = []
    for i in range(0, len(wanted), BATCH_SEQS):
        chunk = wanted[i : i + BATCH_SEQS]
        found += _leaves_where(community, f"IN ({', '.join(['%s'] * len(chunk))})", chunk)
    return found


def _leaves_where(community: Community, seq_condition: str, params: list[int]) -> list[StoredLeaf]:
    journals = _select(
        "SELECT id, seq, code, created_at, policy_id, reverses_id, memo, leaf_hash "
        "FROM ledger_journal WHERE community_id = %s AND status = 'posted' "
        f"AND seq {seq_condition} ORDER BY seq",
        [community.id, *params],
    )
    if not journals:
        return []
    transfers = _transfers_by_journal(community, seq_condition, params)
    entries = _entries_by_journal(community, seq_condition, params)
    leaves = []
    for journal_id, seq, code, created_at, policy_id, reverses_id, memo, leaf_hash in journals:
        key = _hex(journal_id)
        leaf = journal_leaf(
            community_slug=community.slug,
            seq=seq,
            journal_id=key,
            code=code,
            created_at=_utc(created_at),
            policy_id=policy_id,
            reverses_id=reverses_id,
            memo=memo,
            transfers=transfers[key],
            entries=entries[key],
        )
        leaves.append(
            StoredLeaf(journal_id=uuid.UUID(key), seq=seq, stored_hash=leaf_hash, leaf=leaf)
        )
    return leaves


def _transfers_by_journal(
    community: Community, seq_condition: str, params: list[int]
) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = _select(
        "SELECT journal_id, leg_no, asset, debit_account_id, credit_account_id, amount, kind, "
        f"pending_id FROM ledger_transfer WHERE community_id = %s AND seq {seq_condition}",
        [community.id, *params],
    )
    for journal_id, leg, asset, debit, credit, amount, kind, pending in rows:
        grouped[_hex(journal_id)].append(
            leaf_transfer(
                leg=leg,
                asset=asset,
                debit=debit,
                credit=credit,
                amount=amount,
                kind=kind,
                pending=pending,
            )
        )
    return grouped


def _entries_by_journal(
    community: Community, seq_condition: str, params: list[int]
) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = _select(
        "SELECT e.journal_id, e.account_id, e.account_version, e.delta, e.pending_delta, "
        "e.balance_after FROM ledger_entry e JOIN ledger_journal j ON j.id = e.journal_id "
        f"WHERE j.community_id = %s AND j.seq {seq_condition}",
        [community.id, *params],
    )
    for journal_id, account, version, delta, pending_delta, balance_after in rows:
        grouped[_hex(journal_id)].append(
            leaf_entry(
                account=account,
                version=version,
                delta=delta,
                pending_delta=pending_delta,
                balance_after=balance_after,
            )
        )
    return grouped


def _select(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _hex(value: uuid.UUID | str) -> str:
    """PostgreSQL returns UUIDs, SQLite the 32 hex digits Django stores."""
    return value if isinstance(value, str) else value.hex


def _utc(value: datetime | str) -> datetime:
    """PostgreSQL returns aware datetimes; SQLite naive UTC (parsed or as stored text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
