"""A referral qualifies by the referee's first kept purchase once its return window has
passed (SPEC compliance); undone or fully refunded purchases never qualify, and a
qualified purchase can no longer be refunded, so the reward never needs reversing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.commerce import errors
from linli.commerce.referrals import referrals_qualify_by_purchase
from linli.commerce.services import sale_consume, sale_refund, sale_undo
from linli.communities.selectors import policy_in_force
from linli.members.models import Member, Referral, ReferralStatus
from linli.members.services.referrals import QUALIFY_FIRST_PURCHASE
from tests.commerce.conftest import balance, code_of, wallet_of
from tests.factories import make_member


def _referee(shop):
    """A new neighbour introduced by the referrer shop's owner, not yet qualified."""
    referrer = Member.objects.get(user=shop.referrer_shop.owner)
    referee = make_member(shop.community, display_name="张三")
    Referral.objects.create(community=shop.community, referrer=referrer, referee=referee)
    return referrer, referee


def _buy(shop, member, request_no, at, amount_fen=3_000):
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(member, at),
        now=at,
        amount_fen=amount_fen,
    )[0]


def test_first_kept_purchase_qualifies_after_the_return_window(shop_a):
    referrer, referee = _referee(shop_a)
    policy = policy_in_force(community=shop_a.community)
    policy_days = policy.return_window_days
    reward_wallet = wallet_of(referrer, policy.referral_reward_asset)
    before = balance(reward_wallet)
    at = timezone.now()
    sale = _buy(shop_a, referee, "first", at)
    assert referrals_qualify_by_purchase(community=shop_a.community, now=at) == 0
    inside = at + timedelta(days=policy_days) - timedelta(minutes=1)
    assert referrals_qualify_by_purchase(community=shop_a.community, now=inside) == 0
    after = at + timedelta(days=policy_days, minutes=1)
    assert referrals_qualify_by_purchase(community=shop_a.community, now=after) == 1
    referral = Referral.objects.get(referee=referee)
    assert referral.status == ReferralStatus.REWARDED
    assert referral.qualified_by == QUALIFY_FIRST_PURCHASE
    assert balance(reward_wallet) - before == referral.reward_units > 0
    # Once more changes nothing, and the purchase cannot be refunded any more.
    assert referrals_qualify_by_purchase(community=shop_a.community, now=after) == 0
    with pytest.raises(errors.UndoNotAllowed):
        sale_refund(
            sale=sale, actor=shop_a.merchant.owner, request_no="late", amount_fen=3_000, now=after
        )


def test_undone_or_fully_refunded_purchases_never_qualify(shop_a):
    _referrer, referee = _referee(shop_a)
    at = timezone.now()
    undone = _buy(shop_a, referee, "u", at)
    sale_undo(sale=undone, actor=shop_a.cashier, now=at)
    refunded = _buy(shop_a, referee, "r", at + timedelta(seconds=30))
    sale_refund(
        sale=refunded, actor=shop_a.merchant.owner, request_no="rf", amount_fen=3_000, now=at
    )
    much_later = at + timedelta(days=60)
    assert referrals_qualify_by_purchase(community=shop_a.community, now=much_later) == 0
    assert Referral.objects.get(referee=referee).status == ReferralStatus.PENDING
    kept = _buy(shop_a, referee, "k", at + timedelta(seconds=60), amount_fen=2_000)
    sale_refund(sale=kept, actor=shop_a.merchant.owner, request_no="part", amount_fen=500, now=at)
    assert referrals_qualify_by_purchase(community=shop_a.community, now=much_later) == 1


def test_other_communities_and_settled_referrals_are_left_alone(shop_a, shop_b):
    at = timezone.now()
    _buy(shop_a, shop_a.buyer, "already", at)  # the buyer's referral was rewarded before
    _referrer, referee = _referee(shop_b)
    _buy(shop_b, referee, "b", at)
    later = at + timedelta(days=60)
    assert referrals_qualify_by_purchase(community=shop_a.community, now=later) == 0
    assert Referral.objects.get(referee=referee).status == ReferralStatus.PENDING
    assert referrals_qualify_by_purchase(community=shop_b.community, now=later) == 1
