"""The ledger's pages: the public checkpoint page and a member's own accounts (thin views).

Who sees what is decided in `access.py`, as for the API.
"""

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from linli.ledger import access
from linli.ledger.display import amount_display
from linli.ledger.evidence import evidence_bundle
from linli.ledger.models import Account, AccountKind, Checkpoint
from linli.ledger.selectors import account_balances, account_statement
from linli.ledger.services.checkpoints import community_verifier_key
from linli.members.selectors import member_for_user
from linli.web.pages import community_or_404

CHECKPOINTS_PER_PAGE = 20
STATEMENT_PAGE_SIZE = 20


def _asset_label(asset: str) -> str:
    labels = {"CNY": _("yuan"), "TIME": _("time coins"), "PTS": _("points")}
    return labels.get(asset, asset)


def public_ledger(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    checkpoints = Checkpoint.objects.filter(community=community).order_by("-tree_size")
    page = Paginator(checkpoints, CHECKPOINTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "community": community,
        "page": page,
        "verifier_key": community_verifier_key(community),
    }
    return render(request, "ledger/public.html", context)


def checkpoint_note(request: HttpRequest, slug: str, tree_size: int) -> HttpResponse:
    community = community_or_404(slug)
    checkpoint = Checkpoint.objects.filter(community=community, tree_size=tree_size).first()
    if checkpoint is None:
        raise Http404
    response = HttpResponse(checkpoint.signed_note, content_type="text/plain; charset=utf-8")
    filename = f"linli-checkpoint-{community.slug}-{tree_size}.txt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _account_row(account: Account) -> dict[str, Any]:
    balance = account_balances(account=account)
    return {
        "account": account,
        "kind": AccountKind(account.kind).label,
        "asset": _asset_label(account.asset_id),
        "posted": amount_display(balance.posted, account.asset_id),
        "available": amount_display(balance.available, account.asset_id),
        "pending": amount_display(balance.pending, account.asset_id),
        "has_pending": balance.pending != 0 or balance.available != balance.posted,
    }


@login_required
def my_ledger(request: HttpRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    rows: list[dict[str, Any]] = []
    if member is not None:
        accounts = access.accounts_of_actor(community=member.community, actor=request.user)
        rows = [_account_row(a) for a in accounts]
    return render(request, "ledger/mine.html", {"member": member, "rows": rows})


def _after(request: HttpRequest) -> int:
    try:
        return max(0, min(int(request.GET.get("after", 0)), 2**62))
    except ValueError:
        return 0


@login_required
def my_statement(request: HttpRequest, account_id: int) -> HttpResponse:
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    own = access.accounts_of_actor(community=member.community, actor=request.user)
    account = own.filter(id=account_id).first()
    if account is None:
        raise Http404
    after = _after(request)
    entries = account_statement(account=account, after_version=after, limit=STATEMENT_PAGE_SIZE)
    lines = [
        {
            "entry": e,
            "delta": amount_display(e.delta, account.asset_id),
            "balance_after": amount_display(e.balance_after, account.asset_id),
            "is_hold": e.pending_delta != 0,
            "pending_delta": amount_display(e.pending_delta, account.asset_id),
        }
        for e in entries
    ]
    context = {
        "row": _account_row(account),
        "lines": lines,
        "next_after": entries[-1].account_version if len(entries) == STATEMENT_PAGE_SIZE else None,
        "is_first_page": after == 0,
    }
    return render(request, "ledger/statement.html", context)


@login_required
def my_evidence(request: HttpRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    community = member.community
    accounts = list(access.accounts_of_actor(community=community, actor=request.user))
    bundle = evidence_bundle(community=community, accounts=accounts)
    body = json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"linli-evidence-{community.slug}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
