"""The member's points page (积分, B§1.1/B§2.3; SPEC "earning rules, scope and validity
shown on the points page"): the rules of the policy in force in words; the balance —
spendable, held (bundles, pledges) and frozen (cash-back until the return window closes,
with release dates); the lots with their expiry dates (`commerce/lots.py`); and the
history straight from the ledger (the wallet's and frozen account's entries, newest
first, paged by journal sequence). Reads, after bringing the lots up to date."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.commerce import lots
from linli.commerce.points_models import PointsLot
from linli.communities.models import PolicyVersion
from linli.ledger.display import amount_display
from linli.ledger.models import AccountKind, Entry
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
    "bundle_merchant_exit": _("bundle piece returned: the shop left the alliance"),
    "hold_expire": _("hold expired: returned"),
    "member.fee_paid_points": _("membership fee paid with points"),
    "member.fee_refund": _("membership fee refund"),
    "member.referral_reward": _("reward for introducing a neighbour"),
    "member.merchant_referral": _("reward for introducing a shop"),
    "member.gold_spend_reward": _("gold referrer's share"),
    "reversal": _("correction"),
    "points_release": _("cash-back released: the return window closed"),
    "points_expire": _("points expired"),
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
    frozen: bool  # a line of the frozen points account
    seq: int  # the journal's sequence: `before` for the next page


@dataclass(frozen=True)
class LotRow:
    earned_at: Any
    what: str
    amount: int
    remaining: int
    frozen: bool
    release_at: Any
    expires_at: Any


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
    if policy.spend_reward_asset == "PTS":
        rules.append(
            str(
                _(
                    "Points earned by a purchase stay frozen until its %(days)s-day return "
                    "window closes; a refund in that time takes them back."
                )
            )
            % {"days": policy.return_window_days}
        )
    rules.append(
        str(_("Points are valid for %(months)s months after they are earned."))
        % {"months": policy.points_validity_months}
    )
    rules.append(
        str(
            _(
                "Points are spent earliest-expiring first. We remind you in your inbox "
                "%(first)s and %(second)s days before points expire."
            )
        )
        % {"first": lots.REMINDER_DAYS[0], "second": lots.REMINDER_DAYS[1]}
    )
    return rules


def points_summary(*, member: Member) -> dict[str, str]:
    """Spendable now, held by bundles and pledges, frozen until return windows close."""
    accounts = lots.points_accounts(member)
    wallet = accounts.get(AccountKind.MEMBER_WALLET)
    frozen = accounts.get(AccountKind.MEMBER_FROZEN)
    balance = account_balances(account=wallet) if wallet is not None else None
    posted = balance.posted if balance is not None else 0
    available = balance.available if balance is not None else 0
    frozen_points = account_balances(account=frozen).posted if frozen is not None else 0
    return {
        "balance": amount_display(posted, "PTS"),
        "available": amount_display(available, "PTS"),
        "held": amount_display(posted - available, "PTS"),
        "frozen": amount_display(frozen_points, "PTS"),
    }


def points_lots(*, member: Member) -> list[LotRow]:
    """The lots with points left: frozen ones by release date, then by expiry (the order
    in which they are spent)."""
    rows = PointsLot.objects.filter(member=member, remaining__gt=0).order_by(
        "-frozen", "release_at", "expires_at", "id"
    )
    return [
        LotRow(
            earned_at=lot.earned_at,
            what=str(JOURNAL_WORDS.get(lot.source_code, _("other"))),
            amount=lot.amount,
            remaining=lot.remaining,
            frozen=lot.frozen,
            release_at=lot.release_at,
            expires_at=lot.expires_at,
        )
        for lot in rows
    ]


def points_history(
    *, member: Member, limit: int = HISTORY_ROWS, before_seq: int | None = None
) -> list[HistoryRow]:
    """The wallet's and frozen account's ledger entries, newest first; `before_seq` pages."""
    accounts = lots.points_accounts(member)
    if not accounts:
        return []
    entries = Entry.objects.filter(account__in=list(accounts.values())).select_related(
        "journal", "account"
    )
    if before_seq is not None:
        entries = entries.filter(journal__seq__lt=before_seq)
    rows = entries.order_by("-journal__seq", "-id")[: max(1, min(limit, 200))]
    return [
        HistoryRow(
            when=entry.journal.created_at,
            what=str(JOURNAL_WORDS.get(entry.journal.code, _("other"))),
            change=_signed(entry.delta),
            held=_held(entry.pending_delta),
            balance=amount_display(entry.balance_after, "PTS"),
            frozen=entry.account.kind == AccountKind.MEMBER_FROZEN,
            seq=entry.journal.seq or 0,
        )
        for entry in rows
    ]


def history_page(
    *, member: Member, before_seq: int | None = None, limit: int = HISTORY_ROWS
) -> tuple[list[HistoryRow], int | None]:
    """One page of the history and the `before` of the next (None on the last page). A
    page never ends inside a journal: a release's two lines stay on one page."""
    limit = max(2, min(limit, 200))
    rows = points_history(member=member, limit=limit + 1, before_seq=before_seq)
    if len(rows) <= limit:
        return rows, None
    cut, rows = rows[limit], rows[:limit]
    last_seq = rows[-1].seq
    if cut.seq != last_seq:
        return rows, last_seq
    whole = [row for row in rows if row.seq != last_seq]
    if not whole:  # one journal fills the page
        return rows, last_seq
    return whole, last_seq + 1  # the next page starts with the journal cut off here


def _held(pending_delta: int) -> str:
    if pending_delta < 0:
        return str(_("%(points)s held")) % {"points": amount_display(-pending_delta, "PTS")}
    if pending_delta > 0:
        return str(_("%(points)s released")) % {"points": amount_display(pending_delta, "PTS")}
    return ""


def _signed(amount: int) -> str:
    return ("+" if amount > 0 else "") + amount_display(amount, "PTS")
