"""/api/v1/merchants/communities/{slug}/…: the merchant alliance's endpoints (thin).

Parse, check access (`access.py`), call one service or selector, render. Errors are
domain errors, mapped to 4xx JSON by linli.api.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from linli.api import PUBLIC
from linli.communities.audit import audit_ip
from linli.communities.models import Community
from linli.communities.selectors import community_get
from linli.errors import NotFound
from linli.merchants import access, selectors
from linli.merchants.duties import merchant_day_set, offer_check, offer_publish
from linli.merchants.models import (
    Complaint,
    Hearing,
    Merchant,
    MerchantApplication,
    MerchantDay,
    WaitingListEntry,
)
from linli.merchants.scoring import hearing_decide, quarter_close, quarter_of
from linli.merchants.services import (
    application_reject,
    application_submit,
    industries_ensure,
    merchant_admit,
    staff_add,
)
from linli.merchants.trust import (
    complaint_answer,
    complaint_decide,
    complaint_file,
    debt_settle,
    rating_create,
    violation_record,
)
from linli.merchants.waitlist import waitlist_accept, waitlist_leave

router = Router(tags=["merchants"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
IdPath = Annotated[int, Path(ge=1, le=2**62)]
BASE = "/communities/{slug}"


class IndustryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    holder: str | None


class ApplicationIn(Schema):
    industry_id: int = Field(ge=1, le=2**62)
    business_name: str = Field(max_length=100)
    licence_no: str = Field(max_length=32)
    address: str = Field(max_length=200)
    lat: str = Field(max_length=20)
    lng: str = Field(max_length=20)
    contact_phone: str = Field(max_length=20)
    exclusivity_accepted: bool
    join_waiting_list: bool = False


class ApplicationOut(Schema):
    id: int
    business_name: str
    industry_id: int
    status: str
    waiting_position: int | None = None


class RejectIn(Schema):
    note: str = Field("", max_length=500)


class MerchantOut(Schema):
    id: int
    name: str
    industry: str
    status: str
    red_listed: bool


class LightOut(Schema):
    merchant_id: int
    colour: str
    reasons: list[str]


class ComplaintIn(Schema):
    text: str = Field(max_length=2000)
    sale_journal_id: str | None = Field(None, max_length=40)


class ComplaintOut(Schema):
    id: int
    status: str
    compensation_fen: int


class AnswerIn(Schema):
    answer: str = Field(max_length=2000)


class DecideIn(Schema):
    verified: bool
    compensation_fen: int = Field(0, ge=-(2**62), le=2**62)


class RatingIn(Schema):
    sale_journal_id: str = Field(max_length=40)
    stars: int = Field(ge=-100, le=100)
    comment: str = Field("", max_length=500)


class ViolationIn(Schema):
    description: str = Field(max_length=500)
    evidence: str = Field(max_length=4000)
    fine_units: int = Field(ge=-(2**62), le=2**62)


class ViolationOut(Schema):
    id: int
    merchant_id: int
    fine_units: int
    journal_id: str | None


class StaffIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=128)


class StaffOut(Schema):
    id: int
    username: str
    role: str


def _community(slug: str) -> Community:
    return community_get(slug=slug)


def _merchant(community: Community, merchant_id: int) -> Merchant:
    return selectors.merchant_get(community=community, merchant_id=merchant_id)


def _application_out(application: MerchantApplication) -> dict[str, Any]:
    entry = WaitingListEntry.objects.filter(application=application).first()
    return {
        "id": application.id,
        "business_name": application.business_name,
        "industry_id": application.industry_id,
        "status": application.status,
        "waiting_position": selectors.waitlist_position(entry=entry) if entry else None,
    }


def _ip(request: HttpRequest) -> Any:
    return audit_ip(request.META.get("REMOTE_ADDR"))


@router.get(BASE + "/industries", response=list[IndustryOut], auth=PUBLIC)
def industries(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    industries_ensure(community=community)
    holders = {m.industry_id: m.name for m in selectors.merchants_seated(community=community)}
    return [
        {
            "id": i.id,
            "code": i.code,
            "name": i.name,
            "parent_id": i.parent_id,
            "holder": holders.get(i.id),
        }
        for top, trades in selectors.industry_tree(community=community)
        for i in [top, *trades]
    ]


@router.get(BASE + "/merchants", response=list[MerchantOut], auth=PUBLIC)
def merchants(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    return [
        {
            "id": m.id,
            "name": m.name,
            "industry": m.industry.name,
            "status": m.status,
            "red_listed": m.red_listed_at is not None,
        }
        for m in selectors.merchants_seated(community=community)
    ]


@router.post(BASE + "/applications", response={201: ApplicationOut})
def apply(request: HttpRequest, slug: Slug, body: ApplicationIn) -> Status:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.apply")
    industries_ensure(community=community)
    industry = selectors.industry_get(community=community, industry_id=body.industry_id)
    with _ip(request):
        application = application_submit(
            community=community,
            applicant=request.user,
            industry=industry,
            business_name=body.business_name,
            licence_no=body.licence_no,
            address=body.address,
            lat=body.lat,
            lng=body.lng,
            contact_phone=body.contact_phone,
            exclusivity_accepted=body.exclusivity_accepted,
            join_waiting_list=body.join_waiting_list,
        )
    return Status(201, _application_out(application))


@router.get(BASE + "/applications", response=list[ApplicationOut])
def applications(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.review")
    return [_application_out(a) for a in selectors.applications_pending(community=community)]


@router.post(BASE + "/applications/{application_id}/admit", response=MerchantOut)
def admit(request: HttpRequest, slug: Slug, application_id: IdPath) -> dict[str, Any]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.review")
    application = selectors.application_get(community=community, application_id=application_id)
    with _ip(request):
        merchant = merchant_admit(application=application, actor=request.user)
    return {
        "id": merchant.id,
        "name": merchant.name,
        "industry": merchant.industry.name,
        "status": merchant.status,
        "red_listed": False,
    }


@router.post(BASE + "/applications/{application_id}/reject", response=ApplicationOut)
def reject(
    request: HttpRequest, slug: Slug, application_id: IdPath, body: RejectIn
) -> dict[str, Any]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.review")
    application = selectors.application_get(community=community, application_id=application_id)
    with _ip(request):
        application_reject(application=application, actor=request.user, note=body.note)
    application.refresh_from_db()
    return _application_out(application)


@router.get(BASE + "/merchants/{merchant_id}/light", response=LightOut)
def light(request: HttpRequest, slug: Slug, merchant_id: IdPath) -> dict[str, Any]:
    community = _community(slug)
    merchant = _merchant(community, merchant_id)
    if not (
        access.can(user=request.user, community=community, action="merchant.oversee")
        or access.can(
            user=request.user, community=community, action="merchant.console", merchant=merchant
        )
    ):
        raise NotFound()
    found = selectors.traffic_light(merchant=merchant)
    return {"merchant_id": merchant.id, "colour": found.colour, "reasons": list(found.reasons)}


@router.post(BASE + "/merchants/{merchant_id}/staff", response={201: StaffOut})
def add_staff(request: HttpRequest, slug: Slug, merchant_id: IdPath, body: StaffIn) -> Status:
    community = _community(slug)
    merchant = _merchant(community, merchant_id)
    access.require(
        user=request.user, community=community, action="merchant.staff_manage", merchant=merchant
    )
    with _ip(request):
        staff = staff_add(
            merchant=merchant, username=body.username, password=body.password, actor=request.user
        )
    return Status(201, {"id": staff.id, "username": staff.user.get_username(), "role": staff.role})


@router.post(BASE + "/merchants/{merchant_id}/complaints", response={201: ComplaintOut})
def file_complaint(
    request: HttpRequest, slug: Slug, merchant_id: IdPath, body: ComplaintIn
) -> Status:
    community = _community(slug)
    merchant = _merchant(community, merchant_id)
    access.require(user=request.user, community=community, action="merchant.complaint_file")
    with _ip(request):
        complaint = complaint_file(
            merchant=merchant,
            complainant=request.user,
            text=body.text,
            sale_journal_id=body.sale_journal_id,
        )
    return Status(201, _complaint_out(complaint))


def _complaint_out(complaint: Complaint) -> dict[str, Any]:
    return {
        "id": complaint.id,
        "status": complaint.status,
        "compensation_fen": complaint.compensation_fen,
    }


def _complaint(community: Community, complaint_id: int) -> Complaint:
    found = Complaint.objects.filter(community=community, id=complaint_id).first()
    if found is None:
        raise NotFound()
    return found


@router.post(BASE + "/complaints/{complaint_id}/answer", response=ComplaintOut)
def answer(
    request: HttpRequest, slug: Slug, complaint_id: IdPath, body: AnswerIn
) -> dict[str, Any]:
    community = _community(slug)
    complaint = _complaint(community, complaint_id)
    access.require(
        user=request.user,
        community=community,
        action="merchant.complaint_answer",
        merchant=complaint.merchant,
    )
    with _ip(request):
        return _complaint_out(
            complaint_answer(complaint=complaint, answer=body.answer, actor=request.user)
        )


@router.post(BASE + "/complaints/{complaint_id}/decide", response=ComplaintOut)
def decide(
    request: HttpRequest, slug: Slug, complaint_id: IdPath, body: DecideIn
) -> dict[str, Any]:
    community = _community(slug)
    complaint = _complaint(community, complaint_id)
    access.require(user=request.user, community=community, action="merchant.complaint_decide")
    with _ip(request):
        decided = complaint_decide(
            complaint=complaint,
            verified=body.verified,
            compensation_fen=body.compensation_fen,
            actor=request.user,
        )
    return _complaint_out(decided)


@router.post(BASE + "/merchants/{merchant_id}/ratings", response={201: dict[str, int]})
def rate(request: HttpRequest, slug: Slug, merchant_id: IdPath, body: RatingIn) -> Status:
    community = _community(slug)
    merchant = _merchant(community, merchant_id)
    access.require(user=request.user, community=community, action="merchant.rate")
    rating = rating_create(
        merchant=merchant,
        rater=request.user,
        sale_journal_id=body.sale_journal_id,
        stars=body.stars,
        comment=body.comment,
    )
    return Status(201, {"id": rating.id, "stars": rating.stars})


@router.post(BASE + "/merchants/{merchant_id}/violations", response={201: ViolationOut})
def record_violation(
    request: HttpRequest, slug: Slug, merchant_id: IdPath, body: ViolationIn
) -> Status:
    community = _community(slug)
    merchant = _merchant(community, merchant_id)
    access.require(user=request.user, community=community, action="merchant.violation_record")
    with _ip(request):
        violation = violation_record(
            merchant=merchant,
            description=body.description,
            evidence=body.evidence,
            fine_units=body.fine_units,
            actor=request.user,
        )
    return Status(
        201,
        {
            "id": violation.id,
            "merchant_id": merchant.id,
            "fine_units": violation.fine_units,
            "journal_id": str(violation.journal_id) if violation.journal_id else None,
        },
    )


class OfferIn(Schema):
    title: str = Field(max_length=100)
    description: str = Field("", max_length=500)
    value_fen: int = Field(ge=-(2**62), le=2**62)


class OfferOut(Schema):
    month: str
    value_fen: int
    revenue_fen: int
    required_fen: int
    is_short: bool


@router.post(BASE + "/merchants/{merchant_id}/offers", response={201: OfferOut})
def publish_offer(request: HttpRequest, slug: Slug, merchant_id: IdPath, body: OfferIn) -> Status:
    community = _community(slug)
    merchant = _merchant(community, merchant_id)
    access.require(
        user=request.user, community=community, action="merchant.offer_publish", merchant=merchant
    )
    today = timezone.localdate()
    with _ip(request):
        offer = offer_publish(
            merchant=merchant,
            month=today,
            title=body.title,
            description=body.description,
            value_fen=body.value_fen,
            actor=request.user,
        )
    check = offer_check(merchant=merchant, month=today)
    return Status(
        201,
        {
            "month": offer.month.isoformat(),
            "value_fen": offer.value_fen,
            "revenue_fen": check.revenue_fen,
            "required_fen": check.required_fen,
            "is_short": check.is_short,
        },
    )


class RotaIn(Schema):
    weekday: int = Field(ge=-100, le=100)
    industry_id: int = Field(ge=1, le=2**62)
    joint_offer: str = Field("", max_length=200)


class RotaOut(Schema):
    weekday: int
    industry: str
    joint_offer: str


@router.get(BASE + "/rota", response=list[RotaOut], auth=PUBLIC)
def rota(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    days = MerchantDay.objects.filter(community=community).select_related("industry")
    return [
        {"weekday": d.weekday, "industry": d.industry.name, "joint_offer": d.joint_offer}
        for d in days
    ]


@router.put(BASE + "/rota", response=RotaOut)
def set_rota(request: HttpRequest, slug: Slug, body: RotaIn) -> dict[str, Any]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.rota_manage")
    industry = selectors.industry_get(community=community, industry_id=body.industry_id)
    with _ip(request):
        day = merchant_day_set(
            community=community,
            weekday=body.weekday,
            industry=industry,
            joint_offer=body.joint_offer,
            actor=request.user,
        )
    return {"weekday": day.weekday, "industry": industry.name, "joint_offer": day.joint_offer}


class ScoreOut(Schema):
    merchant_id: int
    merchant: str
    rank: int
    score: int
    marked_for_replacement: bool


@router.post(BASE + "/quarters/current/close", response=list[ScoreOut])
def close_quarter(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.quarter_close")
    with _ip(request):
        rows = quarter_close(
            community=community, quarter=quarter_of(timezone.localdate()), actor=request.user
        )
    return [
        {
            "merchant_id": r.merchant_id,
            "merchant": r.merchant.name,
            "rank": r.rank,
            "score": r.score,
            "marked_for_replacement": r.marked_for_replacement,
        }
        for r in rows
    ]


class HearingIn(Schema):
    replace: bool
    note: str = Field("", max_length=500)


class HearingOut(Schema):
    id: int
    merchant_id: int
    status: str


@router.post(BASE + "/hearings/{hearing_id}/decide", response=HearingOut)
def decide_hearing(
    request: HttpRequest, slug: Slug, hearing_id: IdPath, body: HearingIn
) -> dict[str, Any]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.hearing_decide")
    hearing = Hearing.objects.filter(community=community, id=hearing_id).first()
    if hearing is None:
        raise NotFound()
    with _ip(request):
        decided = hearing_decide(
            hearing=hearing, replace=body.replace, note=body.note, actor=request.user
        )
    return {"id": decided.id, "merchant_id": decided.merchant_id, "status": decided.status}


# --- the waiting list per trade and compensation debts (merchantsgap) ---------------------


class WaitOut(Schema):
    id: int
    industry_id: int
    industry: str
    business_name: str
    status: str
    position: int | None
    offer_expires_at: str | None


def _wait_out(entry: WaitingListEntry, position: int | None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "industry_id": entry.industry_id,
        "industry": entry.industry.name,
        "business_name": entry.application.business_name,
        "status": entry.status,
        "position": position,
        "offer_expires_at": entry.offer_expires_at.isoformat() if entry.offer_expires_at else None,
    }


@router.get(BASE + "/waiting-list/mine", response=list[WaitOut])
def my_waiting_list(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    """The caller's own places in the trades' waiting lists (1 = first in line)."""
    community = _community(slug)
    return [
        _wait_out(entry, position)
        for entry, position in selectors.waitlist_of_user(user=request.user, community=community)
    ]


@router.get(BASE + "/waiting-list", response=list[WaitOut])
def waiting_list(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    """Everyone in line, trade by trade (the committee and oversight)."""
    community = _community(slug)
    if not (
        access.can(user=request.user, community=community, action="merchant.review")
        or access.can(user=request.user, community=community, action="merchant.oversee")
    ):
        raise NotFound()
    return [
        _wait_out(entry, selectors.waitlist_position(entry=entry))
        for entry in selectors.waitlist_queued(community=community)
    ]


def _answer_offer(request: HttpRequest, slug: str, entry_id: int, accept: bool) -> dict[str, Any]:
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.waitlist_respond")
    entry = selectors.waitlist_entry_get(community=community, entry_id=entry_id)
    if entry.application.applicant_id != request.user.id:
        raise NotFound()  # another applicant's place is not even shown
    with _ip(request):
        if accept:
            entry = waitlist_accept(entry=entry, actor=request.user)
        else:
            entry = waitlist_leave(entry=entry, actor=request.user)
    return _wait_out(entry, selectors.waitlist_position(entry=entry))


@router.post(BASE + "/waiting-list/{entry_id}/accept", response=WaitOut)
def accept_seat(request: HttpRequest, slug: Slug, entry_id: IdPath) -> dict[str, Any]:
    return _answer_offer(request, slug, entry_id, accept=True)


@router.post(BASE + "/waiting-list/{entry_id}/leave", response=WaitOut)
def leave_waiting_list(request: HttpRequest, slug: Slug, entry_id: IdPath) -> dict[str, Any]:
    """Decline an offered seat (it goes to the next) or leave the line."""
    return _answer_offer(request, slug, entry_id, accept=False)


class DebtSettleIn(Schema):
    idempotency_key: str = Field(min_length=1, max_length=80)


class DebtOut(Schema):
    merchant_id: int
    settled_fen: int
    owed_fen: int
    status: str


@router.post(BASE + "/merchants/{merchant_id}/debt/settle", response=DebtOut)
def settle_debt(
    request: HttpRequest, slug: Slug, merchant_id: IdPath, body: DebtSettleIn
) -> dict[str, Any]:
    """Cash for a compensation debt taken at the counter (operator)."""
    community = _community(slug)
    access.require(user=request.user, community=community, action="merchant.debt_settle")
    merchant = _merchant(community, merchant_id)
    with _ip(request):
        settled = debt_settle(
            merchant=merchant, idempotency_key=body.idempotency_key, actor=request.user
        )
    merchant.refresh_from_db()
    return {
        "merchant_id": merchant.id,
        "settled_fen": settled,
        "owed_fen": selectors.debt_open_fen(merchant=merchant),
        "status": merchant.status,
    }
