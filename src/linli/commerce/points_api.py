"""/api/v1/commerce/communities/{slug}/points: the member's points page in the API —
balance (spendable, held, frozen), the frozen lots with their release dates, every lot
with points left and its expiry, and the ledger history paged by journal sequence.
A member's own data: no permission row, but only a member of this community gets it."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from linli.commerce import lots, points
from linli.communities.models import Community
from linli.communities.selectors import community_get
from linli.errors import Forbidden
from linli.members.models import Member
from linli.members.selectors import member_for_user

router = Router(tags=["commerce: points"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
SEQ_MAX = 10**15


class PageIn(Schema):
    before: int | None = Field(default=None, ge=1, le=SEQ_MAX)
    limit: int = Field(default=points.HISTORY_ROWS, ge=2, le=200)


class BalanceOut(Schema):
    spendable: int
    held: int
    frozen: int


class LotOut(Schema):
    earned_at: datetime
    what: str
    amount: int
    remaining: int
    frozen: bool
    release_at: datetime | None
    expires_at: datetime


class FrozenOut(Schema):
    points: int
    release_at: datetime


class HistoryOut(Schema):
    seq: int
    when: datetime
    what: str
    change: str
    held: str
    balance: str
    frozen: bool


class PointsOut(Schema):
    balance: BalanceOut
    frozen: list[FrozenOut]
    lots: list[LotOut]
    history: list[HistoryOut]
    next_before: int | None


def _member(request: HttpRequest, slug: str) -> Member:
    community: Community = community_get(slug=slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Forbidden()
    return member


@router.get(
    "/communities/{slug}/points", response=PointsOut, summary="My points: balance, lots, history"
)
def get_points(request: HttpRequest, slug: Slug, page: Query[PageIn]) -> dict[str, Any]:
    member = _member(request, slug)
    lots.lots_sync(member=member)
    summary = points.points_summary(member=member)
    rows = points.points_lots(member=member)
    history, next_before = points.history_page(
        member=member, before_seq=page.before, limit=page.limit
    )
    return {
        "balance": {
            "spendable": int(summary["available"]),
            "held": int(summary["held"]),
            "frozen": int(summary["frozen"]),
        },
        "frozen": [
            {"points": lot.remaining, "release_at": lot.release_at} for lot in rows if lot.frozen
        ],
        "lots": [lot.__dict__ for lot in rows],
        "history": [row.__dict__ for row in history],
        "next_before": next_before,
    }
