"""Referrals: bound at registration, one level, DB guarantees, qualification, cap, reversal."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.communities.selectors import policy_in_force
from linli.ledger.models import Account, AccountKind, Journal
from linli.ledger.selectors import account_balances
from linli.members import errors
from linli.members.models import Referral, ReferralStatus
from linli.members.selectors import referrals_of
from linli.members.services import (
    fee_payment_confirm,
    membership_refund,
    referral_bind,
    referral_qualify,
    referrals_qualify_due,
)
from tests.members.conftest import join
from tests.members.test_fees import apply, verified


def wallet(member, asset):
    account = Account.objects.filter(
        community=member.community,
        kind=AccountKind.MEMBER_WALLET,
        owner_id=member.id,
        asset_id=asset,
    ).first()
    return 0 if account is None else account_balances(account=account).posted


def test_referral_is_bound_at_registration(community):
    referrer = join(community)
    referee = join(community, referral_code=referrer.referral_code.lower())
    assert referee.referred_by.referrer_id == referrer.id
    assert referrals_of(member=referrer)[0].status == ReferralStatus.PENDING
    with translation.override("en"):
        assert "not qualified yet" in referrals_of(member=referrer)[0].why.lower()


def test_unknown_code_refuses_the_whole_registration(community):
    with pytest.raises(errors.ReferralInvalid):
        join(community, referral_code="NOPE")
    from linli.members.models import Member

    assert Member.objects.count() == 0


def test_self_referral_is_refused(community):
    member = join(community)
    with pytest.raises(errors.SelfReferral):
        referral_bind(referee=member, code=member.referral_code)


def test_referral_cycle_is_refused(community):
    a = join(community)
    b = join(community, referral_code=a.referral_code)
    with pytest.raises(errors.ReferralCycle):
        referral_bind(referee=a, code=b.referral_code)


def test_second_referrer_is_refused(community):
    a, c = join(community), join(community)
    b = join(community, referral_code=a.referral_code)
    with pytest.raises(errors.AlreadyReferred):
        referral_bind(referee=b, code=c.referral_code)


def test_database_guarantees(community):
    a = join(community)
    b = join(community, referral_code=a.referral_code)
    c = join(community)
    for referrer, referee in ((a, a), (b, a), (c, b)):  # self, cycle, second referrer
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.create(community=community, referrer=referrer, referee=referee)
    assert Referral.objects.count() == 1


def test_same_household_cannot_refer(community):
    from linli.communities.models import Building, Neighbourhood

    hood = Neighbourhood.objects.create(community=community, name="园")
    building = Building.objects.create(community=community, neighbourhood=hood, name="1")
    a = join(community, building=building, unit_label="101")
    with pytest.raises(errors.ReferralSameHousehold):
        join(community, building=building, unit_label="101", referral_code=a.referral_code)


def _paid_referee(community, operator, referrer, now):
    referee = verified(community, referral_code=referrer.referral_code)
    membership = apply(referee, now=now)
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key=f"p{membership.id}",
        actor=operator,
        now=now,
    )
    membership.refresh_from_db()
    return referee, membership


def test_fee_kept_past_the_refund_window_qualifies_and_rewards(community, operator):
    policy = policy_in_force(community=community)
    referrer = join(community)
    start = timezone.now()
    referee, _membership = _paid_referee(community, operator, referrer, start)
    assert referrals_qualify_due(community=community, now=start + timedelta(days=3)) == 0
    assert wallet(referrer, policy.referral_reward_asset) == 0
    after = start + timedelta(days=policy.refund_full_days, minutes=1)
    assert referrals_qualify_due(community=community, now=after) == 1
    assert referrals_qualify_due(community=community, now=after) == 0
    assert wallet(referrer, policy.referral_reward_asset) == policy.referral_reward_units
    referral = Referral.objects.get(referee=referee)
    assert referral.status == ReferralStatus.REWARDED


def test_refund_reverses_the_reward(community, operator):
    policy = policy_in_force(community=community)
    referrer = join(community)
    start = timezone.now()
    _referee, membership = _paid_referee(community, operator, referrer, start)
    after = start + timedelta(days=policy.refund_full_days + 1)
    referrals_qualify_due(community=community, now=after)
    membership_refund(membership=membership, reason="", actor=operator, now=after)
    assert wallet(referrer, policy.referral_reward_asset) == 0
    assert Referral.objects.get().status == ReferralStatus.REVERSED
    assert Journal.objects.filter(code="member.referral_reward").count() == 1


def test_full_refund_inside_the_window_never_rewards(community, operator):
    referrer = join(community)
    start = timezone.now()
    _referee, membership = _paid_referee(community, operator, referrer, start)
    membership_refund(
        membership=membership, reason="", actor=operator, now=start + timedelta(days=1)
    )
    referrals_qualify_due(community=community, now=start + timedelta(days=30))
    assert Referral.objects.get().status == ReferralStatus.PENDING
    assert not Journal.objects.filter(code="member.referral_reward").exists()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(referees=st.integers(min_value=0, max_value=10), cap=st.integers(min_value=1, max_value=5))
def test_rewards_never_exceed_the_yearly_cap(community_b, referees, cap):
    """Property: rewards posted = min(qualified, cap); the rest are capped, never paid."""
    from linli.communities.services import policy_version_create

    if policy_in_force(community=community_b).referral_reward_yearly_cap != cap:
        policy_version_create(
            community=community_b,
            changes={"referral_reward_yearly_cap": cap},
            reason="t",
            actor=None,
        )
    policy = policy_in_force(community=community_b)
    referrer = join(community_b)
    before = wallet(referrer, policy.referral_reward_asset)
    for _ in range(referees):
        referee = join(community_b, referral_code=referrer.referral_code)
        referral_qualify(referee=referee, reason="first_purchase")
    rewarded = Referral.objects.filter(referrer=referrer, status=ReferralStatus.REWARDED).count()
    capped = Referral.objects.filter(referrer=referrer, status=ReferralStatus.CAPPED).count()
    assert rewarded == min(referees, cap) and capped == referees - rewarded
    gained = wallet(referrer, policy.referral_reward_asset) - before
    assert gained == rewarded * policy.referral_reward_units


def test_velocity_limit(community):
    daily_max = policy_in_force(community=community).referrals_per_referrer_daily_max
    assert daily_max == 10  # both presets keep the former constant

    referrer = join(community)
    for _ in range(daily_max):
        join(community, referral_code=referrer.referral_code)
    with pytest.raises(errors.ReferralTooFast):
        join(community, referral_code=referrer.referral_code)
