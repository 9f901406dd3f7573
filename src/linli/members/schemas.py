"""Typed shapes of the members API; every input bounded and storable (see ledger/schemas)."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from linli.ledger.models import MAX_AMOUNT
from linli.ledger.schemas import ID_MAX, _storable

Text50 = Annotated[str, Field(max_length=50), AfterValidator(_storable)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_storable)]
Phone = Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_storable)]
Code = Annotated[str, Field(min_length=1, max_length=10), AfterValidator(_storable)]


class SmsCodeIn(Schema):
    phone: Phone


class SmsCodeOut(Schema):
    phone_masked: str
    is_console: bool
    expires_at: datetime
    note: str


class JoinIn(Schema):
    phone: Phone
    code: Code
    display_name: Text50
    accepts_terms: bool
    building_id: int | None = Field(None, ge=1, le=ID_MAX)
    unit_label: Annotated[str, Field(max_length=30), AfterValidator(_storable)] = ""
    marketing_opt_in: bool = False
    referral_code: Annotated[str, Field(max_length=12), AfterValidator(_storable)] = ""


class JoinOut(Schema):
    member_id: int
    token: str


class IdentityIn(Schema):
    real_name: Text50
    id_number: Annotated[str, Field(min_length=1, max_length=18), AfterValidator(_storable)]
    consents: bool


class EntitlementOut(Schema):
    kind: str
    total: int
    used: int


class MembershipOut(Schema):
    id: int
    plan: str
    status: str
    fee_fen: int
    payment_reference: str
    starts_on: date | None
    ends_on: date | None
    full_refund_until: datetime | None
    charter_version: int
    entitlements: list[EntitlementOut]


class MeOut(Schema):
    id: int
    community: str
    display_name: str
    phone: str  # the owner's own view: unmasked
    id_masked: str
    is_verified: bool
    identity_backend: str
    birth_date: date | None
    household: str
    referral_code: str
    is_founding: bool
    marketing_opt_in: bool
    tier: str
    shop_lease_position: int | None  # diamond members only (A§3.2)
    membership: MembershipOut | None
    awaiting_payment: MembershipOut | None


class ApplyIn(Schema):
    plan: Literal["individual", "family"] = "individual"
    charter_version: int = Field(..., ge=1, le=ID_MAX)
    accepts_charter: bool


class CharterOut(Schema):
    version: int
    body: str
    published_at: datetime


class FoundingSeatsOut(Schema):
    most: int | None
    taken: int
    left: int | None
    first_year_free: bool


class CharterIn(Schema):
    body: Annotated[str, Field(min_length=1, max_length=50_000), AfterValidator(_storable)]


class ReferralOut(Schema):
    id: int
    referee_name: str
    status: str
    why: str
    created_at: datetime


class NoticeOut(Schema):
    id: int
    kind: str
    text: str
    is_marketing: bool
    created_at: datetime
    read_at: datetime | None


class UnreadOut(Schema):
    unread: int


class MemberRowOut(Schema):
    id: int
    display_name: str
    phone_masked: str
    id_masked: str
    is_verified: bool
    identity_backend: str
    status: str


class SearchIn(Schema):
    q: Annotated[str, Field(max_length=50), AfterValidator(_storable)] = ""


class PaymentIn(Schema):
    amount_fen: int = Field(..., strict=True, gt=0, le=MAX_AMOUNT)
    method: Literal["cash", "transfer"]
    idempotency_key: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_storable)]


class PaymentOut(Schema):
    id: int
    membership_id: int
    amount_fen: int
    method: str
    journal_id: str


class RefundIn(Schema):
    reason: Text500 = ""


class RefundOut(Schema):
    membership_id: int
    amount_fen: int
    is_full: bool


class ReasonIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_storable)]


class OkOut(Schema):
    ok: bool


class MarketingIn(Schema):
    opt_in: bool


class TierChangeOut(Schema):
    tier_from: str
    tier_to: str
    reason: dict[str, int | bool]
    at: datetime


class GroupIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_storable)]


class GroupOut(Schema):
    id: int
    name: str
    size: int
    has_discount: bool
    is_mine: bool


class GiftIn(Schema):
    store_name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_storable)]


class GiftOut(Schema):
    code: str
    store_name: str
    value_fen: int
    price_fen: int


class AdmissionIn(Schema):
    interests: Text500 = ""
    skills: list[Annotated[str, Field(max_length=30), AfterValidator(_storable)]] = Field(
        default_factory=list, max_length=20
    )
    willing_to_serve: bool = False


class AdmissionOut(Schema):
    id: int
    member_id: int
    interests: str
    skills: list[str]
    willing_to_serve: bool
    status: str
    reason: str


class DecisionIn(Schema):
    approve: bool
    reason: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_storable)]


class PointsPaymentIn(Schema):
    idempotency_key: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_storable)]


class DividendIn(Schema):
    quarter: Annotated[str, Field(min_length=6, max_length=6), AfterValidator(_storable)]
    pool_fen: int = Field(..., ge=1, le=MAX_AMOUNT)
    approval_ref: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_storable)]


class DividendPlanIn(Schema):
    pool_fen: int = Field(..., ge=1, le=MAX_AMOUNT)


class DividendShareOut(Schema):
    member_id: int
    display_name: str
    amount_fen: int


class DividendPlanOut(Schema):
    shares: list[DividendShareOut]
    residue_fen: int


class DividendOut(Schema):
    id: int
    quarter: str
    pool_fen: int
    residue_fen: int
    approval_ref: str
    shares: list[DividendShareOut]


class LeasePriorityOut(Schema):
    position: int
    member_id: int
    display_name: str
    diamond_since: datetime | None


class FoundingApplyIn(Schema):
    motivation: Text500 = ""
    contribution: Text500 = ""
    consents: bool = False


class FoundingApplicationOut(Schema):
    id: int
    member_id: int
    display_name: str
    motivation: str
    contribution: str
    status: str
    reason: str
    created_at: datetime
    decided_at: datetime | None


class FoundingQueueIn(Schema):
    q: Annotated[str, Field(max_length=50), AfterValidator(_storable)] = ""
    status: Literal["pending", "approved", "rejected"] = "pending"
    page: int = Field(1, ge=1, le=ID_MAX)


class FoundingQueueOut(Schema):
    items: list[FoundingApplicationOut]
    count: int
    page: int
    pages: int


class DividendProposalOut(Schema):
    id: int
    quarter: str
    pool_fen: int
    residue_fen: int
    revenue_fen: int
    approval_ref: str
    status: str
    reason: str
    proposed_by: str
    decided_by: str
    dividend_id: int | None
    shares: list[DividendShareOut]
