"""Typed shapes of the ledger API. Every input is bounded (STYLE.md "a limit on everything"):
amounts are strict integers 1..10^13 in minor units, ids are positive 63-bit integers, keys
1..100 characters, lists at most 16 legs, text free of NUL and unpaired surrogates (which
PostgreSQL cannot store and which would otherwise surface as a 500)."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from linli.ledger.models import MAX_AMOUNT, MAX_LEGS_PER_JOURNAL
from linli.ledger.selectors import MAX_PAGE_SIZE

ID_MAX = 2**63 - 1
OFFSET_MAX = 1_000_000


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return text


Amount = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT)]
AccountId = Annotated[int, Field(strict=True, ge=1, le=ID_MAX)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_storable)]
Memo = Annotated[str, Field(max_length=200), AfterValidator(_storable)]


# --- input --------------------------------------------------------------------------------


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class AccountsIn(PageIn):
    scope: Literal["own", "all"] = "own"


class StatementIn(Schema):
    after_version: int = Field(0, ge=0, le=ID_MAX)
    after_seq: int = Field(0, ge=0, le=ID_MAX)
    limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class ConsistencyIn(Schema):
    old_size: int = Field(..., ge=1, le=ID_MAX)
    new_size: int = Field(..., ge=1, le=ID_MAX)


class LegIn(Schema):
    debit_account_id: AccountId
    credit_account_id: AccountId
    amount: Amount


class ManualJournalIn(Schema):
    code: Literal["adjustment", "cash_in", "cash_out", "donation"]
    memo: Memo = ""
    legs: list[LegIn] = Field(..., min_length=1, max_length=MAX_LEGS_PER_JOURNAL)
    idempotency_key: IdempotencyKey


class ReverseIn(Schema):
    memo: Memo = ""
    idempotency_key: IdempotencyKey


class HoldIn(Schema):
    debit_account_id: AccountId
    credit_account_id: AccountId
    amount: Amount
    expires_at: datetime | None = None
    memo: Memo = ""
    idempotency_key: IdempotencyKey


class HoldPostIn(Schema):
    amount: Amount | None = None
    memo: Memo = ""
    idempotency_key: IdempotencyKey


class HoldVoidIn(Schema):
    memo: Memo = ""
    idempotency_key: IdempotencyKey


# --- output -------------------------------------------------------------------------------


class AccountOut(Schema):
    id: int
    asset: str
    scale: int
    kind: str
    name: str
    is_hot: bool
    is_closed: bool
    posted: int
    pending: int
    available: int
    version: int


class AccountPage(Schema):
    items: list[AccountOut]
    count: int
    limit: int
    offset: int


class StatementLine(Schema):
    journal_id: uuid.UUID
    seq: int | None
    code: str
    memo: str
    created_at: datetime
    version: int | None = None  # None for hot accounts: they page by seq
    delta: int
    pending_delta: int
    balance_after: int | None = None


class StatementOut(Schema):
    account: AccountOut
    items: list[StatementLine]
    next_after_version: int | None = None
    next_after_seq: int | None = None


class TransferOut(Schema):
    id: uuid.UUID
    leg_no: int
    asset: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    kind: str
    pending_id: uuid.UUID | None = None
    expires_at: datetime | None = None


class JournalOut(Schema):
    id: uuid.UUID
    seq: int | None
    status: str
    code: str
    memo: str
    created_at: datetime
    reverses_id: uuid.UUID | None = None
    leaf_hash: str
    transfers: list[TransferOut]


class PostedOut(Schema):
    journal_id: uuid.UUID
    seq: int
    transfer_ids: list[uuid.UUID]
    replayed: bool


class HoldOut(PostedOut):
    hold_id: uuid.UUID


class ProofOut(Schema):
    seq: int
    leaf_hash: str
    tree_size: int
    root_hash: str
    checkpoint: str
    inclusion_proof: list[str]


class CheckpointOut(Schema):
    tree_size: int
    root_hash: str
    signed_note: str
    created_at: datetime


class CheckpointPage(Schema):
    items: list[CheckpointOut]
    count: int
    limit: int
    offset: int


class ConsistencyOut(Schema):
    old_size: int
    new_size: int
    proof: list[str]


class VerifierKeyOut(Schema):
    origin: str
    verifier_key: str


class EvidenceOut(Schema):
    format: str
    community: str
    verifier_key: str
    checkpoint: str
    accounts: list[dict[str, Any]]
    journals: list[dict[str, Any]]
    consistency: Any = None
