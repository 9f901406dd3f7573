"""Rewards other apps trigger: merchant introductions (B) and gold members' 2% (A);
points paying the fee (B)."""

from datetime import timedelta

from linli.communities.selectors import policy_in_force
from linli.ledger.models import Account, AccountKind
from linli.ledger.selectors import account_balances
from linli.members.models import Member, Tier
from linli.members.services import gold_spend_reward, merchant_referral_reward
from tests.members.conftest import join


def _wallet(member, asset):
    account = Account.objects.filter(
        kind=AccountKind.MEMBER_WALLET, owner_id=member.id, asset_id=asset
    ).first()
    return 0 if account is None else account_balances(account=account).posted


def test_merchant_introduction_rewards_points_once(community_b, community):
    member = join(community_b)
    points = policy_in_force(community=community_b).merchant_referral_reward_points
    assert merchant_referral_reward(referrer=member, merchant_ref="m1") == points
    assert merchant_referral_reward(referrer=member, merchant_ref="m1") == 0
    assert _wallet(member, "PTS") == points
    assert merchant_referral_reward(referrer=join(community), merchant_ref="m2") == 0  # A: off


def test_gold_earns_on_direct_referees_only(community):
    policy = policy_in_force(community=community)
    gold = join(community)
    Member.objects.filter(pk=gold.pk).update(tier=Tier.GOLD)
    child = join(community, referral_code=gold.referral_code)
    grandchild = join(community, referral_code=child.referral_code)
    spend = 10_000  # 100 yuan
    expected = spend * policy.gold_team_spend_bp * 100 // (10_000 * policy.coin_value_fen)
    assert expected > 0
    assert gold_spend_reward(buyer=child, spend_fen=spend, sale_ref="s1") == expected
    assert gold_spend_reward(buyer=child, spend_fen=spend, sale_ref="s1") == 0  # replay
    assert gold_spend_reward(buyer=grandchild, spend_fen=spend, sale_ref="s2") == 0  # one level
    assert _wallet(gold, "TIME") == expected


def test_points_pay_the_fee_and_come_back_on_refund(community_b):
    import pytest
    from django.utils import timezone

    from linli.ledger.errors import InsufficientFunds
    from linli.ledger.services import Leg, account_open, chart_ensure, journal_post
    from linli.members.models import FeePayment
    from linli.members.services import fee_pay_with_points, membership_refund
    from linli.members.services.fees import points_for_fee
    from tests.factories import make_role, make_user
    from tests.members.test_fees import apply, verified

    operator = make_user()
    make_role(operator, community_b, "operator")
    member = verified(community_b)
    membership = apply(member)
    points = points_for_fee(fee_fen=membership.fee_fen, policy=membership.policy)
    with pytest.raises(InsufficientFunds):
        fee_pay_with_points(membership=membership, idempotency_key="p0", actor=member.user)
    assert not FeePayment.objects.exists()
    wallet = account_open(
        community=community_b,
        kind=AccountKind.MEMBER_WALLET,
        asset="PTS",
        owner_type="member",
        owner_id=member.id,
    )
    issuance = chart_ensure(community=community_b)[(AccountKind.ISSUANCE, "PTS")]
    journal_post(
        community=community_b,
        code="test.points",
        legs=[Leg(issuance.id, wallet.id, points + 5)],
        idempotency_key="give",
    )
    fee_pay_with_points(membership=membership, idempotency_key="p1", actor=member.user)
    assert _wallet(member, "PTS") == 5
    escrow = chart_ensure(community=community_b)[(AccountKind.FEE_ESCROW, "CNY")]
    assert account_balances(account=Account.objects.get(pk=escrow.pk)).posted == membership.fee_fen
    membership_refund(
        membership=membership,
        reason="",
        actor=operator,
        now=timezone.now() + timedelta(days=1),
    )
    assert _wallet(member, "PTS") == points + 5
    assert account_balances(account=Account.objects.get(pk=escrow.pk)).posted == 0
