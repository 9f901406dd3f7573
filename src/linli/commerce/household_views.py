"""The household page (thin): the family package holder's covered members and their cards,
and every member's own invitations to answer (issue 6 "Household cards")."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from linli.commerce import household
from linli.commerce.household_selectors import household_page
from linli.communities.permissions import has_permission
from linli.errors import DomainError
from linli.members.selectors import member_for_user
from linli.members.services import household as covers
from linli.web.pages import community_or_404, error_message


def _int(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else 0


def _act(request: HttpRequest, member: Any) -> dict[str, Any] | None:
    """Carry out one posted action; a new printed card is returned to show once."""
    action, target = request.POST.get("action", ""), _int(request.POST.get("member"))
    if action in ("accept", "decline"):
        covers.cover_answer(
            member=member, cover_id=_int(request.POST.get("cover")), accept=action == "accept"
        )
    elif action == "invite":
        covers.cover_invite(holder=member, member_id=target)
    elif action == "remove":
        covers.cover_remove(holder=member, member_id=target)
    elif action == "card":
        number, pin, replaced = household.printed_card_renew(
            holder=member, member_id=target, current_last4=request.POST.get("last4", "")
        )
        return {"number": number, "pin": pin, "replaced": replaced}
    return None


@login_required
def household_view(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    member = member_for_user(user=request.user)
    if (
        member is None
        or member.community_id != community.id
        or member.closed_at is not None
        or not has_permission(user=request.user, community=community, action="household.answer")
    ):
        raise Http404
    context: dict[str, Any] = {"community": community}
    if request.method == "POST":
        try:
            issued = _act(request, member)
            if issued is None:
                return redirect("commerce:household", slug=community.slug)
            context["issued"] = issued
        except DomainError as error:
            context["error"] = error_message(error)
    context["page"] = household_page(member=member, today=timezone.localdate())
    return render(request, "commerce/household.html", context)
