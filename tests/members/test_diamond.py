"""Diamond tier benefits (A§3.2): an approved quarter's dividend paid in equal shares,
rounded down, the residue to the rounding account, once per quarter, never more than the
realised revenue; and the shop-lease priority list."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.communities.models import AuditEntry, Role
from linli.communities.services import policy_version_create
from linli.ledger.models import Account, AccountKind, Journal
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, chart_ensure, journal_post
from linli.members.models import (
    DiamondDividend,
    DiamondDividendProposal,
    Member,
    Notice,
    TierChange,
)
from linli.members.selectors import shop_lease_position, shop_lease_priority
from linli.members.services import (
    diamond_dividend_approve,
    diamond_dividend_plan,
    diamond_dividend_propose,
    diamond_dividend_reject,
)
from linli.members.services.diamond import (
    DividendPaid,
    DividendsOff,
    InvalidDividend,
    NoDiamondMembers,
    NotTwoPeople,
    PoolOverRevenue,
    ProposalDecided,
    ProposalStale,
)
from tests.factories import make_role, make_user
from tests.members.test_fees import _paid


def _another_operator(community):
    user = make_user()
    make_role(user, community, Role.OPERATOR)
    return user


def diamond_dividends_post(*, community, quarter, pool_fen, approval_ref, actor):
    """Maker-checker in one step: `actor` (or a fresh operator) proposes, another approves."""
    proposal = diamond_dividend_propose(
        community=community,
        quarter=quarter,
        pool_fen=pool_fen,
        approval_ref=approval_ref,
        actor=actor or _another_operator(community),
    )
    return diamond_dividend_approve(proposal=proposal, actor=_another_operator(community))


def _revenue(community, fen):
    chart = chart_ensure(community=community)
    journal_post(
        community=community,
        code="test.revenue",
        legs=[
            Leg(
                chart[(AccountKind.CASH_IN, "CNY")].id,
                chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id,
                fen,
            )
        ],
        idempotency_key=f"test-revenue:{fen}",
    )


def _diamond(community, operator, since=None):
    member = _paid(community, operator).member
    Member.objects.filter(pk=member.pk).update(tier="diamond")
    TierChange.objects.create(
        community=community,
        member=member,
        tier_from="gold",
        tier_to="diamond",
        policy=community.policies.first(),
        at=since or timezone.now(),
    )
    member.refresh_from_db()
    return member


def _wallet(community, member):
    account = Account.objects.filter(
        community=community, kind=AccountKind.MEMBER_WALLET, asset_id="CNY", owner_id=member.id
    ).first()
    return account_balances(account=account).posted if account else 0


def _system(community, kind):
    account = Account.objects.get(community=community, kind=kind, asset_id="CNY", owner_id=None)
    return account_balances(account=account).posted


def test_equal_shares_and_the_residue_to_rounding(community, operator):
    diamonds = [_diamond(community, operator) for _ in range(3)]
    _paid(community, operator)  # a silver member gets nothing
    _revenue(community, 100_000)
    revenue_before = _system(community, AccountKind.PLATFORM_REVENUE)
    dividend = diamond_dividends_post(
        community=community,
        quarter="2026q3",
        pool_fen=10_000,
        approval_ref="业主大会 2026-10 第3号决议",
        actor=operator,
    )
    assert dividend.quarter == "2026Q3" and dividend.residue_fen == 1
    assert [_wallet(community, m) for m in diamonds] == [3_333, 3_333, 3_333]
    assert _system(community, AccountKind.ROUNDING) == 1
    assert _system(community, AccountKind.PLATFORM_REVENUE) == revenue_before - 10_000
    assert Notice.objects.filter(kind="diamond_dividend").count() == 3
    with pytest.raises(DividendPaid):
        diamond_dividends_post(
            community=community,
            quarter="2026Q3",
            pool_fen=10_000,
            approval_ref="again",
            actor=operator,
        )
    assert Journal.objects.filter(code="member.diamond_dividend").count() == 1


def test_more_than_sixteen_diamonds_are_paid_in_chunks(community, operator):
    diamonds = [_diamond(community, operator) for _ in range(17)]
    _revenue(community, 1_000)
    diamond_dividends_post(
        community=community, quarter="2026Q4", pool_fen=1_000, approval_ref="r", actor=operator
    )
    assert Journal.objects.filter(code="member.diamond_dividend").count() == 2
    assert (
        sum(_wallet(community, m) for m in diamonds) + _system(community, AccountKind.ROUNDING)
        == 1_000
    )


def test_refusals_post_nothing(community, community_b, operator):
    _revenue(community, 5_000)
    with pytest.raises(NoDiamondMembers):
        diamond_dividends_post(
            community=community, quarter="2026Q1", pool_fen=100, approval_ref="r", actor=operator
        )
    _diamond(community, operator)
    with pytest.raises(PoolOverRevenue):
        diamond_dividends_post(
            community=community, quarter="2026Q1", pool_fen=5_001, approval_ref="r", actor=operator
        )
    with pytest.raises(DividendsOff):  # preset B: basic / VIP, no dividends
        diamond_dividends_post(
            community=community_b, quarter="2026Q1", pool_fen=1, approval_ref="r", actor=None
        )
    for quarter, pool, ref in [
        ("2026Q5", 100, "r"),
        ("26Q1", 100, "r"),
        ("2026Q1", 0, "r"),
        ("2026Q1", -1, "r"),
        ("2026Q1", 10**14, "r"),
        ("2026Q1", "100", "r"),
        ("2026Q1", True, "r"),
        ("2026Q1", 100, ""),
        ("2026Q1", 100, "x" * 201),
        ("2026Q1", 100, "a\x00b"),
    ]:
        with pytest.raises(InvalidDividend):
            diamond_dividends_post(
                community=community, quarter=quarter, pool_fen=pool, approval_ref=ref, actor=None
            )
    assert not DiamondDividend.objects.exists()
    assert not Journal.objects.filter(code__startswith="member.diamond").exists()


def test_the_policy_can_switch_dividends_off(community, operator):
    _diamond(community, operator)
    _revenue(community, 5_000)
    policy_version_create(
        community=community, changes={"diamond_dividends": False}, actor=None, reason="vote"
    )
    with pytest.raises(DividendsOff):
        diamond_dividends_post(
            community=community, quarter="2026Q2", pool_fen=100, approval_ref="r", actor=None
        )


def test_a_lapsed_or_closed_diamond_gets_nothing(community, operator):
    from linli.members.models import Membership
    from linli.members.services import member_close, membership_refund

    paid_up, lapsed, closed = (_diamond(community, operator) for _ in range(3))
    Membership.objects.filter(member=lapsed).update(status="lapsed")
    membership_refund(membership=closed.memberships.get(), reason="", actor=operator)
    member_close(member=closed)
    plan = diamond_dividend_plan(community=community, pool_fen=101)
    assert [(m.id, amount) for m, amount in plan.shares] == [(paid_up.id, 101)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pool=st.integers(min_value=1, max_value=10**12), people=st.integers(min_value=1, max_value=40)
)
def test_shares_never_exceed_the_exact_share_and_add_up(pool, people):
    from linli.ledger.allocation import pro_rata_floor

    shares, residue = pro_rata_floor(pool, [1] * people)
    assert sum(shares) + residue == pool
    assert 0 <= residue < people
    assert all(share * people <= pool for share in shares)
    assert max(shares) - min(shares) == 0


def test_shop_lease_priority_follows_when_members_became_diamond(community, operator):
    now = timezone.now()
    late = _diamond(community, operator, since=now)
    early = _diamond(community, operator, since=now - timedelta(days=30))
    silver = _paid(community, operator).member
    rows = shop_lease_priority(community=community)
    assert [(r.position, r.member_id) for r in rows] == [(1, early.id), (2, late.id)]
    assert shop_lease_position(member=late) == 2
    assert shop_lease_position(member=silver) is None
    client = Client()
    client.force_login(late.user)
    assert 'data-testid="lease-position"' in client.get("/me/membership/").content.decode()
    assert client.get("/api/v1/members/me").json()["shop_lease_position"] == 2


def test_the_api_plans_proposes_approves_and_lists(community, operator):
    diamond = _diamond(community, operator)
    _revenue(community, 5_000)
    base = f"/api/v1/members/communities/{community.slug}"
    client = Client()
    client.force_login(operator)
    plan = client.get(f"{base}/diamond-dividends/plan?pool_fen=300").json()
    assert plan == {
        "shares": [{"member_id": diamond.id, "display_name": "邻居", "amount_fen": 300}],
        "residue_fen": 0,
    }
    assert client.get(f"{base}/diamond-dividends/plan?pool_fen=-3").status_code == 422
    body = {"quarter": "2026Q3", "pool_fen": 300, "approval_ref": "决议 7"}
    proposed = client.post(
        f"{base}/diamond-dividends/proposals", json.dumps(body), "application/json"
    )
    assert proposed.status_code == 201, proposed.content
    assert proposed.json()["status"] == "proposed" and proposed.json()["revenue_fen"] == 5_000
    proposal_id = proposed.json()["id"]
    again = client.post(f"{base}/diamond-dividends/proposals", json.dumps(body), "application/json")
    assert again.status_code == 409 and again.json()["code"] == "dividend_proposal_open"
    own = client.post(f"{base}/diamond-dividends/proposals/{proposal_id}/approve")
    assert own.status_code == 403 and own.json()["code"] == "dividend_needs_two_people"
    assert not DiamondDividend.objects.exists()
    checker = Client()
    checker.force_login(_another_operator(community))
    unknown = checker.post(f"{base}/diamond-dividends/proposals/999999/approve")
    assert unknown.status_code == 404
    paid = checker.post(f"{base}/diamond-dividends/proposals/{proposal_id}/approve")
    assert paid.status_code == 201, paid.content
    assert paid.json()["shares"][0]["amount_fen"] == 300
    replay = checker.post(f"{base}/diamond-dividends/proposals/{proposal_id}/approve")
    assert replay.status_code == 409 and replay.json()["code"] == "dividend_proposal_decided"
    listed = checker.get(f"{base}/diamond-dividends/proposals").json()
    assert [(p["status"], p["decided_by"]) for p in listed] == [("paid", checker_name(checker))]
    assert _wallet(community, diamond) == 300
    lease = client.get(f"{base}/shop-lease-priority").json()
    assert [row["member_id"] for row in lease] == [diamond.id]


def checker_name(client):
    from django.contrib.auth import get_user_model

    user_id = client.session["_auth_user_id"]
    return get_user_model().objects.get(pk=user_id).get_username()


def test_the_same_person_cannot_approve_or_reject(community, operator):
    _diamond(community, operator)
    _revenue(community, 5_000)
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=100, approval_ref="r", actor=operator
    )
    with pytest.raises(NotTwoPeople):
        diamond_dividend_approve(proposal=proposal, actor=operator)
    with pytest.raises(NotTwoPeople):
        diamond_dividend_reject(proposal=proposal, reason="no", actor=operator)
    with pytest.raises(NotTwoPeople):
        diamond_dividend_approve(proposal=proposal, actor=None)
    with pytest.raises(NotTwoPeople):  # nobody proposes anonymously either
        diamond_dividend_propose(
            community=community, quarter="2026Q4", pool_fen=100, approval_ref="r", actor=None
        )
    proposal.refresh_from_db()
    assert proposal.status == "proposed" and not DiamondDividend.objects.exists()


def test_the_database_refuses_a_self_approval(community, operator):
    from django.db import IntegrityError, transaction

    _diamond(community, operator)
    _revenue(community, 5_000)
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=100, approval_ref="r", actor=operator
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DiamondDividendProposal.objects.filter(pk=proposal.pk).update(decided_by=operator)


def test_a_rejection_needs_a_reason_and_pays_nothing(community, operator):
    _diamond(community, operator)
    _revenue(community, 5_000)
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=100, approval_ref="r", actor=operator
    )
    checker = _another_operator(community)
    for reason in ("", "  ", "x" * 501, None, "a\x00b"):
        with pytest.raises(InvalidDividend):
            diamond_dividend_reject(proposal=proposal, reason=reason, actor=checker)
    rejected = diamond_dividend_reject(proposal=proposal, reason="池子算错了", actor=checker)
    assert rejected.status == "rejected" and rejected.reason == "池子算错了"
    with pytest.raises(ProposalDecided):
        diamond_dividend_approve(proposal=proposal, actor=checker)
    assert not DiamondDividend.objects.exists()
    actions = list(
        AuditEntry.objects.filter(action__startswith="member.dividend_")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["member.dividend_propose", "member.dividend_rejected"]
    # the quarter can be proposed again after a rejection
    diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=100, approval_ref="r", actor=operator
    )


@pytest.mark.parametrize("change", ["revenue", "recipients"])
def test_a_stale_proposal_is_refused(community, operator, change):
    _diamond(community, operator)
    _revenue(community, 5_000)
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=1_000, approval_ref="r", actor=operator
    )
    if change == "revenue":
        _revenue(community, 7)  # e.g. a month's fees recognised after the proposal
    else:
        _diamond(community, operator)  # a new diamond member would be left out
    checker = _another_operator(community)
    with pytest.raises(ProposalStale):
        diamond_dividend_approve(proposal=proposal, actor=checker)
    proposal.refresh_from_db()
    assert proposal.status == "stale" and proposal.decided_by == checker
    assert not DiamondDividend.objects.exists()
    assert not Journal.objects.filter(code__startswith="member.diamond").exists()
    assert AuditEntry.objects.filter(action="member.dividend_stale").count() == 1
    fresh = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=1_000, approval_ref="r", actor=operator
    )
    assert diamond_dividend_approve(proposal=fresh, actor=checker).pool_fen == 1_000


def test_the_payout_follows_the_frozen_plan(community, operator):
    first = _diamond(community, operator)
    _revenue(community, 5_000)
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=999, approval_ref="r", actor=operator
    )
    assert proposal.shares == [[first.id, 999]] and proposal.residue_fen == 0
    dividend = diamond_dividend_approve(proposal=proposal, actor=_another_operator(community))
    proposal.refresh_from_db()
    assert proposal.status == "paid" and proposal.dividend_id == dividend.id
    assert dividend.actor != proposal.proposed_by
    entry = AuditEntry.objects.get(action="member.diamond_dividend")
    assert entry.after["proposed_by"] == operator.id


@pytest.mark.parametrize("role", [Role.MEMBER, Role.AUDITOR, Role.MERCHANT_OWNER, Role.CASHIER])
def test_only_operators_pay_dividends(community, operator, role):
    _diamond(community, operator)
    _revenue(community, 5_000)
    user = make_user()
    make_role(user, community, role)
    client = Client()
    client.force_login(user)
    base = f"/api/v1/members/communities/{community.slug}"
    body = {"quarter": "2026Q3", "pool_fen": 300, "approval_ref": "x"}
    url = f"{base}/diamond-dividends/proposals"
    answer = client.post(url, json.dumps(body), "application/json")
    assert answer.status_code == 403
    proposal = diamond_dividend_propose(
        community=community, quarter="2026Q3", pool_fen=300, approval_ref="x", actor=operator
    )
    assert client.post(f"{url}/{proposal.id}/approve").status_code == 403
    reject = client.post(
        f"{url}/{proposal.id}/reject", json.dumps({"reason": "x"}), "application/json"
    )
    assert reject.status_code == 403
    assert client.get(url).status_code == 403
    assert not DiamondDividend.objects.exists()
    assert client.get(f"{base}/diamond-dividends/plan?pool_fen=3").status_code == 403
    assert not DiamondDividend.objects.exists()
