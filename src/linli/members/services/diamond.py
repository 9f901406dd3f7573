"""Diamond tier benefits (A§3.2 理事(钻石): 参与平台分红, 获得社区商铺优先租赁权).

The dividend: settlement decides the pool of a closed quarter and the member assembly
approves it (SPEC compliance); then two operators pay it out (maker-checker): one proposes
the quarter with the dry run frozen in, a different one approves and it is posted. A
proposal whose revenue balance or recipients changed since it was made is refused as
stale. Every eligible diamond member
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
    DiamondDividendProposal,
    DiamondDividendShare,
    Member,
    Membership,
    MembershipStatus,
    ProposalStatus,
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


class NotTwoPeople(DomainError):
    code = "dividend_needs_two_people"
    status = 403
    message = gettext_lazy(
        "A different operator must approve or reject this proposal: not the one who made it."
    )


class ProposalOpen(Conflict):
    code = "dividend_proposal_open"
    message = gettext_lazy("This quarter already has a proposal waiting for approval.")


class ProposalDecided(Conflict):
    code = "dividend_proposal_decided"
    message = gettext_lazy("This proposal was already approved, rejected or refused.")


class ProposalStale(Conflict):
    code = "dividend_proposal_stale"
    message = gettext_lazy(
        "The platform revenue or the diamond members changed after this proposal was made, "
        "so its numbers are out of date. It was refused; propose the quarter again."
    )


def _person(actor: Any) -> Any:
    if not getattr(actor, "is_authenticated", False):
        raise NotTwoPeople()
    return actor


def _revenue_now(community: Community) -> int:
    revenue = chart_ensure(community=community)[(AccountKind.PLATFORM_REVENUE, "CNY")]
    return int(account_balances(account=revenue).posted)


def _frozen(plan: DividendPlan) -> list[list[int]]:
    return [[member.id, amount] for member, amount in plan.shares]


def _check_payable(community: Community, quarter: str, pool_fen: int, now: datetime) -> Any:
    """The policy in force, after the refusals every payout shares."""
    policy = policy_in_force(community=community, at=now)
    if not policy.diamond_dividends or policy.member_tier_scheme != TierScheme.SILVER_GOLD_DIAMOND:
        raise DividendsOff()
    if DiamondDividend.objects.filter(community=community, quarter=quarter).exists():
        raise DividendPaid()
    if _revenue_now(community) < pool_fen:
        raise PoolOverRevenue()
    return policy


def diamond_dividend_preview(
    *,
    community: Community,
    quarter: str,
    pool_fen: int,
    approval_ref: str,
    now: datetime | None = None,
) -> DividendPlan:
    """The dry run with every refusal a proposal would meet (bad input, dividends off,
    quarter paid, pool above the revenue, no diamond member); nothing is written."""
    now = now or timezone.now()
    quarter, approval_ref = _check_inputs(quarter, approval_ref)
    _check_pool(pool_fen)
    _check_payable(community, quarter, pool_fen, now)
    return diamond_dividend_plan(community=community, pool_fen=pool_fen, now=now)


def diamond_dividend_propose(
    *,
    community: Community,
    quarter: str,
    pool_fen: int,
    approval_ref: str,
    actor: Any,
    now: datetime | None = None,
) -> DiamondDividendProposal:
    """The maker: freeze the dry run (who gets what, the residue) and the revenue balance it
    was computed on into a proposal. Nothing is paid until another operator approves."""
    now = now or timezone.now()
    quarter, approval_ref = _check_inputs(quarter, approval_ref)
    _check_pool(pool_fen)
    _person(actor)
    plan = diamond_dividend_preview(
        community=community, quarter=quarter, pool_fen=pool_fen, approval_ref=approval_ref, now=now
    )
    try:
        with transaction.atomic():
            proposal = DiamondDividendProposal.objects.create(
                community=community,
                quarter=quarter,
                pool_fen=pool_fen,
                residue_fen=plan.residue_fen,
                shares=_frozen(plan),
                revenue_fen=_revenue_now(community),
                approval_ref=approval_ref,
                proposed_by=actor,
                proposed_at=now,
            )
            audit_record(
                actor=actor,
                action="member.dividend_propose",
                target=proposal,
                community=community,
                after={
                    "quarter": quarter,
                    "pool_fen": pool_fen,
                    "recipients": len(plan.shares),
                    "residue_fen": plan.residue_fen,
                    "revenue_fen": proposal.revenue_fen,
                    "approval_ref": approval_ref,
                },
            )
    except IntegrityError:
        raise ProposalOpen() from None
    return proposal


def _locked_open(proposal: DiamondDividendProposal, actor: Any) -> DiamondDividendProposal:
    locked = DiamondDividendProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.PROPOSED:
        raise ProposalDecided()
    if locked.proposed_by_id == actor.pk:
        raise NotTwoPeople()
    return locked


def _close(
    proposal: DiamondDividendProposal, status: str, actor: Any, reason: str, now: datetime
) -> None:
    before = {"status": proposal.status}
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = now
    proposal.reason = reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason", "dividend"])
    audit_record(
        actor=actor,
        action=f"member.dividend_{status}",
        target=proposal,
        community=proposal.community,
        before=before,
        after={"status": status, "reason": reason, "quarter": proposal.quarter},
    )


def _is_stale(proposal: DiamondDividendProposal, now: datetime) -> bool:
    if _revenue_now(proposal.community) != proposal.revenue_fen:
        return True
    try:
        plan = diamond_dividend_plan(
            community=proposal.community, pool_fen=proposal.pool_fen, now=now
        )
    except NoDiamondMembers:
        return True
    return _frozen(plan) != proposal.shares or plan.residue_fen != proposal.residue_fen


def diamond_dividend_approve(
    *, proposal: DiamondDividendProposal, actor: Any, now: datetime | None = None
) -> DiamondDividend:
    """The checker: a different operator approves and the frozen plan is paid. Refused
    (and the proposal closed as stale) when the revenue balance or the recipients changed
    since it was proposed. Two approvals at once: the row lock lets one pay; the other
    finds the proposal decided (and UNIQUE quarter backs it)."""
    now = now or timezone.now()
    _person(actor)
    with transaction.atomic():
        locked = _locked_open(proposal, actor)
        stale = _is_stale(locked, now)
        if stale:
            _close(locked, ProposalStatus.STALE, actor, "", now)
        else:
            dividend = _pay(locked, actor=actor, now=now)
            locked.dividend = dividend
            _close(locked, ProposalStatus.PAID, actor, "", now)
    if stale:
        raise ProposalStale()
    return dividend


def diamond_dividend_reject(
    *, proposal: DiamondDividendProposal, reason: str, actor: Any, now: datetime | None = None
) -> DiamondDividendProposal:
    """A different operator turns the proposal down, with a reason; nothing is paid."""
    now = now or timezone.now()
    _person(actor)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500 or "\x00" in reason:
        raise InvalidDividend(_("A reason of 1 to 500 characters is required."))
    with transaction.atomic():
        locked = _locked_open(proposal, actor)
        _close(locked, ProposalStatus.REJECTED, actor, reason, now)
    return locked


def _pay(proposal: DiamondDividendProposal, *, actor: Any, now: datetime) -> DiamondDividend:
    """Post the frozen plan: platform revenue → each diamond member's yuan wallet, the
    residue → rounding; inside the caller's transaction."""
    community = proposal.community
    policy = _check_payable(community, proposal.quarter, proposal.pool_fen, now)
    members = Member.objects.in_bulk([member_id for member_id, _amount in proposal.shares])
    legs = [(members[member_id], amount) for member_id, amount in proposal.shares if amount > 0]
    try:
        with transaction.atomic():
            dividend = DiamondDividend.objects.create(
                community=community,
                quarter=proposal.quarter,
                pool_fen=proposal.pool_fen,
                residue_fen=proposal.residue_fen,
                approval_ref=proposal.approval_ref,
                policy=policy,
                actor=actor,
                created_at=now,
            )
            _post_shares(
                dividend=dividend, legs=legs, chart=chart_ensure(community=community), actor=actor
            )
            audit_record(
                actor=actor,
                action="member.diamond_dividend",
                target=dividend,
                community=community,
                after={
                    "quarter": proposal.quarter,
                    "pool_fen": proposal.pool_fen,
                    "recipients": len(legs),
                    "residue_fen": proposal.residue_fen,
                    "approval_ref": proposal.approval_ref,
                    "proposal": proposal.pk,
                    "proposed_by": proposal.proposed_by_id,
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
