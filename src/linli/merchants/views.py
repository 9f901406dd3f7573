"""The merchant alliance's pages (thin): public list, apply, committee, merchant console.

Phone first; errors are shown inline in the form they came from. Who may see what is
decided in `access.py`, as for the API.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from linli.communities.models import Community
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError
from linli.ledger.display import amount_display
from linli.merchants import access, selectors
from linli.merchants.duties import merchant_day_set, month_bounds, offer_check, offer_publish
from linli.merchants.models import (
    Complaint,
    ComplaintStatus,
    DutyReminder,
    Hearing,
    HearingStatus,
    MerchantDay,
    MerchantStaff,
    QuarterlyScore,
    Violation,
)
from linli.merchants.scoring import hearing_decide, quarter_close, quarter_of
from linli.merchants.services import (
    application_reject,
    application_submit,
    industries_ensure,
    merchant_admit,
    staff_add,
)
from linli.merchants.trust import complaint_answer
from linli.merchants.waitlist import waitlist_accept, waitlist_leave
from linli.web.pages import community_or_404, error_message


def _require(**kwargs: Any) -> None:
    """`access.can`, as Django's 403 page rather than an error in the form."""
    if not access.can(**kwargs):
        raise PermissionDenied


def _yuan(fen: int) -> str:
    return amount_display(fen, "CNY")


def public_merchants(request: HttpRequest, slug: str) -> HttpResponse:
    """Member merchants by trade, published violations and the red list (no login)."""
    community = community_or_404(slug)
    seated = list(selectors.merchants_seated(community=community))
    groups: dict[str, list[Any]] = {}
    for merchant in seated:
        top = merchant.industry.parent.name if merchant.industry.parent else ""
        groups.setdefault(top, []).append(merchant)
    context = {
        "community": community,
        "groups": sorted(groups.items()),
        "violations": Violation.objects.filter(community=community).select_related("merchant")[:50],
        "red_list": selectors.red_list(community=community),
        "chair": selectors.chair_for_month(community=community),
        "rota": MerchantDay.objects.filter(community=community).select_related("industry"),
    }
    return render(request, "merchants/public.html", context)


def _application_values(request: HttpRequest) -> dict[str, Any]:
    return {
        name: request.POST.get(name, "")
        for name in (
            "industry",
            "business_name",
            "licence_no",
            "address",
            "lat",
            "lng",
            "contact_phone",
            "waiting_list",
        )
    }


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    if not access.can(user=request.user, community=community, action="merchant.apply"):
        raise PermissionDenied
    industries_ensure(community=community)
    error, values, submitted = "", _application_values(request), None
    if request.method == "POST":
        try:
            industry = selectors.industry_get(
                community=community, industry_id=_int(values["industry"])
            )
            submitted = application_submit(
                community=community,
                applicant=request.user,
                industry=industry,
                business_name=values["business_name"],
                licence_no=values["licence_no"],
                address=values["address"],
                lat=values["lat"],
                lng=values["lng"],
                contact_phone=values["contact_phone"],
                exclusivity_accepted=request.POST.get("exclusivity") == "on",
                join_waiting_list=request.POST.get("waiting_list") == "on",
            )
        except DomainError as exc:
            error = error_message(exc)
    entry = getattr(submitted, "waiting_entry", None) if submitted is not None else None
    context = {
        "community": community,
        "tree": selectors.industry_tree(community=community),
        "error": error,
        "values": values,
        "submitted": submitted,
        "waiting_position": selectors.waitlist_position(entry=entry) if entry else None,
        "policy": policy_in_force(community=community),
        "yuan": _yuan,
    }
    return render(request, "merchants/apply.html", context, status=400 if error else 200)


