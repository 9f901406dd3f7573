"""Who may do what to which merchant: the permission table plus two object-level rules.

1. Staff rights (`merchant.console`, `merchant.staff_manage`, `merchant.complaint_answer`)
   hold only for the merchant the login works for: another merchant's owner is denied.
2. The committee's chair of the month (`selectors.chair_for_month`) may review
   applications, decide complaints and record violations, like an operator.
"""

from typing import Any

from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.errors import Forbidden
from linli.merchants.errors import NotYourMerchant
from linli.merchants.models import Merchant, StaffRole
from linli.merchants.selectors import is_chair, staff_merchant

CHAIR_ACTIONS = frozenset(
    {
        "merchant.review",
        "merchant.complaint_decide",
        "merchant.violation_record",
        "merchant.rota_manage",
        "merchant.hearing_decide",
        "sale.anomalies",  # the committee watches 核销 anomalies (issue 6)
        "merchant.exits_view",  # shops serving notice (issue 5)
    }
)
STAFF_ACTIONS = frozenset(
    {
        "merchant.console",
        "merchant.staff_manage",
        "merchant.complaint_answer",
        "merchant.offer_publish",
        "merchant.exit_notice",
    }
)
OWNER_ONLY_ACTIONS = frozenset(
    {
        "merchant.staff_manage",
        "merchant.complaint_answer",
        "merchant.offer_publish",
        "merchant.exit_notice",
    }
)


def can(*, user: Any, community: Community, action: str, merchant: Merchant | None = None) -> bool:
    """True when `user` may perform `action` (on `merchant`, for staff actions)."""
    if action in STAFF_ACTIONS:
        if merchant is None or not has_permission(user=user, community=community, action=action):
            return False
        job = staff_merchant(user=user, community=community)
        if job is None or job[0].id != merchant.id:
            return False
        return job[1] == StaffRole.OWNER or action not in OWNER_ONLY_ACTIONS
    if has_permission(user=user, community=community, action=action):
        return True
    return action in CHAIR_ACTIONS and is_chair(user=user, community=community)


def require(
    *, user: Any, community: Community, action: str, merchant: Merchant | None = None
) -> None:
    if not can(user=user, community=community, action=action, merchant=merchant):
        raise Forbidden()


def require_owner(*, user: Any, community: Community, action: str, merchant: Merchant) -> None:
    """An owner-only staff action: the owner of another shop hears `not_your_merchant`,
    everyone else (a cashier, a member, an operator) the plain refusal."""
    if can(user=user, community=community, action=action, merchant=merchant):
        return
    job = staff_merchant(user=user, community=community)
    if job is not None and job[1] == StaffRole.OWNER and job[0].id != merchant.id:
        raise NotYourMerchant()
    raise Forbidden()
