"""/api/v1/members/…: joining, my membership, referrals, inbox; operator fee desk.

Thin (STYLE.md): parse, call one service or selector, render."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router
from ninja.responses import Status

from linli.api import PUBLIC
from linli.communities.audit import audit_ip
from linli.communities.models import Building, Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import community_get
from linli.errors import NotFound
from linli.ledger.schemas import ID_MAX
from linli.members import pii
from linli.members import services as svc
from linli.members.errors import NotAMember
from linli.members.models import (
    AdmissionApplication,
    Charter,
    DiamondDividendProposal,
    FoundingApplication,
    InterestGroup,
    Member,
    Membership,
    Notice,
    TierChange,
)
from linli.members.notices import notice_text
from linli.members.schemas import (
    AdmissionIn,
    AdmissionOut,
    ApplyIn,
    CharterIn,
    CharterOut,
    DecisionIn,
    DividendIn,
    DividendOut,
    DividendPlanIn,
    DividendPlanOut,
    DividendProposalOut,
    FoundingApplicationOut,
    FoundingApplyIn,
    FoundingQueueIn,
    FoundingQueueOut,
    FoundingSeatsOut,
    GiftIn,
    GiftOut,
    GroupIn,
    GroupOut,
    IdentityIn,
    JoinIn,
    JoinOut,
    LeasePriorityOut,
    MarketingIn,
    MemberRowOut,
    MembershipOut,
    MeOut,
    NoticeOut,
    OkOut,
    PaymentIn,
    PaymentOut,
    PointsPaymentIn,
    ReasonIn,
    ReferralOut,
    RefundIn,
    RefundOut,
    SearchIn,
    SmsCodeIn,
    SmsCodeOut,
    TierChangeOut,
    UnreadOut,
)
from linli.members.selectors import (
    FoundingSeats,
    charter_version,
    charters_of,
    founding_application_of,
    founding_applications,
    founding_seats,
    member_for_user,
    members_search,
    membership_current,
    membership_open,
    referrals_of,
    shop_lease_position,
    shop_lease_priority,
    unread_notices_count,
)
from linli.members.services.fees import charter_current, full_refund_until
from linli.members.sms import CONSOLE_NOTE

router = Router(tags=["members"])
Slug = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
IdPath = Annotated[int, Path(ge=1, le=ID_MAX)]
BASE = "/communities/{slug}"


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _me(request: HttpRequest) -> Member:
    member = member_for_user(user=request.user)
    if member is None or member.closed_at is not None:
        raise NotAMember()
    return member


def membership_out(membership: Membership | None) -> dict[str, Any] | None:
    if membership is None:
        return None
    return {
        "id": membership.id,
        "plan": membership.plan,
        "status": membership.status,
        "fee_fen": membership.fee_fen,
        "payment_reference": membership.payment_reference,
        "starts_on": membership.starts_on,
        "ends_on": membership.ends_on,
        "full_refund_until": full_refund_until(membership),
        "charter_version": membership.charter.version,
        "entitlements": [
            {"kind": e.kind, "total": e.total, "used": e.used}
            for e in membership.entitlements.order_by("kind")
        ],
    }


def me_out(member: Member) -> dict[str, Any]:
    number = pii.decrypt(member.id_number_cipher)
    today = timezone.localdate()
    return {
        "id": member.id,
        "community": member.community.slug,
        "display_name": member.display_name,
        "phone": pii.decrypt(member.phone_cipher),
        "id_masked": pii.mask_id_number(number) if number else "",
        "is_verified": member.verified_at is not None,
        "identity_backend": member.identity_backend,
        "birth_date": member.birth_date,
        "household": member.household.unit_label if member.household else "",
        "referral_code": member.referral_code or "",
        "is_founding": member.is_founding,
        "marketing_opt_in": member.marketing_opt_in,
        "tier": member.tier,
        "shop_lease_position": shop_lease_position(member=member),
        "membership": membership_out(membership_current(member=member, today=today)),
        "awaiting_payment": membership_out(membership_open(member=member)),
    }


@router.post(BASE + "/sms-codes", response=SmsCodeOut, auth=PUBLIC, summary="Send a join code")
def send_code(request: HttpRequest, slug: Slug, body: SmsCodeIn) -> dict[str, Any]:
    community = community_get(slug=slug)
    sent = svc.sms_code_request(phone=body.phone, ip=_ip(request), community=community)
    note = str(CONSOLE_NOTE) if sent.is_console else ""
    return {
        "phone_masked": sent.phone_masked,
        "is_console": sent.is_console,
        "expires_at": sent.expires_at,
        "note": note,
    }


@router.post(BASE + "/join", response={201: JoinOut}, auth=PUBLIC, summary="Join with the code")
def join(request: HttpRequest, slug: Slug, body: JoinIn) -> Status:
    community = community_get(slug=slug)
    building = None
    if body.building_id is not None:
        building = Building.objects.filter(community=community, pk=body.building_id).first()
        if building is None:
            raise NotFound()
    with audit_ip(_ip(request)):
        member = svc.member_register(
            community=community,
            phone=body.phone,
            code=body.code,
            display_name=body.display_name,
            accepts_terms=body.accepts_terms,
            building=building,
            unit_label=body.unit_label,
            marketing_opt_in=body.marketing_opt_in,
            referral_code=body.referral_code,
        )
    token = svc.api_token_create(user=member.user, name="join")
    return Status(201, {"member_id": member.id, "token": token})


@router.get("/me", response=MeOut, summary="My membership (my own data, unmasked)")
def me(request: HttpRequest) -> dict[str, Any]:
    return me_out(_me(request))


@router.post("/me/identity", response=MeOut, summary="Real-name verification")
def verify_identity(request: HttpRequest, body: IdentityIn) -> dict[str, Any]:
    with audit_ip(_ip(request)):
        member = svc.member_verify_identity(
            member=_me(request),
            real_name=body.real_name,
            id_number=body.id_number,
            consents=body.consents,
        )
    return me_out(member)


@router.post("/me/memberships", response={201: MembershipOut}, summary="Apply or renew")
def apply(request: HttpRequest, body: ApplyIn) -> Status:
    with audit_ip(_ip(request)):
        membership = svc.membership_apply(
            member=_me(request),
            plan=body.plan,
            charter_version=body.charter_version,
            accepts_charter=body.accepts_charter,
        )
    return Status(201, membership_out(membership))


@router.post(
    "/me/memberships/{membership_id}/pay-with-points",
    response=PaymentOut,
    summary="Pay the fee with points (where the community issues points)",
)
def pay_with_points(
    request: HttpRequest, membership_id: IdPath, body: PointsPaymentIn
) -> dict[str, Any]:
    member = _me(request)
    membership = Membership.objects.filter(member=member, pk=membership_id).first()
    if membership is None:
        raise NotFound()
    with audit_ip(_ip(request)):
        payment = svc.fee_pay_with_points(
            membership=membership, idempotency_key=body.idempotency_key, actor=request.user
        )
    return {
        "id": payment.id,
        "membership_id": payment.membership_id,
        "amount_fen": payment.amount_fen,
        "method": payment.method,
        "journal_id": str(payment.journal_id),
    }


@router.post(
    "/me/memberships/{membership_id}/refund",
    response=RefundOut,
    summary="Refund my own fee within the no-reason period",
)
def refund_mine(request: HttpRequest, membership_id: IdPath) -> dict[str, Any]:
    member = _me(request)
    membership = Membership.objects.filter(member=member, pk=membership_id).first()
    if membership is None:
        raise NotFound()
    with audit_ip(_ip(request)):
        done = svc.membership_refund_self(member=member, membership=membership)
    return {
        "membership_id": done.membership_id,
        "amount_fen": done.amount_fen,
        "is_full": done.is_full,
    }


@router.get("/me/referrals", response=list[ReferralOut], summary="My referrals and why")
def my_referrals(request: HttpRequest) -> list[Any]:
    return list(referrals_of(member=_me(request)))


def notice_out(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "text": notice_text(notice),
        "is_marketing": notice.is_marketing,
        "created_at": notice.created_at,
        "read_at": notice.read_at,
    }


@router.get("/me/notices", response=list[NoticeOut], summary="My inbox")
def my_notices(request: HttpRequest) -> list[dict[str, Any]]:
    return [notice_out(n) for n in _me(request).notices.order_by("-id")[:100]]


@router.get("/me/notices/unread", response=UnreadOut, summary="How many notices are unread")
def my_unread(request: HttpRequest) -> dict[str, int]:
    return {"unread": unread_notices_count(member=_me(request))}


@router.post("/me/notices/{notice_id}/read", response=NoticeOut, summary="Open one notice")
def read_notice(request: HttpRequest, notice_id: IdPath) -> dict[str, Any]:
    return notice_out(svc.notice_open(member=_me(request), notice_id=notice_id))


@router.post("/me/notices/read-all", response=UnreadOut, summary="Mark all my notices read")
def read_all(request: HttpRequest) -> dict[str, int]:
    member = _me(request)
    svc.notices_mark_all_read(member=member)
    return {"unread": unread_notices_count(member=member)}


@router.post("/me/marketing", response=OkOut, summary="Marketing opt-in or opt-out")
def set_marketing(request: HttpRequest, body: MarketingIn) -> dict[str, bool]:
    svc.marketing_set(member=_me(request), opt_in=body.opt_in)
    return {"ok": True}


@router.get("/me/tier-history", response=list[TierChangeOut], summary="My tier changes and why")
def tier_history(request: HttpRequest) -> list[TierChange]:
    return list(TierChange.objects.filter(member=_me(request)).order_by("-id")[:100])


@router.get("/me/export", summary="Export my data (PIPL)")
def export(request: HttpRequest) -> dict[str, Any]:
    return svc.member_export(member=_me(request))


@router.post("/me/close", response=OkOut, summary="Close my account (PIPL)")
def close(request: HttpRequest) -> dict[str, bool]:
    with audit_ip(_ip(request)):
        svc.member_close(member=_me(request))
    return {"ok": True}


@router.post("/me/gift", response={201: GiftOut}, summary="Claim the new-member gift pack")
def claim_gift(request: HttpRequest, body: GiftIn) -> Status:
    with audit_ip(_ip(request)):
        return Status(201, svc.gift_pack_claim(member=_me(request), store_name=body.store_name))


def group_out(group: InterestGroup, member: Member) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "size": group.members.count(),
        "has_discount": svc.group_has_discount(group=group),
        "is_mine": group.members.filter(member=member).exists(),
    }


@router.get("/me/groups", response=list[GroupOut], summary="Interest groups of my community")
def groups(request: HttpRequest) -> list[dict[str, Any]]:
    member = _me(request)
    found = InterestGroup.objects.filter(community=member.community).order_by("name")[:200]
    return [group_out(g, member) for g in found]


@router.post("/me/groups", response={201: GroupOut}, summary="Create an interest group")
def create_group(request: HttpRequest, body: GroupIn) -> Status:
    member = _me(request)
    return Status(201, group_out(svc.group_create(member=member, name=body.name), member))


def _group(member: Member, group_id: int) -> InterestGroup:
    group = InterestGroup.objects.filter(community=member.community, pk=group_id).first()
    if group is None:
        raise NotFound()
    return group


@router.post("/me/groups/{group_id}/join", response=GroupOut, summary="Join a group")
def join_group(request: HttpRequest, group_id: IdPath) -> dict[str, Any]:
    member = _me(request)
    group = _group(member, group_id)
    svc.group_join(member=member, group=group)
    return group_out(group, member)


@router.post("/me/groups/{group_id}/leave", response=GroupOut, summary="Leave a group")
def leave_group(request: HttpRequest, group_id: IdPath) -> dict[str, Any]:
    member = _me(request)
    group = _group(member, group_id)
    svc.group_leave(member=member, group=group)
    return group_out(group, member)


@router.get(BASE + "/charter", response=CharterOut, auth=PUBLIC, summary="Current charter")
def get_charter(request: HttpRequest, slug: Slug) -> Charter:
    return charter_current(community=community_get(slug=slug))


@router.get(BASE + "/charters", response=list[CharterOut], auth=PUBLIC, summary="All versions")
def list_charters(request: HttpRequest, slug: Slug) -> list[Charter]:
    return charters_of(community=community_get(slug=slug))


@router.get(
    BASE + "/charters/{version}", response=CharterOut, auth=PUBLIC, summary="One charter version"
)
def get_charter_version(request: HttpRequest, slug: Slug, version: IdPath) -> Charter:
    return charter_version(community=community_get(slug=slug), version=version)


@router.get(
    BASE + "/founding",
    response=FoundingSeatsOut,
    auth=PUBLIC,
    summary="Founding member places left",
)
def founding_places(request: HttpRequest, slug: Slug) -> FoundingSeats:
    return founding_seats(community=community_get(slug=slug))


# --- operators ----------------------------------------------------------------------------


def _operator(request: HttpRequest, slug: str, action: str) -> Community:
    community = community_get(slug=slug)
    require_permission(user=request.user, community=community, action=action)
    return community


@router.post(BASE + "/charters", response={201: CharterOut}, summary="Publish a charter")
def publish_charter(request: HttpRequest, slug: Slug, body: CharterIn) -> Status:
    community = _operator(request, slug, "member.charter_publish")
    with audit_ip(_ip(request)):
        return Status(
            201, svc.charter_publish(community=community, body=body.body, actor=request.user)
        )


@router.get(BASE + "/members", response=list[MemberRowOut], summary="Search members (masked)")
def search(request: HttpRequest, slug: Slug, query: Query[SearchIn]) -> list[Any]:
    community = _operator(request, slug, "member.view_all")
    return list(members_search(community=community, query=query.q, today=timezone.localdate()))


def _membership(community: Community, membership_id: int) -> Membership:
    found = Membership.objects.filter(community=community, pk=membership_id).first()
    if found is None:
        raise NotFound()
    return found


@router.post(
    BASE + "/memberships/{membership_id}/payment",
    response=PaymentOut,
    summary="Confirm a fee paid at the counter",
)
def confirm_payment(
    request: HttpRequest, slug: Slug, membership_id: IdPath, body: PaymentIn
) -> dict[str, Any]:
    community = _operator(request, slug, "member.fee_confirm")
    with audit_ip(_ip(request)):
        payment = svc.fee_payment_confirm(
            membership=_membership(community, membership_id),
            amount_fen=body.amount_fen,
            method=body.method,
            idempotency_key=body.idempotency_key,
            actor=request.user,
        )
    return {
        "id": payment.id,
        "membership_id": payment.membership_id,
        "amount_fen": payment.amount_fen,
        "method": payment.method,
        "journal_id": str(payment.journal_id),
    }


@router.post(
    BASE + "/memberships/{membership_id}/refund",
    response=RefundOut,
    summary="Refund a membership fee",
)
def refund(
    request: HttpRequest, slug: Slug, membership_id: IdPath, body: RefundIn
) -> dict[str, Any]:
    community = _operator(request, slug, "member.refund")
    with audit_ip(_ip(request)):
        done = svc.membership_refund(
            membership=_membership(community, membership_id),
            reason=body.reason,
            actor=request.user,
        )
    return {
        "membership_id": done.membership_id,
        "amount_fen": done.amount_fen,
        "is_full": done.is_full,
    }


@router.post(
    BASE + "/members/{member_id}/founding", response=OkOut, summary="Make a founding member"
)
def grant_founding(
    request: HttpRequest, slug: Slug, member_id: IdPath, body: ReasonIn
) -> dict[str, bool]:
    community = _operator(request, slug, "member.founding_grant")
    member = Member.objects.filter(community=community, pk=member_id).first()
    if member is None:
        raise NotFound()
    with audit_ip(_ip(request)):
        svc.founding_grant(member=member, reason=body.reason, actor=request.user)
    return {"ok": True}


def founding_application_out(application: FoundingApplication) -> dict[str, Any]:
    return {
        "id": application.id,
        "member_id": application.member_id,
        "display_name": application.member.display_name,
        "motivation": application.motivation,
        "contribution": application.contribution,
        "status": application.status,
        "reason": application.reason,
        "created_at": application.created_at,
        "decided_at": application.decided_at,
    }


@router.post(
    "/me/founding-application",
    response={201: FoundingApplicationOut},
    summary="Apply for a founding (co-creation) place",
)
def founding_apply(request: HttpRequest, body: FoundingApplyIn) -> Status:
    member = _me(request)
    require_permission(
        user=request.user, community=member.community, action="member.founding_apply"
    )
    with audit_ip(_ip(request)):
        application = svc.founding_apply(
            member=member,
            motivation=body.motivation,
            contribution=body.contribution,
            consents=body.consents,
        )
    return Status(201, founding_application_out(application))


@router.get(
    "/me/founding-application",
    response=FoundingApplicationOut,
    summary="My newest founding application and its status",
)
def my_founding_application(request: HttpRequest) -> dict[str, Any]:
    application = founding_application_of(member=_me(request))
    if application is None:
        raise NotFound()
    return founding_application_out(application)


@router.get(
    BASE + "/founding-applications",
    response=FoundingQueueOut,
    summary="Founding applications to review (search, status, page)",
)
def founding_queue(request: HttpRequest, slug: Slug, query: Query[FoundingQueueIn]) -> Any:
    community = _operator(request, slug, "member.founding_review")
    found = founding_applications(
        community=community, query=query.q, status=query.status, page=query.page
    )
    return {
        "items": [founding_application_out(a) for a in found.items],
        "count": found.count,
        "page": found.page,
        "pages": found.pages,
    }


@router.post(
    BASE + "/founding-applications/{application_id}/decision",
    response=FoundingApplicationOut,
    summary="Approve (grants the founding place) or reject, with a reason",
)
def founding_decision(
    request: HttpRequest, slug: Slug, application_id: IdPath, body: DecisionIn
) -> dict[str, Any]:
    community = _operator(request, slug, "member.founding_review")
    application = FoundingApplication.objects.filter(community=community, pk=application_id).first()
    if application is None:
        raise NotFound()
    with audit_ip(_ip(request)):
        decided = svc.founding_decide(
            application=application, approve=body.approve, reason=body.reason, actor=request.user
        )
    return founding_application_out(decided)


@router.post("/me/admission", response={201: AdmissionOut}, summary="Send the questionnaire")
def send_admission(request: HttpRequest, body: AdmissionIn) -> Status:
    with audit_ip(_ip(request)):
        application = svc.admission_apply(
            member=_me(request),
            interests=body.interests,
            skills=body.skills,
            willing_to_serve=body.willing_to_serve,
        )
    return Status(201, application)


@router.get(BASE + "/admissions", response=list[AdmissionOut], summary="Review queue")
def review_queue(request: HttpRequest, slug: Slug) -> list[AdmissionApplication]:
    community = _operator(request, slug, "member.review")
    pending = AdmissionApplication.objects.filter(community=community, status="pending")
    return list(pending.order_by("id")[:100])


@router.post(
    BASE + "/admissions/{application_id}/decision",
    response=AdmissionOut,
    summary="Approve or decline, with a reason",
)
def decide(
    request: HttpRequest, slug: Slug, application_id: IdPath, body: DecisionIn
) -> AdmissionApplication:
    community = _operator(request, slug, "member.review")
    application = AdmissionApplication.objects.filter(
        community=community, pk=application_id
    ).first()
    if application is None:
        raise NotFound()
    with audit_ip(_ip(request)):
        return svc.admission_decide(
            application=application, approve=body.approve, reason=body.reason, actor=request.user
        )


# --- diamond tier benefits (A§3.2) ---------------------------------------------------------


def _shares_out(shares: list[tuple[Member, int]]) -> list[dict[str, Any]]:
    return [
        {"member_id": m.id, "display_name": m.display_name, "amount_fen": amount}
        for m, amount in shares
    ]


@router.get(
    BASE + "/diamond-dividends/plan",
    response=DividendPlanOut,
    summary="Dry run: who would get what from a diamond dividend pool",
)
def dividend_plan(request: HttpRequest, slug: Slug, query: Query[DividendPlanIn]) -> dict[str, Any]:
    community = _operator(request, slug, "member.dividend_propose")
    plan = svc.diamond_dividend_plan(community=community, pool_fen=query.pool_fen)
    return {"shares": _shares_out(plan.shares), "residue_fen": plan.residue_fen}


def proposal_out(proposal: DiamondDividendProposal) -> dict[str, Any]:
    names = dict(
        Member.objects.filter(pk__in=[m for m, _a in proposal.shares]).values_list(
            "id", "display_name"
        )
    )
    return {
        "id": proposal.id,
        "quarter": proposal.quarter,
        "pool_fen": proposal.pool_fen,
        "residue_fen": proposal.residue_fen,
        "revenue_fen": proposal.revenue_fen,
        "approval_ref": proposal.approval_ref,
        "status": proposal.status,
        "reason": proposal.reason,
        "proposed_by": proposal.proposed_by.get_username(),
        "decided_by": proposal.decided_by.get_username() if proposal.decided_by else "",
        "dividend_id": proposal.dividend_id,
        "shares": [
            {"member_id": m, "display_name": names.get(m, ""), "amount_fen": amount}
            for m, amount in proposal.shares
        ],
    }


def _proposal(community: Community, proposal_id: int) -> DiamondDividendProposal:
    found = DiamondDividendProposal.objects.filter(community=community, pk=proposal_id).first()
    if found is None:
        raise NotFound()
    return found


@router.post(
    BASE + "/diamond-dividends/proposals",
    response={201: DividendProposalOut},
    summary="Propose a quarter's diamond dividend (a second operator approves)",
)
def dividend_propose(request: HttpRequest, slug: Slug, body: DividendIn) -> Status:
    community = _operator(request, slug, "member.dividend_propose")
    with audit_ip(_ip(request)):
        proposal = svc.diamond_dividend_propose(
            community=community,
            quarter=body.quarter,
            pool_fen=body.pool_fen,
            approval_ref=body.approval_ref,
            actor=request.user,
        )
    return Status(201, proposal_out(proposal))


@router.get(
    BASE + "/diamond-dividends/proposals",
    response=list[DividendProposalOut],
    summary="Diamond dividend proposals, newest first",
)
def dividend_proposals(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = _operator(request, slug, "member.dividend_approve")
    found = DiamondDividendProposal.objects.filter(community=community).select_related(
        "proposed_by", "decided_by"
    )
    return [proposal_out(p) for p in found.order_by("-id")[:50]]


@router.post(
    BASE + "/diamond-dividends/proposals/{proposal_id}/approve",
    response={201: DividendOut},
    summary="Approve another operator's proposal: the dividend is paid",
)
def dividend_approve(request: HttpRequest, slug: Slug, proposal_id: IdPath) -> Status:
    community = _operator(request, slug, "member.dividend_approve")
    with audit_ip(_ip(request)):
        dividend = svc.diamond_dividend_approve(
            proposal=_proposal(community, proposal_id), actor=request.user
        )
    shares = [(s.member, s.amount_fen) for s in dividend.shares.select_related("member")]
    return Status(
        201,
        {
            "id": dividend.id,
            "quarter": dividend.quarter,
            "pool_fen": dividend.pool_fen,
            "residue_fen": dividend.residue_fen,
            "approval_ref": dividend.approval_ref,
            "shares": _shares_out(shares),
        },
    )


@router.post(
    BASE + "/diamond-dividends/proposals/{proposal_id}/reject",
    response=DividendProposalOut,
    summary="Reject another operator's proposal, with a reason",
)
def dividend_reject(
    request: HttpRequest, slug: Slug, proposal_id: IdPath, body: ReasonIn
) -> dict[str, Any]:
    community = _operator(request, slug, "member.dividend_approve")
    with audit_ip(_ip(request)):
        proposal = svc.diamond_dividend_reject(
            proposal=_proposal(community, proposal_id), reason=body.reason, actor=request.user
        )
    return proposal_out(proposal)


@router.get(
    BASE + "/shop-lease-priority",
    response=list[LeasePriorityOut],
    summary="Diamond members' shop-lease priority list",
)
def lease_priority(request: HttpRequest, slug: Slug) -> list[Any]:
    community = _operator(request, slug, "member.view_all")
    return list(shop_lease_priority(community=community))
