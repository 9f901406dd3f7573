"""The ledger's posting use cases: journals, holds, expiry, reversals (docs/ledger.md).

Each validates its input, builds a posting request and hands it to `engine.submit`, which
runs the one short transaction. Accounts and the chart live in `accounts.py`.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from linli.communities.models import Community, PolicyVersion
from linli.ledger import errors
from linli.ledger.models import Journal, JournalStatus, Transfer, TransferKind
from linli.ledger.services.engine import (
    Leg,
    Move,
    Posted,
    build_request,
    check_journal_fields,
    checked_amount,
    journal_for_community,
    load_accounts,
    submit,
)

# --- public use cases ---------------------------------------------------------------------


def journal_post(
    *,
    community: Community,
    code: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    actor: Any = None,
    policy: PolicyVersion | None = None,
    memo: str = "",
    external_ref: str = "",
) -> Posted:
    """Post a balanced journal of up to 16 single transfers atomically."""
    check_journal_fields(code=code, idempotency_key=idempotency_key, memo=memo, legs=legs)
    accounts = load_accounts(
        community, [a for leg in legs for a in (leg.debit_account_id, leg.credit_account_id)]
    )
    moves = [
        Move(
            leg_no=i,
            kind=TransferKind.SINGLE,
            debit=accounts[leg.debit_account_id],
            credit=accounts[leg.credit_account_id],
            amount=checked_amount(leg.amount),
        )
        for i, leg in enumerate(legs)
    ]
    return submit(
        build_request(community, code, moves, idempotency_key, actor, policy, memo, external_ref)
    )


def hold_create(
    *,
    community: Community,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    expires_at: datetime | None,
    code: str,
    idempotency_key: str,
    actor: Any = None,
    policy: PolicyVersion | None = None,
    memo: str = "",
) -> Posted:
    """Reserve an amount (deposit escrow, coupon reservation, group-buy pledge): two-phase."""
    check_journal_fields(code=code, idempotency_key=idempotency_key, memo=memo, legs=[None])
    accounts = load_accounts(community, [debit_account_id, credit_account_id])
    move = Move(
        leg_no=0,
        kind=TransferKind.PENDING,
        debit=accounts[debit_account_id],
        credit=accounts[credit_account_id],
        amount=checked_amount(amount),
        expires_at=expires_at,
    )
    if move.debit.is_hot or move.credit.is_hot:
        raise errors.InvalidPosting(reason="holds cannot touch hot accounts")
    if expires_at is not None and expires_at <= timezone.now():
        raise errors.InvalidPosting(reason="the hold would expire before it starts")
    return submit(build_request(community, code, [move], idempotency_key, actor, policy, memo, ""))


def hold_post(
    *,
    community: Community,
    hold_id: uuid.UUID,
    idempotency_key: str,
    amount: int | None = None,
    code: str = "hold_post",
    actor: Any = None,
    policy: PolicyVersion | None = None,
    memo: str = "",
    keep_rest_held: bool = False,
) -> Posted:
    """Post a hold: move at most the held amount; the rest is released, or with
    `keep_rest_held` re-held in the same journal as a new hold (the second transfer id) —
    e.g. a complaint paid from a merchant's deposit while the rest stays in escrow."""
    return _resolve_hold(
        community,
        hold_id,
        TransferKind.POST,
        amount,
        code,
        idempotency_key,
        actor,
        policy,
        memo,
        keep_rest_held=keep_rest_held,
    )


def hold_void(
    *,
    community: Community,
    hold_id: uuid.UUID,
    idempotency_key: str,
    code: str = "hold_void",
    actor: Any = None,
    policy: PolicyVersion | None = None,
    memo: str = "",
) -> Posted:
    """Release a hold in full; nothing moves."""
    return _resolve_hold(
        community, hold_id, TransferKind.VOID, None, code, idempotency_key, actor, policy, memo
    )


