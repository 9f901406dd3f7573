"""Operator-initiated ledger writes (manual journals, reversals, holds) with their audit row.

Each checks the operator's permission, calls one `linli.ledger.services` use case and, when
that really posted something new (not an idempotent replay), appends an audit entry naming
the operator (STYLE.md: Zulip-style actions). The posting commits in its own short
transaction first — a rejection must stay stored for replays, so it cannot sit inside an
outer transaction — and the audit row follows it.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from linli.communities.audit import audit_record
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.ledger import errors
from linli.ledger.models import Journal, Transfer, TransferKind
from linli.ledger.services import (
    Leg,
    Posted,
    hold_create,
    hold_post,
    hold_void,
    journal_post,
    journal_reverse,
)

MANUAL_CODES = frozenset({"adjustment", "cash_in", "cash_out", "donation"})


def _audit(*, actor: Any, action: str, posted: Posted, details: dict[str, Any]) -> None:
    if posted.replayed:
        return
    journal = Journal.objects.get(id=posted.journal_id)
    after = {"journal_id": str(posted.journal_id), "seq": posted.seq, **details}
    audit_record(actor=actor, action=action, target=journal, after=after)


def manual_journal_post(
    *,
    community: Community,
    actor: Any,
    code: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    memo: str = "",
) -> Posted:
    """A manual journal (adjustment, cash in/out, donation) by an operator (SPEC §6)."""
    require_permission(user=actor, community=community, action="ledger.post_manual")
    if code not in MANUAL_CODES:
        raise errors.InvalidPosting(reason="this code cannot be posted by hand")
    posted = journal_post(
        community=community,
        code=code,
        legs=legs,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
    details = {
        "code": code,
        "legs": [[g.debit_account_id, g.credit_account_id, g.amount] for g in legs],
    }
    _audit(actor=actor, action="ledger.journal_post", posted=posted, details=details)
    return posted


def manual_journal_reverse(
    *, community: Community, actor: Any, journal_id: uuid.UUID, idempotency_key: str, memo: str = ""
) -> Posted:
    """Reverse a posted journal with a new one (never an edit)."""
    require_permission(user=actor, community=community, action="ledger.reverse")
    posted = journal_reverse(
        community=community,
        journal_id=journal_id,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
    details = {"reverses": str(journal_id)}
    _audit(actor=actor, action="ledger.journal_reverse", posted=posted, details=details)
    return posted


def manual_hold_create(
    *,
    community: Community,
    actor: Any,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    expires_at: datetime | None,
    idempotency_key: str,
    memo: str = "",
) -> Posted:
    """Place a hold by hand (two-phase: post or void it later)."""
    require_permission(user=actor, community=community, action="ledger.hold_manage")
    posted = hold_create(
        community=community,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=amount,
        expires_at=expires_at,
        code="manual_hold",
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
    details = {"debit": debit_account_id, "credit": credit_account_id, "amount": amount}
    _audit(actor=actor, action="ledger.hold_create", posted=posted, details=details)
    return posted


def _hold_of_community(community: Community, hold_id: uuid.UUID) -> None:
    if not Transfer.objects.filter(
        community=community, id=hold_id, kind=TransferKind.PENDING
    ).exists():
        raise errors.HoldNotFound()


def manual_hold_post(
    *,
    community: Community,
    actor: Any,
    hold_id: uuid.UUID,
    idempotency_key: str,
    amount: int | None = None,
    memo: str = "",
) -> Posted:
    """Post a hold (at most its held amount)."""
    require_permission(user=actor, community=community, action="ledger.hold_manage")
    _hold_of_community(community, hold_id)
    posted = hold_post(
        community=community,
        hold_id=hold_id,
        amount=amount,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
    details = {"hold": str(hold_id), "amount": amount}
    _audit(actor=actor, action="ledger.hold_post", posted=posted, details=details)
    return posted


def manual_hold_void(
    *, community: Community, actor: Any, hold_id: uuid.UUID, idempotency_key: str, memo: str = ""
) -> Posted:
    """Release a hold in full."""
    require_permission(user=actor, community=community, action="ledger.hold_manage")
    _hold_of_community(community, hold_id)
    posted = hold_void(
        community=community,
        hold_id=hold_id,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
    _audit(actor=actor, action="ledger.hold_void", posted=posted, details={"hold": str(hold_id)})
    return posted
