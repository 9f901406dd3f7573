"""What else happens when a merchant leaves the alliance (issue 5 "Leaving the alliance"):
hooks that other apps register into, like `DEMO_HOOKS` in communities.

Each entry is "module:function", called as `function(merchant=, phase=, actor=)`:
- phase "notice": the merchant has just given notice (`merchant_exit_request`): its
  offers end and the members who bought from it, or hold its offers, are told, and so
  are the operators and the committee's chair (in their member inbox);
- phase "prepare": the seat is about to close and no money has moved yet: a hook takes
  the row locks it will need before the closing locks the shop's ledger accounts, so a
  sale racing the closing waits instead of deadlocking (the till locks a coupon's row
  before the issuer's account);
- phase "settle": the notice period is over and the seat is about to close
  (`merchant_exit_complete`): whatever is still open must be settled here (the coupons
  app settles open coupons from the deposit, then the subsidy account); raising a
  `DomainError` (e.g. `errors.ExitBlocked`) blocks the exit and rolls everything back.
- phase "withdraw": the notice was taken back (`merchant_exit_withdraw`): a hook undoes
  what its "notice" phase paused, where that can be undone (the coupons app switches
  back on the coupons and campaigns the notice switched off; closed flash sales stay
  closed — their stock was cut to what was sold — and the leave page says so).
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
    "linli.merchants.exit_hooks:committee_notify",
    "linli.merchants.exit_hooks:flash_sales_close",
    "linli.commerce.coupons:merchant_leaving",
    "linli.commerce.bundles:merchant_leaving",
)


def merchant_exit_hooks(*, merchant: Merchant, phase: str, actor: Any) -> list[str]:
    """Run every registered hook for `phase`; returns the hooks that ran, in order."""
    if phase not in ("notice", "prepare", "settle", "withdraw"):
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
    items (30 days' notice; for a removal, which has none, that the shop has left)."""
    if phase != "notice" or merchant.exit_effective_at is None:
        return 0
    from linli.commerce.selectors import merchant_recent_buyer_ids
    from linli.communities.selectors import policy_in_force
    from linli.members.models import Member
    from linli.members.notices import notice_send

    policy = policy_in_force(community=merchant.community)
    since = timezone.now() - timedelta(days=policy.merchant_exit_notify_buyers_days)
    ids = merchant_recent_buyer_ids(merchant=merchant, since=since)
    kind, params = (
        "merchant_leaving",
        {
            "merchant": merchant.name,
            "on": day_label(merchant.exit_effective_at),
        },
    )
    if exit_at_once(merchant):
        kind, params = "merchant_left", {"merchant": merchant.name}
    sent = 0
    for member in Member.objects.filter(id__in=ids, community_id=merchant.community_id):
        if notice_send(member=member, kind=kind, params=params):
            sent += 1
    return sent


def exit_at_once(merchant: Merchant) -> bool:
    """A removal: the seat closes the moment notice is recorded (no notice period)."""
    return (
        merchant.exit_requested_at is not None
        and merchant.exit_effective_at is not None
        and merchant.exit_effective_at <= merchant.exit_requested_at
    )


def flash_sales_close(*, merchant: Merchant, phase: str, actor: Any) -> int:
    """At notice: the shop's live flash sales end (its offers end)."""
    if phase != "notice":
        return 0
    from linli.commerce.services import merchant_flash_sales_close

    return merchant_flash_sales_close(merchant=merchant, actor=actor)


def committee_notify(*, merchant: Merchant, phase: str, actor: Any) -> int:
    """At notice: the operators and this month's committee chair get an inbox notice
    (not for a removal: the committee decided it)."""
    if phase != "notice" or merchant.exit_effective_at is None or exit_at_once(merchant):
        return 0
    return _committee_tell(
        merchant=merchant,
        kind="merchant_exit_given",
        params={"merchant": merchant.name, "on": day_label(merchant.exit_effective_at)},
    )


def exit_withdrawn_notify(*, merchant: Merchant, since: Any) -> int:
    """The notice was taken back: the committee, and every member told of the leaving
    since `since`, hear that the shop stays."""
    from linli.members.models import Member, Notice
    from linli.members.notices import notice_send

    told = _committee_tell(
        merchant=merchant, kind="merchant_exit_withdrawn", params={"merchant": merchant.name}
    )
    if since is None:
        return told
    member_ids = Notice.objects.filter(
        kind="merchant_leaving",
        member__community_id=merchant.community_id,
        params__merchant=merchant.name,
        created_at__gte=since,
    ).values_list("member_id", flat=True)
    for member in Member.objects.filter(id__in=member_ids):
        if notice_send(member=member, kind="merchant_staying", params={"merchant": merchant.name}):
            told += 1
    return told


def _committee_tell(*, merchant: Merchant, kind: str, params: dict[str, str]) -> int:
    """Operators of the community and the chair of the month, each once, through the
    member inbox (an operator without a member record in the community has no inbox)."""
    from linli.communities.models import CommunityRole, Role
    from linli.members.models import Member
    from linli.members.notices import notice_send
    from linli.merchants.selectors import chair_for_month

    user_ids = set(
        CommunityRole.objects.filter(
            community_id=merchant.community_id, role=Role.OPERATOR
        ).values_list("user_id", flat=True)
    )
    chair = chair_for_month(community=merchant.community)
    if chair is not None:
        user_ids.add(chair.owner_id)
    user_ids.discard(merchant.owner_id)
    sent = 0
    for member in Member.objects.filter(community_id=merchant.community_id, user_id__in=user_ids):
        if notice_send(member=member, kind=kind, params=params):
            sent += 1
    return sent


def day_label(moment: Any) -> str:
    """A date as the notices and refusals show it (the community's local day)."""
    return str(timezone.localtime(moment).strftime("%Y-%m-%d"))
