"""Membership pages (thin): join on a phone, my membership card, referrals, inbox, the
operators' fee desk. Every write calls one service; domain errors show inline."""

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.commerce import cards
from linli.communities.audit import audit_ip
from linli.communities.models import AuditEntry, Building
from linli.communities.permissions import has_permission
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError, NotFound
from linli.members import pii
from linli.members import services as svc
from linli.members.errors import NotAMember, NotYourMembership
from linli.members.models import (
    AdmissionApplication,
    ConsoleSms,
    FoundingApplication,
    GiftPack,
    GroupMembership,
    InterestGroup,
    Member,
    Membership,
    MembershipStatus,
    Tier,
)
from linli.members.notices import notice_text
from linli.members.selectors import (
    charter_consents_of,
    charter_version,
    charters_of,
    founding_application_of,
    founding_applications,
    founding_members,
    founding_seats,
    member_for_user,
    members_search,
    membership_current,
    membership_open,
    memberships_awaiting_payment,
    referrals_of,
    shop_lease_position,
    unread_notices_count,
)
from linli.members.services.fees import charter_current, full_refund_until, refund_amount
from linli.members.sms import CONSOLE_NOTE, sms_sender
from linli.web.pages import community_or_404

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
CONSOLE_ROWS = 10


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def join(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    buildings = Building.objects.filter(community=community).select_related("neighbourhood")
    form = {k: request.POST.get(k, "") for k in ("phone", "display_name", "unit_label")}
    form["referral_code"] = request.POST.get("referral_code", request.GET.get("ref", ""))
    context: dict[str, Any] = {
        "community": community,
        "buildings": buildings,
        "form": form,
        "step": "phone",
        "is_console": getattr(sms_sender(), "is_console", False),
        "console_note": CONSOLE_NOTE,
    }
    if request.method == "POST":
        step = request.POST.get("step", "phone")
        try:
            with audit_ip(_ip(request)):
                if step == "phone":
                    sent = svc.sms_code_request(
                        phone=form["phone"], ip=_ip(request), community=community
                    )
                    context.update(step="code", sent=sent)
                else:
                    context["step"] = "code"
                    building = buildings.filter(pk=_int(request.POST.get("building"))).first()
                    member = svc.member_register(
                        community=community,
                        phone=form["phone"],
                        code=request.POST.get("code", ""),
                        display_name=form["display_name"],
                        accepts_terms=request.POST.get("accepts_terms") == "on",
                        building=building,
                        unit_label=form["unit_label"],
                        marketing_opt_in=request.POST.get("marketing") == "on",
                        referral_code=form["referral_code"],
                    )
                    login(request, member.user, backend=MODEL_BACKEND)
                    return redirect("members:mine")
        except DomainError as error:
            context["error"] = error.render(request.LANGUAGE_CODE)
    return render(request, "members/join.html", context)


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 2**62))
    except ValueError:
        return 0


def charter(request: HttpRequest, slug: str) -> HttpResponse:
    """The member charter: current version (or `?version=N`), every earlier version, and,
    for a signed-in member of this community, which version they accepted and when."""
    community = community_or_404(slug)
    try:
        current = charter_current(community=community)
        shown = (
            charter_version(community=community, version=_int(request.GET.get("version")))
            if request.GET.get("version")
            else current
        )
    except DomainError:
        raise Http404 from None
    if request.GET.get("download"):
        response = HttpResponse(shown.body, content_type="text/plain; charset=utf-8")
        filename = f"linli-charter-{community.slug}-v{shown.version}.txt"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    member = member_for_user(user=request.user)
    if member is not None and (member.community_id != community.id or member.closed_at):
        member = None
    return render(
        request,
        "members/charter.html",
        {
            "community": community,
            "charter": shown,
            "current": current,
            "versions": charters_of(community=community),
            "policy": policy_in_force(community=community),
            "member": member,
            "consents": charter_consents_of(member=member, current_version=current.version)
            if member
            else [],
        },
    )


