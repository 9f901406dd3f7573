"""Diamond tier benefits (A§3.2 理事(钻石): 参与平台分红, 获得社区商铺优先租赁权).

The dividend: settlement decides the pool of a closed quarter and the member assembly
approves it (SPEC compliance); this service then pays it out. Every eligible diamond member
gets the same share, rounded down to the fen (`pro_rata_floor`: nobody gets more than the
exact share); the few fen left over go to the community's rounding account, so the pool
is posted in full. The pool comes out of platform revenue and can never exceed what was
realised there. Journals hold at most 16 legs, so the payout is posted in chunks, all in
one transaction: a quarter is paid completely or not at all, and once (UNIQUE quarter).

The shop-lease priority list is a read (selectors.shop_lease_priority): the merchants app
has no lease allocation yet, so nothing consumes it automatically.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.communities.audit import audit_record
from linli.communities.models import Community, TierScheme
from linli.communities.selectors import policy_in_force
from linli.errors import Conflict, DomainError
from linli.ledger.allocation import pro_rata_floor
from linli.ledger.models import AccountKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post
from linli.members.models import (
    DiamondDividend,
    DiamondDividendShare,
    Member,
    Membership,
    MembershipStatus,
    Tier,
)
from linli.members.notices import notice_send

QUARTER_PATTERN = re.compile(r"^(20\d\d)Q([1-4])$")
LEGS_PER_JOURNAL = 16
POOL_MAX_FEN = 10**13  # 100 billion yuan: anything above is a typo
APPROVAL_REF_MAX = 200


class InvalidDividend(DomainError):
    code = "invalid_dividend"


class DividendsOff(Conflict):
    code = "diamond_dividends_off"
    message = gettext_lazy("Diamond members do not share dividends in this community.")


class DividendPaid(Conflict):
    code = "diamond_dividend_paid"
    message = gettext_lazy("This quarter's diamond dividend has been paid already.")


class NoDiamondMembers(Conflict):
    code = "no_diamond_members"
    message = gettext_lazy("No diamond member with a running membership can receive a dividend.")


class PoolOverRevenue(Conflict):
    code = "pool_over_revenue"
    message = gettext_lazy("The pool is larger than the platform's realised revenue.")


@dataclass(frozen=True)
class DividendPlan:
    """The dry run: who gets what, and what goes to the rounding account."""

    shares: list[tuple[Member, int]]
    residue_fen: int


def diamond_recipients(*, community: Community, today: Any) -> list[Member]:
    """Diamond members who are open and have a running paid membership, oldest first."""
    running = Membership.objects.filter(
        community=community, status=MembershipStatus.ACTIVE, starts_on__lte=today
    ).values("member_id")
    return list(
        Member.objects.filter(
            community=community, tier=Tier.DIAMOND, closed_at__isnull=True, id__in=running
        ).order_by("id")
    )


def diamond_dividend_plan(
    *, community: Community, pool_fen: int, now: datetime | None = None
) -> DividendPlan:
    """Equal shares, rounded down; the residue (fewer fen than recipients) to rounding."""
    now = now or timezone.now()
    _check_pool(pool_fen)
    recipients = diamond_recipients(community=community, today=timezone.localdate(now))
    if not recipients:
        raise NoDiamondMembers()
    amounts, residue = pro_rata_floor(pool_fen, [1] * len(recipients))
    return DividendPlan(shares=list(zip(recipients, amounts, strict=True)), residue_fen=residue)


def _check_pool(pool_fen: Any) -> None:
    if not isinstance(pool_fen, int) or isinstance(pool_fen, bool):
        raise InvalidDividend(_("The pool must be a whole number of fen."))
    if pool_fen <= 0 or pool_fen > POOL_MAX_FEN:
        raise InvalidDividend(_("The pool must be more than 0 and at most 100 billion yuan."))


def _check_inputs(quarter: str, approval_ref: str) -> tuple[str, str]:
    quarter = (quarter or "").strip().upper()
    if not QUARTER_PATTERN.match(quarter):
        raise InvalidDividend(_("Give the quarter as year and quarter, for example 2026Q3."))
    approval_ref = (approval_ref or "").strip()
    if not approval_ref or len(approval_ref) > APPROVAL_REF_MAX or "\x00" in approval_ref:
        raise InvalidDividend(
            _("Name the member assembly's approval (1 to 200 characters), e.g. its minute.")
        )
    return quarter, approval_ref


def diamond_dividends_post(
    *,
    community: Community,
    quarter: str,
    pool_fen: int,
    approval_ref: str,
    actor: Any,
    now: datetime | None = None,
) -> DiamondDividend:
    """Pay one quarter's approved diamond dividend: platform revenue → each diamond
    member's yuan wallet, the residue → rounding. Refuses when the policy has no diamond
    dividends, the pool exceeds realised revenue, nobody qualifies, or the quarter was paid."""
    now = now or timezone.now()
    quarter, approval_ref = _check_inputs(quarter, approval_ref)
    _check_pool(pool_fen)
    policy = policy_in_force(community=community, at=now)
    if not policy.diamond_dividends or policy.member_tier_scheme != TierScheme.SILVER_GOLD_DIAMOND:
        raise DividendsOff()
    if DiamondDividend.objects.filter(community=community, quarter=quarter).exists():
        raise DividendPaid()
    chart = chart_ensure(community=community)
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    if account_balances(account=revenue).posted < pool_fen:
        raise PoolOverRevenue()
    plan = diamond_dividend_plan(community=community, pool_fen=pool_fen, now=now)
    legs = [(member, amount) for member, amount in plan.shares if amount > 0]
    try:
        with transaction.atomic():
            dividend = DiamondDividend.objects.create(
                community=community,
                quarter=quarter,
                pool_fen=pool_fen,
                residue_fen=plan.residue_fen,
                approval_ref=approval_ref,
                policy=policy,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=now,
            )
            _post_shares(dividend=dividend, legs=legs, chart=chart, actor=actor)
            audit_record(
                actor=actor,
                action="member.diamond_dividend",
                target=dividend,
                community=community,
                after={
                    "quarter": quarter,
                    "pool_fen": pool_fen,
                    "recipients": len(legs),
                    "residue_fen": plan.residue_fen,
                    "approval_ref": approval_ref,
                },
            )
    except IntegrityError:
        raise DividendPaid() from None
    return dividend


def _post_shares(
    *, dividend: DiamondDividend, legs: list[tuple[Member, int]], chart: dict[Any, Any], actor: Any
) -> None:
    community = dividend.community
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id
    for start in range(0, len(legs), LEGS_PER_JOURNAL):
        chunk = legs[start : start + LEGS_PER_JOURNAL]
        wallets = [
            account_open(
                community=community,
                kind=AccountKind.MEMBER_WALLET,
                asset="CNY",
                owner_type="member",
                owner_id=member.id,
            )
            for member, _amount in chunk
        ]
        posted = journal_post(
            community=community,
            code="member.diamond_dividend",
            legs=[
                Leg(revenue, wallet.id, amount)
                for wallet, (_member, amount) in zip(wallets, chunk, strict=True)
            ],
            idempotency_key=f"diamond-dividend:{dividend.id}:{start // LEGS_PER_JOURNAL}",
            actor=actor,
            policy=dividend.policy,
            memo=f"diamond dividend {dividend.quarter}",
        )
        for member, amount in chunk:
            DiamondDividendShare.objects.create(
                dividend=dividend, member=member, amount_fen=amount, journal_id=posted.journal_id
            )
            notice_send(
                member=member,
                kind="diamond_dividend",
                params={
                    "quarter": dividend.quarter,
                    "amount": f"{amount // 100}.{amount % 100:02d}",
                },
            )
    if dividend.residue_fen:
        journal_post(
            community=community,
            code="member.diamond_dividend_rounding",
            legs=[Leg(revenue, chart[(AccountKind.ROUNDING, "CNY")].id, dividend.residue_fen)],
            idempotency_key=f"diamond-dividend-rounding:{dividend.id}",
            actor=actor,
            policy=dividend.policy,
            memo=f"diamond dividend {dividend.quarter}: rounding",
        )
