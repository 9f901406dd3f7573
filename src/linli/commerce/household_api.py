"""/api/v1/commerce/communities/{slug}/household…: the family package's household page in
the API — covered members (masked) and their cards, invitations the member answers on
their own login, printed cards issued or replaced when lost. Thin: rules in
`members/services/household.py` and `commerce/household.py`."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from linli.commerce import household
from linli.commerce.household_selectors import household_page
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get
from linli.errors import Forbidden
from linli.ledger.schemas import ID_MAX
from linli.members.models import HouseholdCover, Member
from linli.members.selectors import member_for_user
from linli.members.services import household as covers

router = Router(tags=["commerce: household cards"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
IdPath = Annotated[int, Path(ge=1, le=ID_MAX)]
BASE = "/communities/{slug}/household"


class MemberIdIn(Schema):
    member_id: int = Field(ge=1, le=ID_MAX)


class AnswerIn(Schema):
    accept: bool


class PrintedCardIn(MemberIdIn):
    current_last4: str = Field(default="", max_length=4, pattern=r"^\d{0,4}$")


class CardOut(Schema):
    phone_code: bool
    printed: str
    lost_reported: int


class RowOut(Schema):
    member_id: int
    masked_name: str
    status: str
    is_holder: bool
    card: CardOut


class InvitationOut(Schema):
    id: int
    holder: str
    status: str


class HouseholdOut(Schema):
    holds_package: bool
    ends_on: str | None
    places_left: int
    rows: list[RowOut]
    candidates: list[RowOut]
    invitations: list[InvitationOut]
    covered_by: str


class CoverOut(Schema):
    id: int
    member_id: int
    status: str


class PrintedCardOut(Schema):
    card_number: str  # shown once, like the PIN
    pin: str
    replaced: bool


def _member(request: HttpRequest, slug: str, action: str) -> Member:
    community: Community = community_get(slug=slug)
    require_permission(user=request.user, community=community, action=action)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Forbidden()
    return member


def _cover_out(cover: HouseholdCover) -> dict[str, Any]:
    return {"id": cover.id, "member_id": cover.member_id, "status": cover.status}


@router.get(BASE, response=HouseholdOut, summary="My household: package, covered members, cards")
def get_household(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    member = _member(request, slug, "household.answer")
    page = household_page(member=member, today=timezone.localdate())
    return {
        "holds_package": page.package is not None,
        "ends_on": page.package.ends_on.isoformat()
        if page.package and page.package.ends_on
        else None,
        "places_left": page.places_left,
        "rows": [row.__dict__ | {"card": row.card.__dict__} for row in page.rows],
        "candidates": [
            {
                "member_id": member_id,
                "masked_name": name,
                "status": "",
                "is_holder": False,
                "card": {"phone_code": False, "printed": "", "lost_reported": 0},
            }
            for member_id, name in page.candidates
        ],
        "invitations": [
            {"id": i.id, "holder": i.holder, "status": i.status} for i in page.invitations
        ],
        "covered_by": page.covered_by,
    }


@router.post(BASE + "/covers", response={201: CoverOut}, summary="Invite a resident of the flat")
def invite(request: HttpRequest, slug: Slug, body: MemberIdIn) -> Status:
    holder = _member(request, slug, "household.manage")
    cover = covers.cover_invite(holder=holder, member_id=body.member_id)
    return Status(201, _cover_out(cover))


@router.post(BASE + "/covers/remove", response=CoverOut, summary="Take a member off the package")
def remove(request: HttpRequest, slug: Slug, body: MemberIdIn) -> dict[str, Any]:
    holder = _member(request, slug, "household.manage")
    return _cover_out(covers.cover_remove(holder=holder, member_id=body.member_id))


@router.post(BASE + "/covers/{cover_id}/answer", response=CoverOut, summary="Confirm or decline")
def answer(request: HttpRequest, slug: Slug, cover_id: IdPath, body: AnswerIn) -> dict[str, Any]:
    member = _member(request, slug, "household.answer")
    cover = covers.cover_answer(member=member, cover_id=cover_id, accept=body.accept)
    return _cover_out(cover)


@router.post(
    BASE + "/printed-cards",
    response={201: PrintedCardOut},
    summary="Issue a printed card, or replace one reported lost",
)
def printed_card(request: HttpRequest, slug: Slug, body: PrintedCardIn) -> Status:
    holder = _member(request, slug, "household.manage")
    number, pin, replaced = household.printed_card_renew(
        holder=holder, member_id=body.member_id, current_last4=body.current_last4
    )
    return Status(201, {"card_number": number, "pin": pin, "replaced": replaced})