def founding(request: HttpRequest, slug: str) -> HttpResponse:
    """Founding / co-creation members (A§5, B§2.2): places left, who qualifies; a resident
    applies here and sees their application's status; operators review the applications
    (search, paging) and may still grant a place directly with a reason."""
    community = community_or_404(slug)
    user = request.user
    can_grant = has_permission(user=user, community=community, action="member.founding_grant")
    can_review = has_permission(user=user, community=community, action="member.founding_review")
    member = member_for_user(user=user)
    me = member if member and member.community_id == community.id and not member.closed_at else None
    can_apply = me is not None and has_permission(
        user=user, community=community, action="member.founding_apply"
    )
    context: dict[str, Any] = {"community": community, "can_grant": can_grant}
    if request.method == "POST":
        action = request.POST.get("action", "grant")
        try:
            with audit_ip(_ip(request)):
                done = _founding_post(
                    request,
                    community,
                    action,
                    me if can_apply else None,
                    {
                        "grant": can_grant,
                        "review": can_review,
                    },
                )
            if done:
                return redirect(done)
        except DomainError as error:
            context["error"] = error.render(request.LANGUAGE_CODE)
            context["error_for"] = action
    policy = policy_in_force(community=community)
    queue = (
        founding_applications(
            community=community,
            query=request.GET.get("q", "")[:50],
            status=request.GET.get("status", "pending"),
            page=_int(request.GET.get("page")) or 1,
        )
        if can_review
        else None
    )
    context.update(
        {
            "seats": founding_seats(community=community),
            "policy": policy,
            "fee": _yuan(policy.member_fee_fen),
            "me": me,
            "can_apply": can_apply,
            "application": founding_application_of(member=me) if me else None,
            "founders": founding_members(community=community) if can_grant else [],
            "can_review": can_review,
            "queue": queue,
            "q": request.GET.get("q", "")[:50],
            "status": request.GET.get("status", "pending"),
            "form": {k: request.POST.get(k, "") for k in ("motivation", "contribution")},
        }
    )
    return render(request, "members/founding.html", context)


def _founding_post(
    request: HttpRequest,
    community: Any,
    action: str,
    applicant: Member | None,
    may: dict[str, bool],
) -> str:
    """One write from the founding page; returns where to go next ("" = nothing done)."""
    here = reverse("members:founding", kwargs={"slug": community.slug})
    post = request.POST
    if action == "apply" and applicant is not None:
        svc.founding_apply(
            member=applicant,
            motivation=post.get("motivation", ""),
            contribution=post.get("contribution", ""),
            consents=post.get("consents") == "on",
        )
        messages.success(request, _("Your application was sent. The staff will review it."))
        return here
    if action in ("approve", "reject") and may["review"]:
        application = FoundingApplication.objects.filter(
            community=community, pk=_int(post.get("application"))
        ).first()
        if application is None:
            raise NotFound()
        svc.founding_decide(
            application=application,
            approve=action == "approve",
            reason=post.get("reason", ""),
            actor=request.user,
        )
        done = (
            _("Approved: %(name)s is now a founding member.")
            if action == "approve"
            else _("Rejected: %(name)s was told the reason.")
        )
        messages.success(request, done % {"name": application.member.display_name})
        return f"{here}?{urlencode({'q': post.get('q', '')[:50]})}"
    if action == "grant" and may["grant"]:
        found = Member.objects.filter(
            community=community, closed_at__isnull=True, pk=_int(post.get("member"))
        ).first()
        if found is None:
            raise NotAMember()
        svc.founding_grant(member=found, reason=post.get("reason", ""), actor=request.user)
        messages.success(
            request, _("%(name)s is now a founding member.") % {"name": found.display_name}
        )
        return here
    return ""


