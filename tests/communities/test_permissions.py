"""The permission table, written out by hand: role × action → allowed or denied.

Not derived from linli.communities.permissions.PERMISSIONS, so a change there that is
not also made here fails.
"""

import pytest

from linli.communities.models import Role
from linli.communities.permissions import (
    PERMISSIONS,
    UnknownAction,
    has_permission,
    require_permission,
)
from linli.errors import Forbidden
from tests.factories import make_community, make_role, make_user

OP, AUD, MEM, BOSS, CASH = "operator", "auditor", "member", "merchant_owner", "cashier"

# action: (operator, auditor, member, merchant_owner, cashier)
TABLE = {
    # Merchant alliance: the role-level rows; the object-level rules (own merchant, the
    # chair) are tested in tests/merchants/test_permissions.py.
    "merchant.apply":            (False, False, True,  False, False),
    "merchant.review":           (True,  False, False, False, False),
    "merchant.console":          (False, False, False, True,  True),
    "merchant.staff_manage":     (False, False, False, True,  False),
    "merchant.complaint_file":   (False, False, True,  False, False),
    "merchant.complaint_answer": (False, False, False, True,  False),
    "merchant.complaint_decide": (True,  False, False, False, False),
    "merchant.rate":             (False, False, True,  False, False),
    "merchant.violation_record": (True,  False, False, False, False),
    "merchant.deposit_top_up":   (True,  False, False, False, False),
    "merchant.industry_manage":  (True,  False, False, False, False),
    "merchant.oversee":          (True,  True,  False, False, False),
    "merchant.offer_publish":    (False, False, False, True,  False),
    "merchant.rota_manage":      (True,  False, False, False, False),
    "merchant.quarter_close":    (True,  False, False, False, False),
    "merchant.hearing_decide":   (True,  False, False, False, False),
    "merchant.waitlist_respond": (False, False, True,  False, False),
    "merchant.debt_settle":      (True,  False, False, False, False),
    "merchant.exit_notice":      (False, False, False, True,  False),
    "merchant.exits_view":      (True,  False, False, False, False),
    "merchant.exit_record":     (True,  False, False, False, False),
    "community.view":        (True,  True,  True,  True,  True),
    "community.manage":      (True,  False, False, False, False),
    "role.manage":           (True,  False, False, False, False),
    "policy.view":           (True,  True,  True,  True,  True),
    "policy.create":         (True,  False, False, False, False),
    "ledger.view_own":       (True,  True,  True,  True,  True),
    "ledger.view_all":       (True,  True,  False, False, False),
    "ledger.post_manual":    (True,  False, False, False, False),
    "ledger.reverse":        (True,  False, False, False, False),
    "ledger.hold_manage":    (True,  False, False, False, False),
    "audit.view":            (True,  True,  False, False, False),
    "checkpoint.create":     (True,  False, False, False, False),
    "report.view_financial": (True,  True,  True,  True,  False),
    "sale.record":           (False, False, False, True,  True),
    "bundle.manage":         (True,  False, False, False, False),
    "bundle.buy":            (False, False, True,  False, False),
    "bundle.redeem":         (False, False, False, True,  True),
    "member_price.set":      (False, False, False, True,  False),
    "member_price.group_link": (True, False, False, False, False),
    "coupon.manage":         (False, False, False, True,  False),
    "campaign.manage":       (True,  False, False, False, False),
    "sale.view_shop":        (False, False, False, True,  True),
    "sale.settlement":       (False, False, False, True,  False),
    "sale.log":              (False, False, False, True,  False),
    "sale.anomalies":        (True,  True,  False, False, False),
    "receipt.view_any":      (True,  True,  False, False, False),
    "member.view_all":       (True,  True,  False, False, False),
    "member.fee_confirm":    (True,  False, False, False, False),
    "member.refund":         (True,  False, False, False, False),
    "member.founding_grant": (True,  False, False, False, False),
    "member.founding_apply": (False, False, True,  False, False),
    "member.founding_review": (True, False, False, False, False),
    "member.charter_publish": (True, False, False, False, False),
    "member.sms_console":    (True,  False, False, False, False),
    "member.review":         (True,  False, False, False, False),
    "member.card_rotate":    (True,  False, False, False, False),
    "member.dividend_propose": (True, False, False, False, False),
    "member.dividend_approve": (True, False, False, False, False),
    "groupbuy.create":       (True,  False, False, True,  False),
    "groupbuy.settle":       (True,  False, False, False, False),
    "groupbuy.pledge":       (False, False, True,  False, False),
    "wallet.cash_top_up":    (True,  False, False, False, False),
    "adslot.manage":         (True,  False, False, False, False),
    "adslot.book":           (False, False, False, True,  False),
    "household.manage":      (False, False, True,  False, False),
    "household.answer":      (False, False, True,  False, False),
}  # fmt: skip
ROLES = (OP, AUD, MEM, BOSS, CASH)
CASES = [
    pytest.param(role, action, row[i], id=f"{role}-{action}")
    for action, row in TABLE.items()
    for i, role in enumerate(ROLES)
]


def test_the_table_covers_every_action_and_role():
    assert set(TABLE) == set(PERMISSIONS)
    assert set(ROLES) == set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "allowed"), CASES)
def test_role_action(role, action, allowed):
    community = make_community("A")
    user = make_user()
    make_role(user, community, role)
    assert has_permission(user=user, community=community, action=action) is allowed
    if allowed:
        require_permission(user=user, community=community, action=action)
    else:
        with pytest.raises(Forbidden):
            require_permission(user=user, community=community, action=action)


@pytest.mark.django_db
def test_a_role_in_one_community_grants_nothing_in_another():
    home, elsewhere = make_community("A"), make_community("B")
    user = make_user()
    make_role(user, home, Role.OPERATOR)
    assert has_permission(user=user, community=home, action="ledger.view_all")
    assert not has_permission(user=user, community=elsewhere, action="community.view")


@pytest.mark.django_db
def test_superusers_are_not_operators_without_a_role():
    """Tenancy: platform superusers use the Django admin; communities need a role row."""
    community = make_community("A")
    root = make_user(is_superuser=True, is_staff=True)
    assert not has_permission(user=root, community=community, action="ledger.view_all")
    make_role(root, community, Role.AUDITOR)
    assert has_permission(user=root, community=community, action="ledger.view_all")
    assert not has_permission(user=root, community=community, action="policy.create")


@pytest.mark.django_db
def test_anonymous_and_deactivated_people_have_no_permissions():
    from django.contrib.auth.models import AnonymousUser

    community = make_community("A")
    user = make_user()
    make_role(user, community, Role.OPERATOR)
    user.is_active = False
    user.save()
    assert not has_permission(user=user, community=community, action="community.view")
    assert not has_permission(user=AnonymousUser(), community=community, action="community.view")
    assert not has_permission(user=None, community=community, action="community.view")


@pytest.mark.django_db
def test_an_unknown_action_is_a_programming_error_not_a_denial():
    community = make_community("A")
    with pytest.raises(UnknownAction):
        has_permission(user=make_user(), community=community, action="ledger.veiw_all")