def _fen(value: Any) -> int:
    """Yuan typed on a phone ("12.5") to fen; anything else is -1, refused by the service."""
    try:
        amount = Decimal(str(value).strip()) * 100
    except (InvalidOperation, ValueError):
        return -1
    if not amount.is_finite() or amount != amount.to_integral_value():
        return -1
    return int(amount)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def committee(request: HttpRequest, slug: str) -> HttpResponse:
    """The chair's and operators' page: applications, hearings, ranking, rota, lights."""
    community = community_or_404(slug)
    can_review = access.can(user=request.user, community=community, action="merchant.review")
    can_oversee = access.can(user=request.user, community=community, action="merchant.oversee")
    if not (can_review or can_oversee):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            _committee_post(request, community)
            return redirect("merchants:committee", slug=community.slug)
        except DomainError as exc:
            error = error_message(exc)
    lights = []
    waiting = [
        (entry, selectors.waitlist_position(entry=entry))
        for entry in selectors.waitlist_queued(community=community)
    ]
    if can_oversee:
        lights = [
            (m, selectors.traffic_light(merchant=m))
            for m in selectors.merchants_seated(community=community)
        ]
    latest = QuarterlyScore.objects.filter(community=community).order_by("-quarter").first()
    ranking = (
        QuarterlyScore.objects.filter(community=community, quarter=latest.quarter).select_related(
            "merchant"
        )
        if latest
        else []
    )
    context = {
        "community": community,
        "error": error,
        "can_review": can_review,
        "can_decide_hearings": access.can(
            user=request.user, community=community, action="merchant.hearing_decide"
        ),
        "can_view_exits": access.can(
            user=request.user, community=community, action="merchant.exits_view"
        ),
        "can_close": access.can(
            user=request.user, community=community, action="merchant.quarter_close"
        ),
        "can_rota": access.can(
            user=request.user, community=community, action="merchant.rota_manage"
        ),
        "applications": selectors.applications_pending(community=community),
        "hearings": Hearing.objects.filter(
            community=community, status=HearingStatus.OPEN
        ).select_related("merchant"),
        "ranking": ranking,
        "quarter": quarter_of(timezone.localdate()),
        "tree": selectors.industry_tree(community=community),
        "rota": MerchantDay.objects.filter(community=community).select_related("industry"),
        "chair": selectors.chair_for_month(community=community),
        "lights": lights,
        "waiting": waiting,
    }
    return render(request, "merchants/committee.html", context, status=400 if error else 200)