def _membership_view(membership: Membership | None) -> dict[str, Any] | None:
    if membership is None:
        return None
    return {
        "m": membership,
        "fee": _yuan(membership.fee_fen),
        "plan": membership.get_plan_display(),
        "status": membership.get_status_display(),
        "full_refund_until": full_refund_until(membership),
        "entitlements": list(membership.entitlements.order_by("kind")),
    }


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    if member is None or member.closed_at is not None:
        return render(request, "members/mine.html", {"member": None})
    context: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            with audit_ip(_ip(request)):
                if action == "identity":
                    member = svc.member_verify_identity(
                        member=member,
                        real_name=request.POST.get("real_name", ""),
                        id_number=request.POST.get("id_number", ""),
                        consents=request.POST.get("consents") == "on",
                    )
                elif action == "apply":
                    svc.membership_apply(
                        member=member,
                        plan=request.POST.get("plan", "individual"),
                        charter_version=_int(request.POST.get("charter_version")),
                        accepts_charter=request.POST.get("accepts_charter") == "on",
                    )
                elif action == "marketing":
                    svc.marketing_set(member=member, opt_in=request.POST.get("opt_in") == "1")
                elif action == "admission":
                    svc.admission_apply(
                        member=member,
                        interests=request.POST.get("interests", ""),
                        skills=request.POST.get("skills", "").replace("，", ",").split(",")[:21],
                        willing_to_serve=request.POST.get("willing") == "on",
                    )
                elif action == "points":
                    awaiting = membership_open(member=member)
                    if awaiting is not None:
                        svc.fee_pay_with_points(
                            membership=awaiting,
                            idempotency_key=request.POST.get("key", "")[:100],
                            actor=request.user,
                        )
                elif action == "gift":
                    svc.gift_pack_claim(member=member, store_name=request.POST.get("store", ""))
                elif action == "refund":
                    _refund_mine(request, member)
                elif action == "close" and request.POST.get("confirm") == "on":
                    svc.member_close(member=member)
                    logout(request)
                    return redirect("web:home")
            if "error" not in context:
                return redirect("members:mine")
        except DomainError as error:
            context["error"] = error.render(request.LANGUAGE_CODE)
            context["error_for"] = action
    community = member.community
    policy = policy_in_force(community=community)
    number = pii.decrypt(member.id_number_cipher)
    running = membership_current(member=member, today=timezone.localdate())
    try:
        current_charter = charter_current(community=community)
    except DomainError:
        current_charter = None
    context.update(
        {
            "member": member,
            "community": community,
            "policy": policy,
            "phone": pii.decrypt(member.phone_cipher),
            "id_masked": pii.mask_id_number(number) if number else "",
            "current": _membership_view(running),
            "refund_offer": _refund_offer(member, running),
            "confirm_refund": request.GET.get("confirm") == "refund",
            "awaiting": _membership_view(membership_open(member=member)),
            "charter": current_charter,
            "fee": _yuan(policy.member_fee_fen),
            "family_fee": _yuan(policy.family_package_fee_fen)
            if policy.family_package_fee_fen
            else "",
            "notices": [(n, notice_text(n)) for n in member.notices.order_by("-id")[:5]],
            "needs_admission": policy.admission_review_required
            and not AdmissionApplication.objects.filter(member=member, status="approved").exists(),
            "admission": AdmissionApplication.objects.filter(member=member).order_by("-id").first(),
            "tier": Tier(member.tier).label if member.tier in Tier.values else "",
            "lease_position": shop_lease_position(member=member),
            "gift": GiftPack.objects.filter(household_id=member.household_id).first()
            if member.household_id
            else None,
            "gift_value": _yuan(policy.new_member_gift_value_fen),
            "gift_price": _yuan(policy.new_member_gift_price_fen),
            "points_can_pay": "PTS" in (policy.spend_reward_asset, policy.referral_reward_asset),
            "points_key": uuid.uuid4(),
            # receipts: a PDF for every membership fee paid
            "fee_receipts": Membership.objects.filter(
                member=member, payment__isnull=False
            ).order_by("-id"),
        }
    )
    return render(request, "members/mine.html", context)