def holds_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Void holds whose time has passed (a periodic job); deterministic keys make reruns safe."""
    now = now or timezone.now()
    expired = (
        Transfer.objects.filter(
            kind=TransferKind.PENDING, expires_at__lte=now, resolutions__isnull=True
        )
        .select_related("community")
        .order_by("expires_at")[:limit]
    )
    voided = 0
    for hold in expired:
        try:
            hold_void(
                community=hold.community,
                hold_id=hold.id,
                code="hold_expire",
                idempotency_key=f"expire:{hold.id.hex}",
            )
            voided += 1
        except errors.HoldResolved:
            continue
    return voided


def journal_reverse(
    *,
    community: Community,
    journal_id: uuid.UUID,
    idempotency_key: str,
    actor: Any = None,
    policy: PolicyVersion | None = None,
    memo: str = "",
) -> Posted:
    """A correction: a new journal that swaps every posted leg of the original (never an edit).

    A reversal can overdraw nobody: if the money has been spent since, the reversal is
    rejected with `insufficient_funds` like any other posting."""
    original = journal_for_community(community, journal_id)
    if original.status != JournalStatus.POSTED:
        raise errors.InvalidPosting(reason="only a posted journal can be reversed")
    if Journal.objects.filter(community=community, reverses=original).exists():
        raise errors.AlreadyReversed()
    transfers = list(original.transfers.order_by("leg_no"))
    if any(t.kind in (TransferKind.PENDING, TransferKind.VOID) for t in transfers):
        raise errors.InvalidPosting(reason="holds are voided, not reversed")
    check_journal_fields(
        code="reversal", idempotency_key=idempotency_key, memo=memo, legs=transfers
    )
    accounts = load_accounts(
        community, [a for t in transfers for a in (t.debit_account_id, t.credit_account_id)]
    )
    moves = [
        Move(
            leg_no=i,
            kind=TransferKind.SINGLE,
            debit=accounts[t.credit_account_id],
            credit=accounts[t.debit_account_id],
            amount=t.amount,
        )
        for i, t in enumerate(transfers)
    ]
    request = build_request(
        community,
        "reversal",
        moves,
        idempotency_key,
        actor,
        policy,
        memo or original.memo,
        "",
        reverses_id=original.id,
    )
    return submit(request)


def _resolve_hold(
    community: Community,
    hold_id: uuid.UUID,
    kind: str,
    amount: int | None,
    code: str,
    idempotency_key: str,
    actor: Any,
    policy: PolicyVersion | None,
    memo: str,
    keep_rest_held: bool = False,
) -> Posted:
    check_journal_fields(code=code, idempotency_key=idempotency_key, memo=memo, legs=[None])
    hold = Transfer.objects.filter(
        community=community, id=hold_id, kind=TransferKind.PENDING
    ).first()
    if hold is None:
        raise errors.HoldNotFound()
    accounts = load_accounts(community, [hold.debit_account_id, hold.credit_account_id])
    post_amount = hold.amount if amount is None else checked_amount(amount)
    if kind == TransferKind.POST and post_amount > hold.amount:
        raise errors.HoldExceeded(held=hold.amount)
    move = Move(
        leg_no=0,
        kind=kind,
        debit=accounts[hold.debit_account_id],
        credit=accounts[hold.credit_account_id],
        amount=post_amount if kind == TransferKind.POST else hold.amount,
        held_amount=hold.amount,
        pending_id=hold.id,
    )
    moves = [move]
    if keep_rest_held and kind == TransferKind.POST and post_amount < hold.amount:
        moves.append(
            Move(
                leg_no=1,
                kind=TransferKind.PENDING,
                debit=move.debit,
                credit=move.credit,
                amount=hold.amount - post_amount,
                expires_at=hold.expires_at,
            )
        )
    return submit(
        build_request(community, code, moves, idempotency_key, actor, policy, memo, ""),
        hold_expires_at=hold.expires_at,
    )


def holds_create(
    *,
    community: Community,
    legs: Sequence[Leg],
    expires_at: datetime | None,
    code: str,
    idempotency_key: str,
    actor: Any = None,
    policy: PolicyVersion | None = None,
    memo: str = "",
) -> Posted:
    """Reserve several amounts in ONE journal (a bundle paid for once, delivered piece by
    piece by several merchants): each leg becomes its own hold, resolved on its own with
    `hold_post`/`hold_void`; `Posted.transfer_ids` are the hold ids in the legs' order."""
    check_journal_fields(code=code, idempotency_key=idempotency_key, memo=memo, legs=legs)
    accounts = load_accounts(
        community, [a for leg in legs for a in (leg.debit_account_id, leg.credit_account_id)]
    )
    moves = [
        Move(
            leg_no=i,
            kind=TransferKind.PENDING,
            debit=accounts[leg.debit_account_id],
            credit=accounts[leg.credit_account_id],
            amount=checked_amount(leg.amount),
            expires_at=expires_at,
        )
        for i, leg in enumerate(legs)
    ]
    if any(m.debit.is_hot or m.credit.is_hot for m in moves):
        raise errors.InvalidPosting(reason="holds cannot touch hot accounts")
    if expires_at is not None and expires_at <= timezone.now():
        raise errors.InvalidPosting(reason="the hold would expire before it starts")
    return submit(build_request(community, code, moves, idempotency_key, actor, policy, memo, ""))
