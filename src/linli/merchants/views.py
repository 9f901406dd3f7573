"""The merchant alliance's pages (thin): public list, apply, committee, merchant console.

Phone first; errors are shown inline in the form they came from. Who may see what is
decided in `access.py`, as for the API.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from linli.communities.models import Community
from linli.communities.selectors import community_get, policy_in_force
from linli.errors import DomainError, Forbidden
from linli.ledger.display import amount_display
from linli.merchants import access, selectors
from linli.merchants.models import Complaint, ComplaintStatus, MerchantStaff, Violation
from linli.merchants.services import (
    application_reject,
    application_submit,
    industries_ensure,
    merchant_admit,
    staff_add,
)
from linli.merchants.trust import complaint_answer


def _community_or_404(slug: str) -> Community:
    try:
        return community_get(slug=slug)
    except DomainError:
        raise Http404 from None


def _message(error: DomainError) -> str:
    return error.render(get_language() or "zh-hans")


def _yuan(fen: int) -> str:
    return amount_display(fen, "CNY")


def public_merchants(request: HttpRequest, slug: str) -> HttpResponse:
    """Member merchants by trade, published violations and the red list (no login)."""
    community = _community_or_404(slug)
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
        )
    }


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community_or_404(slug)
    if not access.can(user=request.user, community=community, action="merchant.apply"):
        raise Forbidden()
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
            )
        except DomainError as exc:
            error = _message(exc)
    context = {
        "community": community,
        "tree": selectors.industry_tree(community=community),
        "error": error,
        "values": values,
        "submitted": submitted,
        "policy": policy_in_force(community=community),
        "yuan": _yuan,
    }
    return render(request, "merchants/apply.html", context, status=400 if error else 200)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def committee(request: HttpRequest, slug: str) -> HttpResponse:
    """The chair's and operators' page: applications to review, the lights, the chair."""
    community = _community_or_404(slug)
    can_review = access.can(user=request.user, community=community, action="merchant.review")
    can_oversee = access.can(user=request.user, community=community, action="merchant.oversee")
    if not (can_review or can_oversee):
        raise Forbidden()
    error = ""
    if request.method == "POST":
        if not can_review:
            raise Forbidden()
        try:
            application = selectors.application_get(
                community=community, application_id=_int(request.POST.get("application"))
            )
            if request.POST.get("decision") == "admit":
                merchant_admit(application=application, actor=request.user)
            else:
                application_reject(
                    application=application,
                    actor=request.user,
                    note=request.POST.get("note", ""),
                )
            return redirect("merchants:committee", slug=community.slug)
        except DomainError as exc:
            error = _message(exc)
    lights = []
    if can_oversee:
        lights = [
            (m, selectors.traffic_light(merchant=m))
            for m in selectors.merchants_seated(community=community)
        ]
    context = {
        "community": community,
        "error": error,
        "can_review": can_review,
        "applications": selectors.applications_pending(community=community),
        "chair": selectors.chair_for_month(community=community),
        "lights": lights,
    }
    return render(request, "merchants/committee.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest, slug: str) -> HttpResponse:
    """The merchant's phone-first console: light, duties, sales, deposit, complaints, staff."""
    community = _community_or_404(slug)
    job = selectors.staff_merchant(user=request.user, community=community)
    if job is None:
        raise Forbidden()
    merchant, role = job
    access.require(
        user=request.user, community=community, action="merchant.console", merchant=merchant
    )
    error = ""
    if request.method == "POST":
        try:
            _console_post(request, community, merchant)
            return redirect("merchants:console", slug=community.slug)
        except DomainError as exc:
            error = _message(exc)
    now = timezone.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    policy = policy_in_force(community=community)
    context = {
        "community": community,
        "merchant": merchant,
        "role": role,
        "error": error,
        "light": selectors.traffic_light(merchant=merchant, now=now),
        "sales_fen": _yuan(
            selectors.sales_amount_fen(merchant=merchant, since=month_start, until=now)
        ),
        "referrals": selectors.referrals_in_month(merchant=merchant, month=now.date()),
        "referrals_needed": policy.merchant_min_referrals_per_month,
        "deposit_held": _yuan(selectors.deposit_held_fen(merchant=merchant)),
        "deposit_required": _yuan(merchant.deposit_required_fen),
        "complaints": Complaint.objects.filter(
            merchant=merchant, status__in=[ComplaintStatus.OPEN, ComplaintStatus.ANSWERED]
        ),
        "staff": MerchantStaff.objects.filter(merchant=merchant).select_related("user"),
        "is_owner": role == "owner",
        "is_chair": selectors.is_chair(user=request.user, community=community),
    }
    return render(request, "merchants/console.html", context, status=400 if error else 200)


def _console_post(request: HttpRequest, community: Community, merchant: Any) -> None:
    action = request.POST.get("action")
    if action == "staff_add":
        access.require(
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
    elif action == "answer":
        access.require(
            user=request.user,
            community=community,
            action="merchant.complaint_answer",
            merchant=merchant,
        )
        complaint = Complaint.objects.filter(
            merchant=merchant, id=_int(request.POST.get("complaint")) or 0
        ).first()
        if complaint is None:
            raise Forbidden()
        complaint_answer(
            complaint=complaint, answer=request.POST.get("answer", ""), actor=request.user
        )
    else:
        raise Forbidden()
