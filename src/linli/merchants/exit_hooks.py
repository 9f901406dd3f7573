"""What else happens when a merchant leaves the alliance (issue 5 "Leaving the alliance"):
hooks that other apps register into, like `DEMO_HOOKS` in communities.

Each entry is "module:function", called as `function(merchant=, phase=, actor=)`:
- phase "notice": the merchant has just given notice (`merchant_exit_request`): its
  offers end and the members who bought from it, or hold its offers, are told;
- phase "settle": the notice period is over and the seat is about to close
  (`merchant_exit_complete`): whatever is still open must be settled here (the coupons
  app settles open coupons from the deposit, then the subsidy account); raising a
  `DomainError` (e.g. `errors.ExitBlocked`) blocks the exit and rolls everything back.
A module that does not exist yet is skipped, so an app can be listed before it lands.
Every hook runs inside the exit's transaction.
"""

import importlib
import importlib.util
from datetime import timedelta
from typing import Any

from django.utils import timezone

from linli.merchants.models import Merchant

MERCHANT_EXIT_HOOKS: tuple[str, ...] = (
    "linli.merchants.exit_hooks:members_notify",
    "linli.merchants.exit_hooks:flash_sales_close",
    "linli.commerce.coupons:merchant_leaving",
)


def merchant_exit_hooks(*, merchant: Merchant, phase: str, actor: Any) -> list[str]:
    """Run every registered hook for `phase`; returns the hooks that ran, in order."""
    if phase not in ("notice", "settle"):
        raise ValueError(f"unknown exit phase {phase!r}")
    ran = []
    for hook in MERCHANT_EXIT_HOOKS:
        module_name, function_name = hook.split(":")
        if not _module_exists(module_name):
            continue
        getattr(importlib.import_module(module_name), function_name)(
            merchant=merchant, phase=phase, actor=actor
        )
        ran.append(hook)
    return ran


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its parent package is not there either
        return False


def members_notify(*, merchant: Merchant, phase: str, actor: Any) -> int:
    """At notice: an inbox notice to every member who bought from the shop in the last
    days of the policy's `merchant_exit_notify_buyers_days` or holds one of its flash-sale
    items (30 days' notice)."""
    if phase != "notice" or merchant.exit_effective_at is None:
        return 0
    from linli.commerce.selectors import merchant_recent_buyer_ids
    from linli.communities.selectors import policy_in_force
    from linli.members.models import Member
    from linli.members.notices import notice_send

    policy = policy_in_force(community=merchant.community)
    since = timezone.now() - timedelta(days=policy.merchant_exit_notify_buyers_days)
    ids = merchant_recent_buyer_ids(merchant=merchant, since=since)
    on = timezone.localtime(merchant.exit_effective_at).strftime("%Y-%m-%d")
    sent = 0
    for member in Member.objects.filter(id__in=ids, community_id=merchant.community_id):
        if notice_send(
            member=member, kind="merchant_leaving", params={"merchant": merchant.name, "on": on}
        ):
            sent += 1
    return sent


def flash_sales_close(*, merchant: Merchant, phase: str, actor: Any) -> int:
    """At notice: the shop's live flash sales end (its offers end)."""
    if phase != "notice":
        return 0
    from linli.commerce.services import merchant_flash_sales_close

    return merchant_flash_sales_close(merchant=merchant, actor=actor)
