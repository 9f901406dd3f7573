"""The operators' diamond dividend page (maker-checker, A§3.2): proposals per quarter with
their status, frozen shares and residue; a dry-run preview before proposing; approve or
reject by a different operator. Every write calls the services in `services/diamond.py`;
refusals (`dividend_needs_two_people`, `dividend_proposal_stale`, …) show inline."""

from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from linli.communities.audit import audit_ip
from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.errors import DomainError
from linli.ledger.display import amount_display
from linli.members import pii
from linli.members import services as svc
from linli.members.models import DiamondDividendProposal, Member
from linli.members.services.diamond import POOL_MAX_FEN, InvalidDividend
from linli.web.pages import community_or_404, error_message

POOL_NOT_YUAN = gettext_lazy(
    "Give the pool in yuan with at most two decimals, more than 0 and at most 100 billion."
)


def _yuan(fen: int) -> str:
    return amount_display(fen, "CNY")


def _pool_fen(text: str) -> int:
    """The pool as typed in yuan (at most two decimals) → fen; anything else is refused."""
    try:
        value = Decimal((text or "").strip()) * 100
    except (InvalidOperation, ValueError):
        raise InvalidDividend(POOL_NOT_YUAN) from None
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidDividend(POOL_NOT_YUAN)
    if not 0 < value <= POOL_MAX_FEN:
        raise InvalidDividend(POOL_NOT_YUAN)
    return int(value)


def _proposal(community: Community, text: str) -> DiamondDividendProposal:
    text = (text or "").strip()
    proposal_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0
    found = DiamondDividendProposal.objects.filter(community=community, pk=proposal_id).first()
    if found is None:
        raise Http404
    return found


def _row(proposal: DiamondDividendProposal, names: dict[int, str], user: Any) -> dict[str, Any]:
    return {
        "p": proposal,
        "pool": _yuan(proposal.pool_fen),
        "residue": _yuan(proposal.residue_fen),
        "shares": [
            {"name": pii.mask_name(names.get(member_id, "")), "amount": _yuan(amount)}
            for member_id, amount in proposal.shares
        ],
        "mine": proposal.proposed_by_id == user.pk,
    }


def _quarters(community: Community, user: Any) -> list[dict[str, Any]]:
    """Proposals grouped by quarter, newest quarter first; each quarter's newest first."""
    proposals = list(
        DiamondDividendProposal.objects.filter(community=community)
        .select_related("proposed_by", "decided_by")
        .order_by("-quarter", "-id")[:200]
    )
    member_ids = {member_id for p in proposals for member_id, _amount in p.shares}
    names = dict(Member.objects.filter(pk__in=member_ids).values_list("id", "display_name"))
    return [
        {"quarter": quarter, "rows": [_row(p, names, user) for p in group]}
        for quarter, group in groupby(proposals, key=lambda p: p.quarter)
    ]


def _preview(community: Community, post: Any) -> dict[str, Any]:
    pool_fen = _pool_fen(post.get("pool", ""))
    plan = svc.diamond_dividend_preview(
        community=community,
        quarter=post.get("quarter", ""),
        pool_fen=pool_fen,
        approval_ref=post.get("approval_ref", ""),
    )
    return {
        "pool": _yuan(pool_fen),
        "pool_text": post.get("pool", "").strip(),
        "residue": _yuan(plan.residue_fen),
        "shares": [
            {"name": pii.mask_name(m.display_name), "amount": _yuan(amount)}
            for m, amount in plan.shares
        ],
    }


def _write(request: HttpRequest, community: Community, action: str) -> None:
    post, user = request.POST, request.user
    with audit_ip(request.META.get("REMOTE_ADDR")):
        if action == "propose":
            proposal = svc.diamond_dividend_propose(
                community=community,
                quarter=post.get("quarter", ""),
                pool_fen=_pool_fen(post.get("pool", "")),
                approval_ref=post.get("approval_ref", ""),
                actor=user,
            )
            messages.success(
                request,
                _("Proposed %(q)s; a second operator approves it.") % {"q": proposal.quarter},
            )
        elif action == "approve":
            dividend = svc.diamond_dividend_approve(
                proposal=_proposal(community, post.get("proposal", "")), actor=user
            )
            messages.success(request, _("%(q)s paid.") % {"q": dividend.quarter})
        elif action == "reject":
            rejected = svc.diamond_dividend_reject(
                proposal=_proposal(community, post.get("proposal", "")),
                reason=post.get("reason", ""),
                actor=user,
            )
            messages.success(request, _("%(q)s rejected.") % {"q": rejected.quarter})
        else:
            raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def dividends(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    user = request.user
    can_propose = has_permission(user=user, community=community, action="member.dividend_propose")
    can_decide = has_permission(user=user, community=community, action="member.dividend_approve")
    if not (can_propose or can_decide):
        raise Http404
    context: dict[str, Any] = {
        "community": community,
        "can_propose": can_propose,
        "can_decide": can_decide,
        "form": request.POST if request.method == "POST" else {},
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("preview", "propose") and not can_propose:
            raise Http404
        if action in ("approve", "reject") and not can_decide:
            raise Http404
        try:
            if action == "preview":
                context["preview"] = _preview(community, request.POST)
            else:
                _write(request, community, action)
                return redirect("members:dividends", slug=community.slug)
        except DomainError as error:
            context["error"] = error_message(error)
            context["error_code"] = error.code
            context["error_proposal"] = request.POST.get("proposal", "")
    context["quarters"] = _quarters(community, user)
    return render(request, "members/dividends.html", context)
