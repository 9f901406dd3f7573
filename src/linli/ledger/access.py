"""Who may see which ledger rows: one selector per entity (STYLE.md "Access checks").

The rule (SPEC §6, B§3.1): everyone with a role in a community sees their own accounts and
the journals that touch them (`ledger.view_own`); operators and auditors see all of their
community's books (`ledger.view_all`). Nobody sees another community's rows: an id from
elsewhere, or a row the caller may not see, is "not found" (404) — never a hint that it exists.
"""

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from linli.communities.models import Community
from linli.communities.permissions import has_permission, require_permission
from linli.ledger import errors
from linli.ledger.models import Account, AccountKind, Journal, JournalStatus, Transfer
from linli.members.models import Member

# A member's wallets are owned by their Member row (docs: Account.owner_type/owner_id).
MEMBER_OWNER_TYPE = "member"


def may_view_all(*, actor: Any, community: Community) -> bool:
    return has_permission(user=actor, community=community, action="ledger.view_all")


def accounts_of_actor(*, community: Community, actor: Any) -> QuerySet[Account]:
    """The caller's own accounts in this community (their member wallets and frozen points),
    in id order."""
    if not getattr(actor, "is_authenticated", False):
        return Account.objects.none()
    member_ids = Member.objects.filter(user=actor, community=community).values_list("id", flat=True)
    return Account.objects.filter(
        community=community,
        kind__in=[AccountKind.MEMBER_WALLET, AccountKind.MEMBER_FROZEN],
        owner_type=MEMBER_OWNER_TYPE,
        owner_id__in=list(member_ids),
    ).order_by("id")


def accounts_visible(*, community: Community, actor: Any, scope: str = "own") -> QuerySet[Account]:
    """`own`: the caller's accounts (needs `ledger.view_own`); `all`: the whole chart
    (needs `ledger.view_all`). Raises Forbidden otherwise."""
    if scope == "all":
        require_permission(user=actor, community=community, action="ledger.view_all")
        return Account.objects.filter(community=community).order_by("id")
    require_permission(user=actor, community=community, action="ledger.view_own")
    return accounts_of_actor(community=community, actor=actor)


def account_get_for_actor(*, community: Community, actor: Any, account_id: int) -> Account:
    """One account of this community the caller may see; AccountNotFound otherwise."""
    require_permission(user=actor, community=community, action="ledger.view_own")
    if may_view_all(actor=actor, community=community):
        found = Account.objects.filter(community=community, id=account_id).first()
    else:
        found = accounts_of_actor(community=community, actor=actor).filter(id=account_id).first()
    if found is None:
        raise errors.AccountNotFound()
    return found


def journal_get_for_actor(*, community: Community, actor: Any, journal_id: uuid.UUID) -> Journal:
    """A journal of this community: all of them for oversight; for anyone else only a posted
    journal with a transfer touching one of their accounts. JournalNotFound otherwise."""
    require_permission(user=actor, community=community, action="ledger.view_own")
    journal = Journal.objects.filter(community=community, id=journal_id).first()
    if journal is None:
        raise errors.JournalNotFound()
    if may_view_all(actor=actor, community=community):
        return journal
    own = accounts_of_actor(community=community, actor=actor).values_list("id", flat=True)
    touches = Transfer.objects.filter(
        Q(debit_account_id__in=own) | Q(credit_account_id__in=own), journal=journal
    ).exists()
    if journal.status != JournalStatus.POSTED or not touches:
        raise errors.JournalNotFound()
    return journal
