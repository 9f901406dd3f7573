"""Rebuild journal leaves from the stored rows: what the verifier and evidence export use.

The same `journal_leaf` function builds the leaf at posting time; rebuilding it from the
rows and comparing hashes is how a changed row is caught. Rows are read with plain SQL in
batches (three queries per batch): ORM row conversion cost more than the hashing.

`leaf_rows` is the verifier's path: it streams every posted journal with its rows in seq
order and writes the canonical bytes straight from the row tuples (`journal_leaf_text`),
falling back to `journal_leaf` + `canonical_bytes` for a value of an unusual type.
`leaves_for_seqs` builds the leaf dicts a member's evidence bundle carries.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from linli.communities.models import Community
from linli.ledger.canonical import canonical_bytes
from linli.ledger.leaves import (
    UnusualRow,
    journal_leaf,
    journal_leaf_text,
    leaf_entry,
    leaf_transfer,
)

BATCH_JOURNALS = 20_000
BATCH_SEQS = 500


@dataclass(frozen=True)
class StoredLeaf:
    journal_id: uuid.UUID
    seq: int
    stored_hash: str
    leaf: dict[str, Any]


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


class LeafRows:
    """A posted journal's stored leaf hash and the rows its leaf is rebuilt from."""

    __slots__ = ("community_slug", "entries", "journal", "transfers")

    def __init__(
        self, community_slug: str, journal: tuple, transfers: list[tuple], entries: list[tuple]
    ) -> None:
        self.community_slug = community_slug
        self.journal = journal  # id, seq, code, created_at, policy_id, reverses_id, memo, hash
        self.transfers = transfers  # (seq, leg, asset, debit, credit, amount, kind, pending)
        self.entries = entries  # (seq, account, version, delta, pending_delta, balance_after)

    @property
    def journal_id(self) -> uuid.UUID:
        return uuid.UUID(_hex(self.journal[0]))

    @property
    def seq(self) -> int:
        return self.journal[1]

    @property
    def stored_hash(self) -> str:
        return self.journal[7]

    def canonical_bytes(self) -> bytes:
        """`canonical_bytes(journal_leaf(...), checked=False)` of the rebuilt leaf: written
        directly from the rows, or through the dicts when a value has an unusual type."""
        journal_id, seq, code, created_at, policy_id, reverses_id, memo, _ = self.journal
        fields = {
            "community_slug": self.community_slug,
            "seq": seq,
            "journal_id": journal_id,
            "code": code,
            "created_at": _utc(created_at),
            "policy_id": policy_id,
            "reverses_id": reverses_id,
            "memo": memo,
        }
        try:
            text = journal_leaf_text(
                **fields,
                transfers=[row[1:] for row in self.transfers],
                entries=[row[1:] for row in self.entries],
            )
            return text.encode("utf-8")
        except (UnusualRow, UnicodeEncodeError):
            leaf = journal_leaf(
                **fields,
                transfers=[_transfer_dict(row[1:]) for row in self.transfers],
                entries=[_entry_dict(row[1:]) for row in self.entries],
            )
            return canonical_bytes(leaf, checked=False)


def leaf_rows(*, community: Community, batch: int = BATCH_JOURNALS) -> Iterator[LeafRows]:
    """Posted journals in seq order with their transfers and entries, `batch` journals per
    three queries, streamed: what `verify_ledger` hashes. A transfer belongs to a journal
    when its journal_id, community and seq all match the journal's."""
    start = 1
    while True:
        params = [community.id, start, start + batch - 1]
        journals = _select(
            "SELECT id, seq, code, created_at, policy_id, reverses_id, memo, leaf_hash "
            "FROM ledger_journal WHERE community_id = %s AND status = 'posted' "
            "AND seq BETWEEN %s AND %s ORDER BY seq",
            params,
        )
        if not journals:
            return
        transfers = _select(
            "SELECT t.seq, t.leg_no, t.asset, t.debit_account_id, t.credit_account_id, "
            "t.amount, t.kind, t.pending_id FROM ledger_transfer t JOIN ledger_journal j "
            "ON j.id = t.journal_id AND j.community_id = t.community_id AND j.seq = t.seq "
            "WHERE t.community_id = %s AND j.status = 'posted' AND t.seq BETWEEN %s AND %s "
            "ORDER BY t.seq, t.leg_no",
            params,
        )
        entries = _select(
            "SELECT j.seq, e.account_id, e.account_version, e.delta, e.pending_delta, "
            "e.balance_after FROM ledger_entry e JOIN ledger_journal j ON j.id = e.journal_id "
            "WHERE j.community_id = %s AND j.status = 'posted' AND j.seq BETWEEN %s AND %s "
            "ORDER BY j.seq, e.account_id, e.account_version",
            params,
        )
        yield from _merged(community.slug, journals, transfers, entries)
        start += batch


def _merged(
    slug: str, journals: list[tuple], transfers: list[tuple], entries: list[tuple]
) -> Iterator[LeafRows]:
    """Each journal with its run of transfers and entries (all three sorted by seq)."""
    t = e = 0
    t_end, e_end = len(transfers), len(entries)
    for journal in journals:
        seq = journal[1]
        t_start, e_start = t, e
        while t < t_end and transfers[t][0] == seq:
            t += 1
        while e < e_end and entries[e][0] == seq:
            e += 1
        yield LeafRows(slug, journal, transfers[t_start:t], entries[e_start:e])


def _transfer_dict(row: tuple) -> dict[str, Any]:
    leg, asset, debit, credit, amount, kind, pending = row
    return leaf_transfer(
        leg=leg, asset=asset, debit=debit, credit=credit, amount=amount, kind=kind, pending=pending
    )


def _entry_dict(row: tuple) -> dict[str, Any]:
    account, version, delta, pending_delta, balance_after = row
    return leaf_entry(
        account=account,
        version=version,
        delta=delta,
        pending_delta=pending_delta,
        balance_after=balance_after,
    )


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
