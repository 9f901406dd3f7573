"""The posting engine under every ledger write (DESIGN.md "Money and the ledger").

The posting algorithm (research/ledger.md §7.3):
1. Resolve and validate the legs *before* the transaction (accounts, assets, amounts,
   holds); compute the request hash. A replayed key is not looked up first: the journal's
   unique (community, key) catches it, and the stored result is answered.
2. One short transaction of raw SQL statements — no ORM round trips while locks are held:
   lock the touched non-hot accounts in id order (FOR UPDATE on PostgreSQL; SQLite's
   BEGIN IMMEDIATE already serialises writers), check limits on the locked rows, bump the
   community's chain head for a gapless `seq`, insert the journal with its Merkle leaf hash,
   update the snapshots in one executemany, insert transfers and entries in one statement each.
3. Business rejections (insufficient funds, a hold already resolved) are stored as rejected
   journals in a second short transaction, so a retry with the same key gets the same answer.
4. Deadlocks, serialisation failures and lock timeouts are retried, a bounded number of times.

Hot accounts (platform revenue, community fund, coupon cost) are never locked or updated:
their transfers are appended and their balance is a rollup plus the tail (`hot_rollup`).
"""

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from linli.communities.models import Community, PolicyVersion
from linli.errors import DomainError
from linli.ledger import errors
from linli.ledger.canonical import canonical_bytes, journal_leaf_hash
from linli.ledger.leaves import journal_leaf, leaf_entry, leaf_transfer
from linli.ledger.models import (
    MAX_AMOUNT,
    MAX_LEGS_PER_JOURNAL,
    Account,
    Journal,
    JournalStatus,
    TransferKind,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
MAX_KEY_LENGTH = 100
MAX_MEMO_LENGTH = 200
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


@dataclass(frozen=True)
class Leg:
    """One transfer of a journal as a caller asks for it."""

    debit_account_id: int
    credit_account_id: int
    amount: int


@dataclass(frozen=True)
class Posted:
    journal_id: uuid.UUID
    seq: int
    transfer_ids: tuple[uuid.UUID, ...]
    replayed: bool = False


@dataclass(frozen=True)
class AccountInfo:
    id: int
    asset: str
    is_hot: bool
    is_closed: bool
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool


@dataclass
class Move:
    """A resolved leg: accounts known, hold amounts known, ready to apply."""

    leg_no: int
    kind: str
    debit: AccountInfo
    credit: AccountInfo
    amount: int
    held_amount: int = 0  # for post/void: what the hold kept pending
    pending_id: uuid.UUID | None = None
    expires_at: datetime | None = None
    transfer_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class PostingRequest:
    community: Community
    code: str
    moves: list[Move]
    idempotency_key: str
    actor_id: int | None
    policy_id: int | None
    memo: str
    external_ref: str
    reverses_id: uuid.UUID | None
    request_hash: str


class Rejected(Exception):
    """Raised inside the transaction to roll it back; carries the business error to store."""

    def __init__(self, error: DomainError) -> None:
        self.error = error


# --- validation before the transaction ----------------------------------------------------


def check_journal_fields(*, code: str, idempotency_key: str, memo: str, legs: Sequence) -> None:
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise errors.InvalidPosting(reason="the idempotency key must be 1 to 100 characters")
    if not code or len(code) > 40:
        raise errors.InvalidPosting(reason="a journal needs a code of at most 40 characters")
    if len(memo) > MAX_MEMO_LENGTH:
        raise errors.InvalidPosting(reason="the memo is longer than 200 characters")
    if not 1 <= len(legs) <= MAX_LEGS_PER_JOURNAL:
        raise errors.InvalidPosting(reason="a journal has 1 to 16 transfers")


def checked_amount(amount: object) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise errors.InvalidPosting(reason="amounts are integers in minor units")
    if not 0 < amount <= MAX_AMOUNT:
        raise errors.InvalidPosting(reason="amounts must be positive and at most 10^13")
    return amount


def load_accounts(community: Community, ids: Sequence[object]) -> dict[int, AccountInfo]:
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise errors.InvalidPosting(reason="account ids are integers")
    rows = Account.objects.filter(community=community, id__in=set(ids)).values_list(
        "id",
        "asset_id",
        "is_hot",
        "is_closed",
        "debits_must_not_exceed_credits",
        "credits_must_not_exceed_debits",
    )
    found = {row[0]: AccountInfo(*row) for row in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise errors.AccountNotFound(account=missing[0])
    return found


def build_request(
    community: Community,
    code: str,
    moves: list[Move],
    idempotency_key: str,
    actor: Any,
    policy: PolicyVersion | None,
    memo: str,
    external_ref: str,
    reverses_id: uuid.UUID | None = None,
) -> PostingRequest:
    for move in moves:
        if move.debit.id == move.credit.id:
            raise errors.InvalidPosting(reason="a transfer needs two different accounts")
        if move.debit.asset != move.credit.asset:
            raise errors.InvalidPosting(reason="both accounts of a transfer hold one asset")
    if policy is not None and policy.community_id != community.id:
        raise errors.InvalidPosting(reason="the policy belongs to another community")
    policy_id = policy.id if policy is not None else _current_policy_id(community)
    fingerprint = {
        "code": code,
        "memo": memo,
        "external_ref": external_ref,
        "reverses": reverses_id.hex if reverses_id else None,
        "legs": [
            [
                m.kind,
                m.debit.id,
                m.credit.id,
                m.amount if m.kind != "void" else 0,
                m.pending_id.hex if m.pending_id else None,
                m.expires_at.isoformat() if m.expires_at else None,
            ]
            for m in moves
        ],
    }
    return PostingRequest(
        community=community,
        code=code,
        moves=moves,
        idempotency_key=idempotency_key,
        actor_id=getattr(actor, "pk", None),
        policy_id=policy_id,
        memo=memo,
        external_ref=external_ref,
        reverses_id=reverses_id,
        request_hash=hashlib.sha256(canonical_bytes(fingerprint)).hexdigest(),
    )


def _current_policy_id(community: Community) -> int | None:
    from linli.communities.selectors import policy_current_id

    return policy_current_id(community=community)


# --- the transaction ----------------------------------------------------------------------


def submit(request: PostingRequest, hold_expires_at: datetime | None = None) -> Posted:
    """Post with bounded retries. A replayed key is caught by the journal's unique
    constraint, not by a read before every posting (the read cost 16% of a posting)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _post_once(request, hold_expires_at)
        except Rejected as rejected:
            return _reject(request, rejected.error)
        except IntegrityError as exc:
            replay = _replay_if_seen(request)
            if replay is not None:
                return replay
            if "one_resolution_per_hold" in str(exc) or "pending_id" in str(exc):
                return _reject(request, errors.HoldResolved())
            raise
        except OperationalError as exc:
            if not _is_retryable(exc):
                raise
            _backoff(attempt)
    raise errors.LedgerBusy()


def _reject(request: PostingRequest, error: DomainError) -> Posted:
    """Store the rejection and raise it; if the key was used before, answer as it was."""
    if not _store_rejection(request, error):
        replay = _replay_if_seen(request)
        if replay is not None:
            return replay
    raise error


def _post_once(request: PostingRequest, hold_expires_at: datetime | None) -> Posted:
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        snapshots = _lock_snapshots(cursor, request.moves)
        _check_holds_open(cursor, request.moves, hold_expires_at, now)
        entries = _apply_moves(request.moves, snapshots)
        journal_id = uuid.uuid4()
        _update_snapshots(cursor, snapshots)
        _insert_entries(cursor, journal_id, entries)
        # The chain head is this community's one global lock: take it last, so it is held
        # for the journal and its transfers only (entries reference them by deferred keys).
        seq = _next_seq(cursor, request.community.id)
        leaf = _leaf(request, seq, journal_id, now, entries)
        _insert_journal(cursor, request, journal_id, seq, now, journal_leaf_hash(leaf).hex())
        _insert_transfers(cursor, request, journal_id, seq)
    return Posted(
        journal_id=journal_id, seq=seq, transfer_ids=tuple(m.transfer_id for m in request.moves)
    )


def _lock_snapshots(cursor: Any, moves: list[Move]) -> dict[int, list[int]]:
    """Lock non-hot accounts in id order and read [dp, cp, dpe, cpe, version]."""
    ids = sorted({a.id for m in moves for a in (m.debit, m.credit) if not a.is_hot})
    if not ids:
        return {}
    placeholders = ", ".join(["%s"] * len(ids))
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    cursor.execute(
        "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending, version "
        f"FROM ledger_account WHERE id IN ({placeholders}) ORDER BY id{lock}",
        ids,
    )
    return {row[0]: list(row[1:]) for row in cursor.fetchall()}


def _check_holds_open(
    cursor: Any, moves: list[Move], expires_at: datetime | None, now: datetime
) -> None:
    pending_ids = [m.pending_id for m in moves if m.pending_id is not None]
    if not pending_ids:
        return
    cursor.execute(
        "SELECT 1 FROM ledger_transfer WHERE pending_id = %s", [_db_uuid(pending_ids[0])]
    )
    if cursor.fetchone() is not None:
        raise Rejected(errors.HoldResolved())
    if moves[0].kind == TransferKind.POST and expires_at is not None and expires_at <= now:
        raise Rejected(errors.HoldExpired())


def _apply_moves(moves: list[Move], snapshots: dict[int, list[int]]) -> list[dict[str, Any]]:
    """Apply the moves to the locked snapshots; return one entry per non-hot account side."""
    entries: list[dict[str, Any]] = []
    for move in moves:
        for account, side in ((move.debit, "debit"), (move.credit, "credit")):
            if account.is_hot:
                continue
            if account.is_closed:
                raise Rejected(errors.AccountClosed(account=account.id))
            snap = snapshots[account.id]
            delta, pending_delta = _apply_one(snap, move, side)
            snap[4] += 1
            entries.append(
                {
                    "move": move,
                    "entry": leaf_entry(
                        account=account.id,
                        version=snap[4],
                        delta=delta,
                        pending_delta=pending_delta,
                        balance_after=snap[1] - snap[0],
                    ),
                }
            )
    for account_id, snap in snapshots.items():
        _check_limits(_account_of(moves, account_id), snap)
    return entries


def _apply_one(snap: list[int], move: Move, side: str) -> tuple[int, int]:
    """Change [dp, cp, dpe, cpe] for one side of one move; return (delta, pending_delta)."""
    posted_i, pending_i, sign = (0, 2, -1) if side == "debit" else (1, 3, 1)
    if move.kind == TransferKind.SINGLE:
        snap[posted_i] += move.amount
        return sign * move.amount, 0
    if move.kind == TransferKind.PENDING:
        snap[pending_i] += move.amount
        return 0, sign * move.amount
    snap[pending_i] -= move.held_amount
    posted = move.amount if move.kind == TransferKind.POST else 0
    snap[posted_i] += posted
    return sign * posted, -sign * move.held_amount


def _check_limits(account: AccountInfo, snap: list[int]) -> None:
    dp, cp, dpe, cpe, _version = snap
    if account.debits_must_not_exceed_credits and dp + dpe > cp:
        raise Rejected(errors.InsufficientFunds(account=account.id, shortfall=dp + dpe - cp))
    if account.credits_must_not_exceed_debits and cp + cpe > dp:
        raise Rejected(errors.InsufficientFunds(account=account.id, shortfall=cp + cpe - dp))


def _account_of(moves: list[Move], account_id: int) -> AccountInfo:
    for move in moves:
        for account in (move.debit, move.credit):
            if account.id == account_id:
                return account
    raise LookupError(account_id)


def _next_seq(cursor: Any, community_id: int) -> int:
    cursor.execute(
        "UPDATE ledger_chainhead SET last_seq = last_seq + 1 WHERE community_id = %s "
        "RETURNING last_seq",
        [community_id],
    )
    row = cursor.fetchone()
    if row is None:
        cursor.execute(
            "INSERT INTO ledger_chainhead (community_id, last_seq) VALUES (%s, 1)", [community_id]
        )
        return 1
    return int(row[0])


def _leaf(
    request: PostingRequest,
    seq: int,
    journal_id: uuid.UUID,
    now: datetime,
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    return journal_leaf(
        community_slug=request.community.slug,
        seq=seq,
        journal_id=journal_id,
        code=request.code,
        created_at=now,
        policy_id=request.policy_id,
        reverses_id=request.reverses_id,
        memo=request.memo,
        transfers=[
            leaf_transfer(
                leg=m.leg_no,
                asset=m.debit.asset,
                debit=m.debit.id,
                credit=m.credit.id,
                amount=m.amount,
                kind=m.kind,
                pending=m.pending_id,
            )
            for m in request.moves
        ],
        entries=[e["entry"] for e in entries],
    )


def _insert_journal(
    cursor: Any,
    request: PostingRequest,
    journal_id: uuid.UUID,
    seq: int | None,
    now: datetime,
    leaf_hash: str,
    error: DomainError | None = None,
) -> None:
    import json

    cursor.execute(
        "INSERT INTO ledger_journal (id, community_id, idempotency_key, request_hash, status, "
        "error_code, error_params, code, memo, external_ref, reverses_id, policy_id, actor_id, "
        "created_at, seq, leaf_hash) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            _db_uuid(journal_id),
            request.community.id,
            request.idempotency_key,
            request.request_hash,
            JournalStatus.POSTED if error is None else JournalStatus.REJECTED,
            error.code if error else "",
            json.dumps(error.params, default=str) if error else None,
            request.code,
            request.memo,
            request.external_ref,
            _db_uuid(request.reverses_id),
            request.policy_id,
            request.actor_id,
            connection.ops.adapt_datetimefield_value(now),
            seq,
            leaf_hash,
        ],
    )


def _update_snapshots(cursor: Any, snapshots: dict[int, list[int]]) -> None:
    if snapshots:
        cursor.executemany(
            "UPDATE ledger_account SET debits_posted = %s, credits_posted = %s, "
            "debits_pending = %s, credits_pending = %s, version = %s WHERE id = %s",
            [[*snap, account_id] for account_id, snap in snapshots.items()],
        )


def _insert_transfers(
    cursor: Any, request: PostingRequest, journal_id: uuid.UUID, seq: int
) -> None:
    rows = []
    for m in request.moves:
        rows.append(
            [
                _db_uuid(m.transfer_id),
                _db_uuid(journal_id),
                request.community.id,
                seq,
                m.leg_no,
                m.debit.asset,
                m.debit.id,
                m.credit.id,
                m.amount,
                m.kind,
                _db_uuid(m.pending_id),
                connection.ops.adapt_datetimefield_value(m.expires_at),
            ]
        )
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    cursor.execute(
        "INSERT INTO ledger_transfer (id, journal_id, community_id, seq, leg_no, asset, "
        "debit_account_id, credit_account_id, amount, kind, pending_id, expires_at) "
        f"VALUES {values}",
        [value for row in rows for value in row],
    )


def _insert_entries(cursor: Any, journal_id: uuid.UUID, entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(entries))
    params: list[Any] = []
    for item in entries:
        e = item["entry"]
        params += [
            e["account"],
            e["version"],
            _db_uuid(journal_id),
            _db_uuid(item["move"].transfer_id),
            e["delta"],
            e["pending_delta"],
            e["balance_after"],
        ]
    cursor.execute(
        "INSERT INTO ledger_entry (account_id, account_version, journal_id, transfer_id, "
        f"delta, pending_delta, balance_after) VALUES {values}",
        params,
    )


# --- idempotency and rejections -----------------------------------------------------------


def _replay_if_seen(request: PostingRequest) -> Posted | None:
    journal = Journal.objects.filter(
        community=request.community, idempotency_key=request.idempotency_key
    ).first()
    if journal is None:
        return None
    if journal.request_hash != request.request_hash:
        raise errors.IdempotencyConflict()
    if journal.status == JournalStatus.REJECTED:
        raise _stored_error(journal)
    transfer_ids = tuple(journal.transfers.order_by("leg_no").values_list("id", flat=True))
    return Posted(
        journal_id=journal.id, seq=journal.seq or 0, transfer_ids=transfer_ids, replayed=True
    )


def _stored_error(journal: Journal) -> DomainError:
    error_class = errors.REPLAYABLE.get(journal.error_code, errors.InvalidPosting)
    params = journal.error_params or {}
    if error_class is errors.InvalidPosting:
        params = {"reason": journal.error_code}
    return error_class(**params)


def _store_rejection(request: PostingRequest, error: DomainError) -> bool:
    """Remember a business rejection so that a retry with the same key gets the same answer.
    False when the key is already taken (a replay, or a concurrent first attempt)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _insert_journal(cursor, request, uuid.uuid4(), None, timezone.now(), "", error)
    except IntegrityError:
        return False
    return True


def _is_retryable(exc: DatabaseError) -> bool:
    sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(exc)


def _backoff(attempt: int) -> None:
    time.sleep(min(0.2, 0.005 * 2**attempt) * (0.5 + random.random()))  # noqa: S311


def _db_uuid(value: uuid.UUID | None) -> Any:
    """UUIDs as the backend stores them: native on PostgreSQL, 32 hex chars on SQLite."""
    if value is None:
        return None
    return value if connection.vendor == "postgresql" else value.hex


def journal_for_community(community: Community, journal_id: uuid.UUID) -> Journal:
    journal = Journal.objects.filter(community=community, id=journal_id).first()
    if journal is None:
        raise errors.JournalNotFound()
    return journal
