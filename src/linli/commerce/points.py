"""The member's points page (积分, B§1.1/B§2.3; SPEC "earning rules, scope and validity
shown on the points page"): the rules of the policy in force in words, the balance, and
the history straight from the ledger (the wallet's entries, newest first). Reads only."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.communities.models import PolicyVersion
from linli.ledger.display import amount_display
from linli.ledger.models import Account, AccountKind, Entry
from linli.ledger.selectors import account_balances
from linli.members.models import Member

HISTORY_ROWS = 50
JOURNAL_WORDS: dict[str, Any] = {
    "sale": _("purchase at an alliance shop"),
    "sale_refund": _("refund of a purchase"),
    "sale_undo": _("purchase undone by the shop"),
    "flash_sale": _("flash sale for points"),
    "bundle_buy": _("bundle bought (held until each piece is redeemed)"),
    "bundle_redeem": _("bundle piece redeemed"),
    "bundle_expire": _("bundle expired: returned"),
    "hold_expire": _("hold expired: returned"),
    "member.fee_paid_points": _("membership fee paid with points"),
    "member.fee_refund": _("membership fee refund"),
    "member.referral_reward": _("reward for introducing a neighbour"),
    "member.merchant_referral": _("reward for introducing a shop"),
    "member.gold_spend_reward": _("gold referrer's share"),
    "reversal": _("correction"),
}


@dataclass(frozen=True)
class PointsRule:
    text: str


@dataclass(frozen=True)
class HistoryRow:
    when: Any
    what: str
    change: str
    held: str
    balance: str


def _wallet(member: Member) -> Account | None:
    return Account.objects.filter(
        community_id=member.community_id,
        kind=AccountKind.MEMBER_WALLET,
        asset_id="PTS",
        owner_type="member",
        owner_id=member.id,
    ).first()


def points_issued(policy: PolicyVersion) -> bool:
    return "PTS" in (
        policy.spend_reward_asset,
        policy.referral_reward_asset,
        policy.service_hour_reward_asset,
    )


def earning_rules(policy: PolicyVersion) -> list[str]:
    """How points are earned, where they can be spent, how long they last — in words, from
    the policy version in force (never a number written into a template)."""
    rules: list[str] = []
    if not points_issued(policy):
        return rules
    if policy.spend_reward_asset == "PTS":
        per_yuan = amount_display(policy.spend_reward_bp, "CNY")  # bp of fen = points per CNY
        rules.append(
            str(_("Earn %(points)s points per yuan spent at alliance shops."))
            % {"points": per_yuan.rstrip("0").rstrip(".")}
        )
    if policy.referral_reward_asset == "PTS" and policy.referral_reward_units:
        rules.append(
            str(_("Earn %(points)s points for each neighbour you introduce who joins."))
            % {"points": policy.referral_reward_units}
        )
    if policy.merchant_referral_reward_points:
        rules.append(
            str(_("Earn %(points)s points for introducing a shop that joins the alliance."))
            % {"points": policy.merchant_referral_reward_points}
        )
    if policy.service_hour_reward_asset == "PTS":
        rules.append(
            str(_("Earn %(points)s points per hour of volunteer service."))
            % {"points": policy.service_hour_reward_units}
        )
    rules.append(
        str(
            _(
                "Spend points at alliance shops' tills, in flash sales and on bundles: "
                "1 point = %(yuan)s yuan."
            )
        )
        % {"yuan": amount_display(policy.point_value_fen, "CNY")}
    )
    if policy.daily_redemption_cap_points:
        rules.append(
            str(_("At most %(cap)s points can be redeemed per day."))
            % {"cap": policy.daily_redemption_cap_points}
        )
    rules.append(
        str(_("Points are valid for %(months)s months after they are earned."))
        % {"months": policy.points_validity_months}
    )
    return rules


def points_summary(*, member: Member) -> dict[str, str]:
    wallet = _wallet(member)
    if wallet is None:
        return {"balance": "0", "available": "0", "held": "0"}
    balance = account_balances(account=wallet)
    return {
        "balance": amount_display(balance.posted, "PTS"),
        "available": amount_display(balance.available, "PTS"),
        "held": amount_display(balance.posted - balance.available, "PTS"),
    }


def points_history(*, member: Member, limit: int = HISTORY_ROWS) -> list[HistoryRow]:
    """The wallet's ledger entries, newest first: what happened, the change, what was held."""
    wallet = _wallet(member)
    if wallet is None:
        return []
    entries = (
        Entry.objects.filter(account=wallet)
        .select_related("journal")
        .order_by("-account_version")[:limit]
    )
    return [
        HistoryRow(
            when=entry.journal.created_at,
            what=str(JOURNAL_WORDS.get(entry.journal.code, _("other"))),
            change=_signed(entry.delta),
            held=_held(entry.pending_delta),
            balance=amount_display(entry.balance_after, "PTS"),
        )
        for entry in entries
    ]


def _held(pending_delta: int) -> str:
    if pending_delta < 0:
        return str(_("%(points)s held")) % {"points": amount_display(-pending_delta, "PTS")}
    if pending_delta > 0:
        return str(_("%(points)s released")) % {"points": amount_display(pending_delta, "PTS")}
    return ""


def _signed(amount: int) -> str:
    return ("+" if amount > 0 else "") + amount_display(amount, "PTS")
