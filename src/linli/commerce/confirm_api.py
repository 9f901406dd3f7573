"""/api/v1/commerce/communities/{slug}/card/confirmations: the member approves or declines,
on their own phone, a sale that spends coins or points above the threshold (thin; the
service is `limits.confirmation_decide`)."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router, Schema

from linli.commerce import limits
from linli.commerce.models import SaleConfirmation
from linli.communities.selectors import community_get
from linli.errors import Forbidden
from linli.members.models import Member
from linli.members.selectors import member_for_user

router = Router(tags=["commerce"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
BASE = "/communities/{slug}/card/confirmations"


class ConfirmationOut(Schema):
    id: int
    shop: str
    amount_fen: int
    coin_units: int
    points: int
    status: str
    created_at: str


class DecisionIn(Schema):
    approve: bool


def _member(request: HttpRequest, slug: str) -> Member:
    community = community_get(slug=slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id:
        raise Forbidden()
    return member


def _out(confirmation: SaleConfirmation) -> dict[str, Any]:
    return {
        "id": confirmation.id,
        "shop": confirmation.merchant.name,
        "amount_fen": confirmation.amount_fen,
        "coin_units": confirmation.coin_units,
        "points": confirmation.points,
        "status": confirmation.status,
        "created_at": confirmation.created_at.isoformat(),
    }


@router.get(BASE, response=list[ConfirmationOut])
def pending(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    return [_out(c) for c in limits.confirmations_pending(member=_member(request, slug))]


@router.post(BASE + "/{confirmation_id}", response=ConfirmationOut)
def decide(
    request: HttpRequest, slug: Slug, confirmation_id: int, body: DecisionIn
) -> dict[str, Any]:
    confirmation = limits.confirmation_decide(
        member=_member(request, slug), confirmation_id=confirmation_id, approve=body.approve
    )
    return _out(confirmation)
