"""/api/v1/ledger/communities/{slug}/…: balances, statements, journals, proofs, checkpoints.

Thin (STYLE.md): parse, call one selector or operation, render. Who may see what is decided
in `access.py`; operator writes and their audit rows live in `operations.py`. Checkpoints,
consistency proofs and the verifier key are public: anyone may check the community's books.
"""

import uuid
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router
from ninja.responses import Status

# linli.api defines PUBLIC before it imports this module, so this import is safe.
from linli.api import PUBLIC
from linli.communities.audit import audit_ip
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get
from linli.errors import NotFound
from linli.ledger import access, operations
from linli.ledger.evidence import (
    checkpoint_latest,
    evidence_bundle,
    journal_inclusion,
    tree_consistency,
)
from linli.ledger.models import Account, Checkpoint
from linli.ledger.schemas import (
    ID_MAX,
    AccountOut,
    AccountPage,
    AccountsIn,
    CheckpointOut,
    CheckpointPage,
    ConsistencyIn,
    ConsistencyOut,
    EvidenceOut,
    HoldIn,
    HoldOut,
    HoldPostIn,
    HoldVoidIn,
    JournalOut,
    ManualJournalIn,
    PageIn,
    PostedOut,
    ProofOut,
    ReverseIn,
    StatementIn,
    StatementOut,
    VerifierKeyOut,
)
from linli.ledger.selectors import account_balances, account_statement, hot_account_statement
from linli.ledger.services import Leg, Posted
from linli.ledger.services.checkpoints import community_verifier_key, ledger_origin

router = Router(tags=["ledger"])

Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
AccountIdPath = Annotated[int, Path(ge=1, le=ID_MAX)]
BASE = "/communities/{slug}"


class NoCheckpoint(NotFound):
    code = "no_checkpoint"
    message = _("This community has not signed a checkpoint yet.")


def _community(slug: str) -> Community:
    return community_get(slug=slug)


def account_out(account: Account) -> dict[str, Any]:
    balance = account_balances(account=account)
    return {
        "id": account.id,
        "asset": account.asset_id,
        "scale": account.asset.scale,
        "kind": account.kind,
        "name": account.name,
        "is_hot": account.is_hot,
        "is_closed": account.is_closed,
        "posted": balance.posted,
        "pending": balance.pending,
        "available": balance.available,
        "version": account.version,
    }


def _posted_out(posted: Posted) -> dict[str, Any]:
    return {
        "journal_id": posted.journal_id,
        "seq": posted.seq,
        "transfer_ids": list(posted.transfer_ids),
        "replayed": posted.replayed,
    }


def _posted_status(posted: Posted) -> int:
    return 200 if posted.replayed else 201


# --- reads for members, operators and auditors --------------------------------------------