def _committee_post(request: HttpRequest, community: Community) -> None:
    action, user = request.POST.get("action", "decide"), request.user
    if action == "decide":
        _require(user=user, community=community, action="merchant.review")
        application = selectors.application_get(
            community=community, application_id=_int(request.POST.get("application"))
        )
        if request.POST.get("decision") == "admit":
            merchant_admit(application=application, actor=user)
        else:
            application_reject(
                application=application, actor=user, note=request.POST.get("note", "")
            )
    elif action == "hearing":
        _require(user=user, community=community, action="merchant.hearing_decide")
        hearing = Hearing.objects.filter(
            community=community, id=_int(request.POST.get("hearing")) or 0
        ).first()
        if hearing is None:
            raise PermissionDenied
        hearing_decide(
            hearing=hearing,
            replace=request.POST.get("decision") == "replace",
            note=request.POST.get("note", ""),
            actor=user,
        )
    elif action == "quarter_close":
        _require(user=user, community=community, action="merchant.quarter_close")
        quarter_close(community=community, quarter=quarter_of(timezone.localdate()), actor=user)
    elif action == "rota":
        _require(user=user, community=community, action="merchant.rota_manage")
        industry = selectors.industry_get(
            community=community, industry_id=_int(request.POST.get("industry"))
        )
        merchant_day_set(
            community=community,
            weekday=_int(request.POST.get("weekday")) or 0,
            industry=industry,
            joint_offer=request.POST.get("joint_offer", ""),
            actor=user,
        )
    else:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest, slug: str) -> HttpResponse:
    """The merchant's phone-first console: light, duties, sales, deposit, complaints, staff."""
    community = community_or_404(slug)
    job = selectors.staff_merchant(user=request.user, community=community)
    if job is None:
        raise PermissionDenied
    merchant, role = job
    _require(user=request.user, community=community, action="merchant.console", merchant=merchant)
    error = ""
    if request.method == "POST":
        try:
            _console_post(request, community, merchant)
            return redirect("merchants:console", slug=community.slug)
        except DomainError as exc:
            error = error_message(exc)
    now = timezone.now()
    today = timezone.localdate(now)
    month_start, month_end = month_bounds(today)
    policy = policy_in_force(community=community)
    context = {
        "community": community,
        "merchant": merchant,
        "role": role,
        "error": error,
        "light": selectors.traffic_light(merchant=merchant, now=now),
        "sales_fen": _yuan(
            selectors.net_sales(merchant=merchant, since=month_start, until=month_end).net_fen
        ),
        "referrals": selectors.referrals_in_month(merchant=merchant, month=today),
        "referrals_needed": policy.merchant_min_referrals_per_month,
        "deposit_held": _yuan(selectors.deposit_held_fen(merchant=merchant)),
        "deposit_required": _yuan(merchant.deposit_required_fen),
        "complaints": Complaint.objects.filter(
            merchant=merchant, status__in=[ComplaintStatus.OPEN, ComplaintStatus.ANSWERED]
        ),
        "staff": MerchantStaff.objects.filter(merchant=merchant).select_related("user"),
        "is_owner": role == "owner",
        "offer": offer_check(merchant=merchant, month=today),
        "reminders": DutyReminder.objects.filter(merchant=merchant)[:6],
        "is_chair": selectors.is_chair(user=request.user, community=community),
        "debt_owed": _yuan(selectors.debt_open_fen(merchant=merchant)),
        "in_debt": selectors.debt_open_fen(merchant=merchant) > 0,
    }
    return render(request, "merchants/console.html", context, status=400 if error else 200)


def _console_post(request: HttpRequest, community: Community, merchant: Any) -> None:
    action = request.POST.get("action")
    if action == "staff_add":
        _require(
            user=request.user,
            community=community,
            action="merchant.staff_manage",
            merchant=merchant,
        )
        staff_add(
            merchant=merchant,
            username=request.POST.get("username", ""),
            password=request.POST.get("password", ""),
            actor=request.user,
        )
    elif action == "offer":
        _require(
            user=request.user,
            community=community,
            action="merchant.offer_publish",
            merchant=merchant,
        )
        offer_publish(
            merchant=merchant,
            month=timezone.localdate(),
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            value_fen=_fen(request.POST.get("value_yuan")),
            actor=request.user,
        )
    elif action == "answer":
        _require(
            user=request.user,
            community=community,
            action="merchant.complaint_answer",
            merchant=merchant,
        )
        complaint = Complaint.objects.filter(
            merchant=merchant, id=_int(request.POST.get("complaint")) or 0
        ).first()
        if complaint is None:
            raise PermissionDenied
        complaint_answer(
            complaint=complaint, answer=request.POST.get("answer", ""), actor=request.user
        )
    else:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def waiting(request: HttpRequest, slug: str) -> HttpResponse:
    """My place in the trades' waiting lists; accept or decline a reopened seat."""
    community = community_or_404(slug)
    if not access.can(user=request.user, community=community, action="merchant.waitlist_respond"):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            entry = selectors.waitlist_entry_get(
                community=community, entry_id=_int(request.POST.get("entry"))
            )
            if request.POST.get("answer") == "accept":
                waitlist_accept(entry=entry, actor=request.user)
            else:
                waitlist_leave(entry=entry, actor=request.user)
            return redirect("merchants:waiting", slug=community.slug)
        except DomainError as exc:
            error = error_message(exc)
    context = {
        "community": community,
        "error": error,
        "entries": selectors.waitlist_of_user(user=request.user, community=community),
    }
    return render(request, "merchants/waiting.html", context, status=400 if error else 200)