def _refund_offer(member: Any, membership: Membership | None) -> dict[str, Any] | None:
    """The self-service refund the member may ask for now, or None (not theirs, window over)."""
    if membership is None:
        return None
    try:
        amount = svc.self_refund_quote(member=member, membership=membership)
    except DomainError:
        return None
    return {"m": membership, "amount": _yuan(amount), "until": full_refund_until(membership)}


def _refund_mine(request: HttpRequest, member: Any) -> None:
    """Confirmed on the page: refund the member's own running membership."""
    membership = Membership.objects.filter(
        member=member, pk=_int(request.POST.get("membership"))
    ).first()
    if membership is None:
        raise NotYourMembership()
    refund = svc.membership_refund_self(member=member, membership=membership)
    messages.success(
        request,
        _("Your membership fee of %(amount)s yuan was refunded. Your membership has ended.")
        % {"amount": _yuan(refund.amount_fen)},
    )


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    link = request.build_absolute_uri(
        f"/c/{member.community.slug}/join/?ref={member.referral_code or ''}"
    )
    return render(
        request,
        "members/referrals.html",
        {
            "member": member,
            "rows": referrals_of(member=member),
            "link": link,
            "policy": policy_in_force(community=member.community),
        },
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox: unread notices stand out; "mark all read" clears them."""
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    if request.method == "POST" and request.POST.get("action") == "read_all":
        svc.notices_mark_all_read(member=member)
        return redirect("members:inbox")
    notices = [(n, notice_text(n)) for n in member.notices.order_by("-id")[:100]]
    return render(
        request,
        "members/inbox.html",
        {"member": member, "notices": notices, "unread": unread_notices_count(member=member)},
    )


@login_required
def notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    """One notice, opened: from now on it counts as read."""
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    try:
        opened = svc.notice_open(member=member, notice_id=notice_id)
    except DomainError:
        raise Http404 from None
    return render(request, "members/notice.html", {"notice": opened, "text": notice_text(opened)})


def _card_rotate_for(request: HttpRequest, community: Any) -> None:
    """A member lost their phone: the operator replaces their card secret, with a reason."""
    if not has_permission(user=request.user, community=community, action="member.card_rotate"):
        raise Http404
    member = Member.objects.filter(
        community=community, pk=_int(request.POST.get("member")), closed_at__isnull=True
    ).first()
    if member is None:
        raise NotAMember()
    cards.card_rotate(member=member, actor=request.user, reason=request.POST.get("reason", ""))


@login_required
def desk(request: HttpRequest, slug: str) -> HttpResponse:
    """The operators' fee desk: confirm counter payments, refunds, member search (masked)."""
    community = community_or_404(slug)
    user = request.user
    if not has_permission(user=user, community=community, action="member.view_all"):
        raise Http404
    can_operate = has_permission(user=user, community=community, action="member.fee_confirm")
    context: dict[str, Any] = {
        "community": community,
        "can_operate": can_operate,
        "can_rotate": has_permission(user=user, community=community, action="member.card_rotate"),
        "can_dividends": has_permission(
            user=user, community=community, action="member.dividend_approve"
        ),
    }
    if request.method == "POST" and can_operate:
        action = request.POST.get("action")
        membership = Membership.objects.filter(
            community=community, pk=_int(request.POST.get("membership"))
        ).first()
        try:
            if membership is None and action in ("confirm", "refund"):
                raise Http404
            with audit_ip(_ip(request)):
                if action == "confirm" and membership is not None:
                    svc.fee_payment_confirm(
                        membership=membership,
                        amount_fen=membership.fee_fen,
                        method=request.POST.get("method", "cash"),
                        idempotency_key=request.POST.get("key") or str(uuid.uuid4()),
                        actor=user,
                    )
                elif action in ("approve", "decline"):
                    application = AdmissionApplication.objects.filter(
                        community=community, pk=_int(request.POST.get("application"))
                    ).first()
                    if application is None:
                        raise Http404
                    svc.admission_decide(
                        application=application,
                        approve=action == "approve",
                        reason=request.POST.get("reason", ""),
                        actor=user,
                    )
                elif action == "refund" and membership is not None:
                    svc.membership_refund(
                        membership=membership, reason=request.POST.get("reason", ""), actor=user
                    )
                elif action == "card_rotate":
                    _card_rotate_for(request, community)
            return redirect("members:desk", slug=community.slug)
        except DomainError as error:
            context["error"] = error.render(request.LANGUAGE_CODE)
    query = request.GET.get("q", "")[:50]
    now = timezone.now()
    active = (
        Membership.objects.filter(
            community=community, status=MembershipStatus.ACTIVE, fee_fen__gt=0
        )
        .select_related("member", "policy")
        .order_by("-paid_at")[:20]
    )
    context.update(
        {
            "query": query,
            "rows": members_search(community=community, query=query, today=timezone.localdate()),
            "awaiting": [
                {"m": m, "fee": _yuan(m.fee_fen), "key": uuid.uuid4()}
                for m in memberships_awaiting_payment(community=community)[:50]
            ],
            "active": [
                {
                    "m": m,
                    "refund": _yuan(refund_amount(membership=m, now=now)[0]),
                    "is_full": refund_amount(membership=m, now=now)[1],
                }
                for m in active
            ],
            "reviews": AdmissionApplication.objects.filter(community=community, status="pending")
            .select_related("member")
            .order_by("id")[:50]
            if can_operate
            else [],
            "audit": AuditEntry.objects.filter(
                community=community,
                action__regex=r"^(member|membership|referral|admission|charter)\.",
            ).order_by("-id")[:20],
            "console": ConsoleSms.objects.filter(community=community).order_by("-id")[:CONSOLE_ROWS]
            if can_operate
            else [],
        }
    )
    return render(request, "members/desk.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """PIPL: everything about me, as JSON."""
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    body = json.dumps(svc.member_export(member=member), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="linli-my-data-{member.id}.json"'
    return response


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    if member is None or member.closed_at is not None:
        raise Http404
    context: dict[str, Any] = {"member": member}
    if request.method == "POST":
        action = request.POST.get("action")
        group = InterestGroup.objects.filter(
            community=member.community, pk=_int(request.POST.get("group"))
        ).first()
        try:
            if action == "create":
                svc.group_create(member=member, name=request.POST.get("name", ""))
            elif group is not None and action == "join":
                svc.group_join(member=member, group=group)
            elif group is not None and action == "leave":
                svc.group_leave(member=member, group=group)
            return redirect("members:groups")
        except DomainError as error:
            context["error"] = error.render(request.LANGUAGE_CODE)
    mine_ids = set(GroupMembership.objects.filter(member=member).values_list("group_id", flat=True))
    policy = policy_in_force(community=member.community)
    rows = [
        {"g": g, "size": g.members.count(), "is_mine": g.id in mine_ids}
        for g in InterestGroup.objects.filter(community=member.community).order_by("name")[:200]
    ]
    for row in rows:
        row["has_discount"] = row["size"] >= policy.interest_group_min_members
    context.update({"rows": rows, "policy": policy})
    return render(request, "members/groups.html", context)


def phone_login(request: HttpRequest) -> HttpResponse:
    """Log in with phone + SMS code: members who joined by phone have no password."""
    form = {"phone": request.POST.get("phone", "")}
    context: dict[str, Any] = {"form": form, "step": "phone", "console_note": CONSOLE_NOTE}
    if request.method == "POST":
        try:
            if request.POST.get("step") == "phone":
                sent = svc.sms_code_request(phone=form["phone"], ip=_ip(request), purpose="login")
                context.update(step="code", sent=sent)
            else:
                context["step"] = "code"
                member = svc.member_login_with_code(
                    phone=form["phone"], code=request.POST.get("code", "")
                )
                login(request, member.user, backend=MODEL_BACKEND)
                return redirect("members:mine")
        except DomainError as error:
            context["error"] = error.render(request.LANGUAGE_CODE)
    context["is_console"] = getattr(sms_sender(), "is_console", False)
    return render(request, "members/phone_login.html", context)
