"""Who may do what in a community: the permission table as data, and the one check.

Roles are per community (`CommunityRole`); a superuser has no implicit role anywhere,
because one operator's staff must not see another community's books (tenancy). The
Django admin keeps its own, separate permission system for the platform's staff.

Other apps add their actions to `PERMISSIONS` here, so the whole table stays in one
place and is tested as a table (tests/communities/test_permissions.py).
"""

from typing import Any

from django.db.models import Exists

from linli.communities.models import Community, CommunityRole, Role
from linli.errors import Forbidden

OPERATOR, AUDITOR, MEMBER = Role.OPERATOR.value, Role.AUDITOR.value, Role.MEMBER.value
MERCHANT_OWNER, CASHIER = Role.MERCHANT_OWNER.value, Role.CASHIER.value
EVERYONE = frozenset(Role.values)
OVERSIGHT = frozenset({OPERATOR, AUDITOR})  # B§3.1: 居委会/业委会 read the books

PERMISSIONS: dict[str, frozenset[str]] = {
    "community.view": EVERYONE,
    "community.manage": frozenset({OPERATOR}),
    "role.manage": frozenset({OPERATOR}),
    "policy.view": EVERYONE,
    "policy.create": frozenset({OPERATOR}),
    # Everyone with a role may read their own statement (SPEC §6).
    "ledger.view_own": EVERYONE,
    "ledger.view_all": OVERSIGHT,
    "ledger.post_manual": frozenset({OPERATOR}),
    "ledger.reverse": frozenset({OPERATOR}),
    "ledger.hold_manage": frozenset({OPERATOR}),
    "audit.view": OVERSIGHT,
    "checkpoint.create": frozenset({OPERATOR}),
    # Financial reports are public to members and auditors (B§3.1).
    "report.view_financial": frozenset({OPERATOR, AUDITOR, MEMBER, MERCHANT_OWNER}),
    "sale.record": frozenset({MERCHANT_OWNER, CASHIER}),
    # Bundles (linli.commerce.bundles): composed by the operator, bought by members,
    # redeemed piece by piece at the merchant's till (own merchant's pieces only).
    "bundle.manage": frozenset({OPERATOR}),
    "bundle.buy": frozenset({MEMBER}),
    "bundle.redeem": frozenset({MERCHANT_OWNER, CASHIER}),
    # Member price at the till (linli.commerce.member_prices).
    "member_price.set": frozenset({MERCHANT_OWNER}),  # own merchant only
    "member_price.group_link": frozenset({OPERATOR}),
    # Coupons (linli.commerce.coupons): members claim their own without an entry here.
    "coupon.manage": frozenset({MERCHANT_OWNER}),  # own merchant only: coupons, prices
    "campaign.manage": frozenset({OPERATOR}),  # cross-store campaigns and their dry run
    # The shop's back office (linli.commerce.reports), own shop only; a cashier sees the
    # sales they recorded, the owner all of the shop's sales, the settlement and the log.
    "sale.view_shop": frozenset({MERCHANT_OWNER, CASHIER}),
    "sale.settlement": frozenset({MERCHANT_OWNER}),
    "sale.log": frozenset({MERCHANT_OWNER}),
    "sale.anomalies": OVERSIGHT,  # + the merchant committee's chair
    # Any sale's receipt (page, 58 mm, PDF); the member sees their own and the shop's
    # staff their shop's without an entry here (linli.commerce.selectors.sale_for_viewer).
    "receipt.view_any": OVERSIGHT,
    # Merchant alliance (linli.merchants). The chair of the merchant committee is not a
    # role but a monthly rotation: linli.merchants.access adds it where noted.
    "merchant.apply": frozenset({MEMBER}),
    "merchant.review": frozenset({OPERATOR}),  # + the chair
    "merchant.console": frozenset({MERCHANT_OWNER, CASHIER}),  # own merchant only
    "merchant.staff_manage": frozenset({MERCHANT_OWNER}),  # own merchant only
    "merchant.complaint_file": frozenset({MEMBER}),
    "merchant.complaint_answer": frozenset({MERCHANT_OWNER}),  # own merchant only
    "merchant.complaint_decide": frozenset({OPERATOR}),  # + the chair
    "merchant.rate": frozenset({MEMBER}),
    "merchant.violation_record": frozenset({OPERATOR}),  # + the chair
    "merchant.deposit_top_up": frozenset({OPERATOR}),  # cash taken at the counter
    "merchant.industry_manage": frozenset({OPERATOR}),
    "merchant.oversee": OVERSIGHT,  # traffic lights, deposits, the ranking
    "merchant.offer_publish": frozenset({MERCHANT_OWNER}),  # own merchant only
    "merchant.rota_manage": frozenset({OPERATOR}),  # + the chair
    "merchant.quarter_close": frozenset({OPERATOR}),
    "merchant.hearing_decide": frozenset({OPERATOR}),  # + the chair
    "merchant.waitlist_respond": frozenset({MEMBER}),  # own waiting-list entry only
    "merchant.debt_settle": frozenset({OPERATOR}),  # cash taken at the counter
    # Issue 5: the owner gives (or withdraws) its own shop's notice to leave the alliance.
    "merchant.exit_notice": frozenset({MERCHANT_OWNER}),  # own merchant only
    # The committee's list of shops serving notice, and an operator recording a shop's
    # notice on its behalf (with a reason, audited; linli.merchants.leaving).
    "merchant.exits_view": frozenset({OPERATOR}),  # + the chair
    "merchant.exit_record": frozenset({OPERATOR}),
    # Membership (linli.members): a member's own data needs no entry here.
    "member.view_all": OVERSIGHT,  # masked phone and ID only
    "member.fee_confirm": frozenset({OPERATOR}),
    "member.refund": frozenset({OPERATOR}),
    "member.founding_grant": frozenset({OPERATOR}),
    # Founding places applied for online: a resident applies, an operator reviews.
    "member.founding_apply": frozenset({MEMBER}),
    "member.founding_review": frozenset({OPERATOR}),
    "member.charter_publish": frozenset({OPERATOR}),
    "member.sms_console": frozenset({OPERATOR}),
    "member.review": frozenset({OPERATOR}),  # B§1.1 admission review
    # A lost phone: replace a member's card secret (commerce.cards.card_rotate); members
    # replace their own without an entry here.
    "member.card_rotate": frozenset({OPERATOR}),
    # A§3.2 diamond dividend of a closed quarter, once the assembly approved it: one
    # operator proposes, a different one approves or rejects (enforced in the service).
    "member.dividend_propose": frozenset({OPERATOR}),
    "member.dividend_approve": frozenset({OPERATOR}),
    # Group buying and ad slots (linli.commerce.groupbuys / ads): own merchant only.
    "groupbuy.create": frozenset({MERCHANT_OWNER, OPERATOR}),  # operator: for a supplier
    "groupbuy.settle": frozenset({OPERATOR}),  # close at the deadline by hand
    "groupbuy.pledge": frozenset({MEMBER}),
    "wallet.cash_top_up": frozenset({OPERATOR}),  # operator-confirmed cash at the desk
    "adslot.manage": frozenset({OPERATOR}),
    "adslot.book": frozenset({MERCHANT_OWNER}),
    # Household cards (linli.commerce.household): the family package's holder manages the
    # covered members and their printed cards (own package only); every member answers
    # their own invitations and sees their own household page.
    "household.manage": frozenset({MEMBER}),
    "household.answer": frozenset({MEMBER}),
}


class UnknownAction(LookupError):
    """A programming error: the action is not in the table (a typo must not mean "deny")."""


def roles_of(*, user: Any, community: Community) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    found = CommunityRole.objects.filter(user=user, community=community)
    return frozenset(found.values_list("role", flat=True))


def has_permission(*, user: Any, community: Community, action: str) -> bool:
    """True when one of the user's roles in this community allows `action`."""
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise UnknownAction(action)
    return not allowed.isdisjoint(roles_of(user=user, community=community))


def permission_exists(*, user: Any, community_id: Any, action: str) -> Exists:
    """`has_permission` as an SQL expression (community_id may be an `OuterRef`), so a hot
    path can check the table inside the query that reads what it needs anyway. The caller
    still refuses anonymous and inactive users, as `roles_of` does."""
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise UnknownAction(action)
    return Exists(
        CommunityRole.objects.filter(user=user, community_id=community_id, role__in=allowed)
    )


def require_permission(*, user: Any, community: Community, action: str) -> None:
    if not has_permission(user=user, community=community, action=action):
        raise Forbidden()
