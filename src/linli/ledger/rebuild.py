"""Rebuild journal leaves from the stored rows: what the verifier and evidence export use.

The same `journal_leaf` function builds the leaf at posting time; rebuilding it from the
rows and comparing hashes is how a changed row is caught.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linli.communities.models import Community
from linli.ledger.leaves import journal_leaf, leaf_entry, leaf_transfer
from linli.ledger.models import Entry, Journal, JournalStatus, Transfer

BATCH_JOURNALS = 20_000


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
    while True:
        end = start + BATCH_JOURNALS - 1
        if last_seq is not None:
            end = min(end, last_seq)
        if end < start:
            return
        batch = list(_journal_rows(community, start, end))
        if not batch:
            return
        yield from _leaves_for(community, batch, start, end)
        start = end + 1


def leaves_for_seqs(*, community: Community, seqs: list[int]) -> list[StoredLeaf]:
    """Leaves of chosen journals (a member's own), in seq order."""
    found: list[StoredLeaf] = []
    for seq in sorted(set(seqs)):
        found.extend(stored_leaves(community=community, first_seq=seq, last_seq=seq))
    return found


def _journal_rows(community: Community, start: int, end: int) -> Iterator[tuple]:
    return iter(
        Journal.objects.filter(
            community=community, status=JournalStatus.POSTED, seq__gte=start, seq__lte=end
        )
        .order_by("seq")
        .values_list(
            "id", "seq", "code", "created_at", "policy_id", "reverses_id", "memo", "leaf_hash"
        )
    )


def _leaves_for(
    community: Community, batch: list[tuple], start: int, end: int
) -> Iterator[StoredLeaf]:
    transfers: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in Transfer.objects.filter(
        community=community, seq__gte=start, seq__lte=end
    ).values_list(
        "journal_id",
        "leg_no",
        "asset_id",
        "debit_account_id",
        "credit_account_id",
        "amount",
        "kind",
        "pending_id",
    ):
        transfers[row[0]].append(
            leaf_transfer(
                leg=row[1],
                asset=row[2],
                debit=row[3],
                credit=row[4],
                amount=row[5],
                kind=row[6],
                pending=row[7],
            )
        )
    entries: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for entry_row in Entry.objects.filter(
        journal__community=community, journal__seq__gte=start, journal__seq__lte=end
    ).values_list(
        "journal_id", "account_id", "account_version", "delta", "pending_delta", "balance_after"
    ):
        entries[entry_row[0]].append(
            leaf_entry(
                account=entry_row[1],
                version=entry_row[2],
                delta=entry_row[3],
                pending_delta=entry_row[4],
                balance_after=entry_row[5],
            )
        )
    for journal_id, seq, code, created_at, policy_id, reverses_id, memo, leaf_hash in batch:
        leaf = _leaf(
            community,
            journal_id,
            seq,
            code,
            created_at,
            policy_id,
            reverses_id,
            memo,
            transfers[journal_id],
            entries[journal_id],
        )
        yield StoredLeaf(journal_id=journal_id, seq=seq, stored_hash=leaf_hash, leaf=leaf)


def _leaf(
    community: Community,
    journal_id: uuid.UUID,
    seq: int,
    code: str,
    created_at: datetime,
    policy_id: int | None,
    reverses_id: uuid.UUID | None,
    memo: str,
    transfers: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    return journal_leaf(
        community_slug=community.slug,
        seq=seq,
        journal_id=journal_id,
        code=code,
        created_at=created_at,
        policy_id=policy_id,
        reverses_id=reverses_id,
        memo=memo,
        transfers=transfers,
        entries=entries,
    )