@router.get(BASE + "/accounts", response=AccountPage, summary="My accounts (or all: oversight)")
def list_accounts(request: HttpRequest, slug: Slug, query: Query[AccountsIn]) -> dict[str, Any]:
    community = _community(slug)
    accounts = access.accounts_visible(community=community, actor=request.user, scope=query.scope)
    accounts = accounts.select_related("asset")
    page = list(accounts[query.offset : query.offset + query.limit])
    return {
        "items": [account_out(a) for a in page],
        "count": accounts.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


@router.get(BASE + "/accounts/{account_id}", response=AccountOut, summary="One account")
def get_account(request: HttpRequest, slug: Slug, account_id: AccountIdPath) -> dict[str, Any]:
    account = access.account_get_for_actor(
        community=_community(slug), actor=request.user, account_id=account_id
    )
    return account_out(account)


@router.get(
    BASE + "/accounts/{account_id}/statement", response=StatementOut, summary="Account statement"
)
def get_statement(
    request: HttpRequest, slug: Slug, account_id: AccountIdPath, query: Query[StatementIn]
) -> dict[str, Any]:
    account = access.account_get_for_actor(
        community=_community(slug), actor=request.user, account_id=account_id
    )
    if account.is_hot:
        transfers = hot_account_statement(
            account=account, after_seq=query.after_seq, limit=query.limit
        )
        lines = [
            {
                "journal_id": t.journal_id,
                "seq": t.seq,
                "code": t.journal.code,
                "memo": t.journal.memo,
                "created_at": t.journal.created_at,
                "delta": (t.amount if t.credit_account_id == account.id else -t.amount),
                "pending_delta": 0,
            }
            for t in transfers
        ]
        next_seq = transfers[-1].seq if len(transfers) == query.limit else None
        return {"account": account_out(account), "items": lines, "next_after_seq": next_seq}
    entries = account_statement(
        account=account, after_version=query.after_version, limit=query.limit
    )
    lines = [
        {
            "journal_id": e.journal_id,
            "seq": e.journal.seq,
            "code": e.journal.code,
            "memo": e.journal.memo,
            "created_at": e.journal.created_at,
            "version": e.account_version,
            "delta": e.delta,
            "pending_delta": e.pending_delta,
            "balance_after": e.balance_after,
        }
        for e in entries
    ]
    next_version = entries[-1].account_version if len(entries) == query.limit else None
    return {"account": account_out(account), "items": lines, "next_after_version": next_version}


@router.get(BASE + "/journals/{journal_id}", response=JournalOut, summary="One journal")
def get_journal(request: HttpRequest, slug: Slug, journal_id: uuid.UUID) -> dict[str, Any]:
    journal = access.journal_get_for_actor(
        community=_community(slug), actor=request.user, journal_id=journal_id
    )
    return {
        "id": journal.id,
        "seq": journal.seq,
        "status": journal.status,
        "code": journal.code,
        "memo": journal.memo,
        "created_at": journal.created_at,
        "reverses_id": journal.reverses_id,
        "leaf_hash": journal.leaf_hash,
        "transfers": [
            {
                "id": t.id,
                "leg_no": t.leg_no,
                "asset": t.asset_id,
                "debit_account_id": t.debit_account_id,
                "credit_account_id": t.credit_account_id,
                "amount": t.amount,
                "kind": t.kind,
                "pending_id": t.pending_id,
                "expires_at": t.expires_at,
            }
            for t in journal.transfers.order_by("leg_no")
        ],
    }


@router.get(
    BASE + "/journals/{journal_id}/proof",
    response=ProofOut,
    summary="Inclusion proof against the latest checkpoint",
)
def get_proof(request: HttpRequest, slug: Slug, journal_id: uuid.UUID) -> dict[str, Any]:
    community = _community(slug)
    journal = access.journal_get_for_actor(
        community=community, actor=request.user, journal_id=journal_id
    )
    return journal_inclusion(community=community, journal=journal)


@router.get(BASE + "/evidence", response=EvidenceOut, summary="My evidence bundle")
def get_evidence(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    community = _community(slug)
    require_permission(user=request.user, community=community, action="ledger.view_own")
    accounts = list(access.accounts_of_actor(community=community, actor=request.user))
    return evidence_bundle(community=community, accounts=accounts)


# --- public: anyone may check the books ---------------------------------------------------


@router.get(
    BASE + "/checkpoints", response=CheckpointPage, auth=PUBLIC, summary="Signed checkpoints"
)
def list_checkpoints(request: HttpRequest, slug: Slug, query: Query[PageIn]) -> dict[str, Any]:
    checkpoints = Checkpoint.objects.filter(community=_community(slug)).order_by("-tree_size")
    return {
        "items": list(checkpoints[query.offset : query.offset + query.limit]),
        "count": checkpoints.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


@router.get(
    BASE + "/checkpoints/latest", response=CheckpointOut, auth=PUBLIC, summary="Latest checkpoint"
)
def get_latest_checkpoint(request: HttpRequest, slug: Slug) -> Checkpoint:
    checkpoint = checkpoint_latest(community=_community(slug))
    if checkpoint is None:
        raise NoCheckpoint()
    return checkpoint


@router.get(
    BASE + "/consistency", response=ConsistencyOut, auth=PUBLIC, summary="Consistency proof"
)
def get_consistency(
    request: HttpRequest, slug: Slug, query: Query[ConsistencyIn]
) -> dict[str, Any]:
    return tree_consistency(
        community=_community(slug), old_size=query.old_size, new_size=query.new_size
    )


@router.get(
    BASE + "/verifier-key", response=VerifierKeyOut, auth=PUBLIC, summary="Checkpoint signer key"
)
def get_verifier_key(request: HttpRequest, slug: Slug) -> dict[str, str]:
    community = _community(slug)
    return {"origin": ledger_origin(community), "verifier_key": community_verifier_key(community)}


# --- operator writes ----------------------------------------------------------------------


@router.post(
    BASE + "/journals",
    response={200: PostedOut, 201: PostedOut},
    summary="Post a manual journal (operators)",
)
def post_journal(request: HttpRequest, slug: Slug, body: ManualJournalIn) -> Status[Any]:
    community = _community(slug)
    legs = [Leg(g.debit_account_id, g.credit_account_id, g.amount) for g in body.legs]
    with audit_ip(request.META.get("REMOTE_ADDR")):
        posted = operations.manual_journal_post(
            community=community,
            actor=request.user,
            code=body.code,
            legs=legs,
            idempotency_key=body.idempotency_key,
            memo=body.memo,
        )
    return Status(_posted_status(posted), _posted_out(posted))


@router.post(
    BASE + "/journals/{journal_id}/reverse",
    response={200: PostedOut, 201: PostedOut},
    summary="Reverse a journal (operators)",
)
def reverse_journal(
    request: HttpRequest, slug: Slug, journal_id: uuid.UUID, body: ReverseIn
) -> Status[Any]:
    with audit_ip(request.META.get("REMOTE_ADDR")):
        posted = operations.manual_journal_reverse(
            community=_community(slug),
            actor=request.user,
            journal_id=journal_id,
            idempotency_key=body.idempotency_key,
            memo=body.memo,
        )
    return Status(_posted_status(posted), _posted_out(posted))


@router.post(
    BASE + "/holds", response={200: HoldOut, 201: HoldOut}, summary="Place a hold (operators)"
)
def create_hold(request: HttpRequest, slug: Slug, body: HoldIn) -> Status[Any]:
    with audit_ip(request.META.get("REMOTE_ADDR")):
        posted = operations.manual_hold_create(
            community=_community(slug),
            actor=request.user,
            debit_account_id=body.debit_account_id,
            credit_account_id=body.credit_account_id,
            amount=body.amount,
            expires_at=body.expires_at,
            idempotency_key=body.idempotency_key,
            memo=body.memo,
        )
    return Status(
        _posted_status(posted), {**_posted_out(posted), "hold_id": posted.transfer_ids[0]}
    )


@router.post(
    BASE + "/holds/{hold_id}/post",
    response={200: PostedOut, 201: PostedOut},
    summary="Post a hold (operators)",
)
def post_hold(
    request: HttpRequest, slug: Slug, hold_id: uuid.UUID, body: HoldPostIn
) -> Status[Any]:
    with audit_ip(request.META.get("REMOTE_ADDR")):
        posted = operations.manual_hold_post(
            community=_community(slug),
            actor=request.user,
            hold_id=hold_id,
            amount=body.amount,
            idempotency_key=body.idempotency_key,
            memo=body.memo,
        )
    return Status(_posted_status(posted), _posted_out(posted))


@router.post(
    BASE + "/holds/{hold_id}/void",
    response={200: PostedOut, 201: PostedOut},
    summary="Void a hold (operators)",
)
def void_hold(
    request: HttpRequest, slug: Slug, hold_id: uuid.UUID, body: HoldVoidIn
) -> Status[Any]:
    with audit_ip(request.META.get("REMOTE_ADDR")):
        posted = operations.manual_hold_void(
            community=_community(slug),
            actor=request.user,
            hold_id=hold_id,
            idempotency_key=body.idempotency_key,
            memo=body.memo,
        )
    return Status(_posted_status(posted), _posted_out(posted))
