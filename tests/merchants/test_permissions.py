"""Role × action for the merchant alliance, written out by hand (STYLE.md: tables).

Columns: the owner and the cashier of merchant M, the owner of another merchant, the
committee's chair of the month (an owner too), an operator, a member, an auditor. Owners
were residents before they applied, so they keep a member's rights (apply, complain, rate);
a cashier's login is only a cashier. Staff actions are asked about merchant M.
"""

import pytest

from linli.communities.models import Role
from linli.merchants.access import can
from linli.merchants.selectors import chair_for_month
from linli.merchants.services import staff_add
from tests.factories import make_member, make_merchant, make_role, make_user

COLUMNS = ("owner", "cashier", "other_merchant", "chair", "operator", "member", "auditor")

# action: (owner, cashier, other merchant, chair, operator, member, auditor)
TABLE = {
    "merchant.apply":            (True,  False, True,  True,  False, True,  False),
    "merchant.review":           (False, False, False, True,  True,  False, False),
    "merchant.console":          (True,  True,  False, False, False, False, False),
    "merchant.staff_manage":     (True,  False, False, False, False, False, False),
    "merchant.complaint_file":   (True,  False, True,  True,  False, True,  False),
    "merchant.complaint_answer": (True,  False, False, False, False, False, False),
    "merchant.complaint_decide": (False, False, False, True,  True,  False, False),
    "merchant.rate":             (True,  False, True,  True,  False, True,  False),
    "merchant.violation_record": (False, False, False, True,  True,  False, False),
    "merchant.deposit_top_up":   (False, False, False, False, True,  False, False),
    "merchant.industry_manage":  (False, False, False, False, True,  False, False),
    "merchant.oversee":          (False, False, False, False, True,  False, True),
    "merchant.offer_publish":    (True,  False, False, False, False, False, False),
    "merchant.rota_manage":      (False, False, False, True,  True,  False, False),
    "merchant.quarter_close":    (False, False, False, False, True,  False, False),
    "merchant.hearing_decide":   (False, False, False, True,  True,  False, False),
    "merchant.waitlist_respond": (True,  False, True,  True,  False, True,  False),
    "merchant.debt_settle":      (False, False, False, False, True,  False, False),
    "merchant.exit_notice":      (True,  False, False, False, False, False, False),
    "merchant.exits_view":      (False, False, False, True,  True,  False, False),
    "merchant.exit_record":     (False, False, False, False, True,  False, False),
}  # fmt: skip


@pytest.fixture
def people(community):
    merchants = [make_merchant(community, code) for code in ("fruit", "barber", "pharmacy")]
    chair = chair_for_month(community=community)
    others = [m for m in merchants if m.id != chair.id]
    mine, other = others
    cashier = staff_add(
        merchant=mine, username="cashier-m", password="a-long-pass-42", actor=mine.owner
    ).user
    operator, auditor = make_user(), make_user()
    make_role(operator, community, Role.OPERATOR)
    make_role(auditor, community, Role.AUDITOR)
    users = {
        "owner": mine.owner,
        "cashier": cashier,
        "other_merchant": other.owner,
        "chair": chair.owner,
        "operator": operator,
        "member": make_member(community).user,
        "auditor": auditor,
    }
    return mine, users


def test_every_merchant_action_is_in_the_table():
    from linli.communities.permissions import PERMISSIONS

    assert set(TABLE) == {a for a in PERMISSIONS if a.startswith("merchant.")}


@pytest.mark.parametrize("action", sorted(TABLE))
def test_role_action_table(community, people, action):
    merchant, users = people
    got = tuple(
        can(user=users[column], community=community, action=action, merchant=merchant)
        for column in COLUMNS
    )
    assert got == TABLE[action]


def test_nobody_has_rights_in_another_community(community, people):
    from tests.factories import make_community

    elsewhere = make_community("A")
    _merchant, users = people
    for user in users.values():
        for action in TABLE:
            assert not can(user=user, community=elsewhere, action=action)
