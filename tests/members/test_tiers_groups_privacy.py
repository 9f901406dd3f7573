"""Tiers (property tests), interest groups, gift pack, PIPL export and close."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from linli.communities.models import Building, Neighbourhood
from linli.communities.selectors import policy_in_force
from linli.errors import Conflict
from linli.ledger.models import Account, AccountKind
from linli.members import pii
from linli.members.models import Member, Referral, Tier, TierChange
from linli.members.services import (
    fee_payment_confirm,
    gift_pack_claim,
    group_create,
    group_has_discount,
    group_join,
    group_leave,
    member_close,
    member_export,
    membership_refund,
    tier_for,
    tiers_evaluate,
)
from linli.members.services.privacy import RefundFirst
from linli.members.services.tiers import GiftTaken, TierInputs
from tests.members.conftest import join
from tests.members.test_fees import apply, verified

RANK = {Tier.SILVER: 0, Tier.GOLD: 1, Tier.DIAMOND: 2}


class _Policy:
    gold_min_direct_referrals = 30
    diamond_min_gold_referrals = 2


@given(
    st.integers(0, 100),
    st.integers(0, 100),
    st.integers(0, 5),
    st.integers(0, 5),
    st.booleans(),
)
def test_tier_is_monotonic_in_referrals(active, more, golds, more_golds, paid):
    """More active direct referrals or more gold referees never lower the tier."""
    policy = _Policy()
    low = tier_for(
        scheme="silver_gold_diamond",
        inputs=TierInputs(paid, active, min(golds, active)),
        policy=policy,
    )
    high = tier_for(
        scheme="silver_gold_diamond",
        inputs=TierInputs(paid, active + more, min(golds, active) + more_golds),
        policy=policy,
    )
    assert RANK[Tier(high)] >= RANK[Tier(low)]
    gold = active >= policy.gold_min_direct_referrals
    assert (low != Tier.SILVER) == (gold or min(golds, active) >= 2)


@given(st.booleans(), st.integers(0, 50))
def test_basic_vip_depends_only_on_paying(paid, referrals):
    tier = tier_for(scheme="basic_vip", inputs=TierInputs(paid, referrals, 0), policy=_Policy())
    assert tier == (Tier.VIP if paid else Tier.BASIC)


def test_tier_job_records_history_with_reason(community_b, settings):
    from tests.factories import make_role, make_user

    operator = make_user()
    make_role(operator, community_b, "operator")
    member = verified(community_b)
    assert tiers_evaluate(community=community_b) == 1  # basic
    membership = apply(member)
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key="t",
        actor=operator,
    )
    assert tiers_evaluate(community=community_b) == 1
    assert tiers_evaluate(community=community_b) == 0
    history = list(TierChange.objects.filter(member=member).order_by("id"))
    assert [h.tier_to for h in history] == ["basic", "vip"]
    assert history[-1].reason["is_paid_member"] is True


def test_gold_needs_active_direct_referrals(community, operator):
    from linli.communities.services import policy_version_create

    policy_version_create(
        community=community, changes={"gold_min_direct_referrals": 2}, reason="t", actor=None
    )
    referrer = join(community)
    referees = [verified(community, referral_code=referrer.referral_code) for _ in range(2)]
    tiers_evaluate(community=community)
    assert Member.objects.get(pk=referrer.pk).tier == Tier.SILVER
    for referee in referees:
        m = apply(referee)
        fee_payment_confirm(
            membership=m,
            amount_fen=m.fee_fen,
            method="cash",
            idempotency_key=f"g{m.id}",
            actor=operator,
        )
    tiers_evaluate(community=community)
    assert Member.objects.get(pk=referrer.pk).tier == Tier.GOLD
    assert (
        TierChange.objects.filter(member=referrer, tier_to="gold")
        .get()
        .reason["active_direct_referrals"]
        == 2
    )


def test_interest_group_unlocks_at_size(community):
    size = policy_in_force(community=community).interest_group_min_members
    creator = join(community)
    group = group_create(member=creator, name="太极拳")
    with pytest.raises(Conflict):
        group_create(member=join(community), name="太极拳")
    others = [join(community) for _ in range(size - 2)]
    for other in others:
        group_join(member=other, group=group)
    assert not group_has_discount(group=group)
    last = join(community)
    group_join(member=last, group=group)
    assert group_has_discount(group=group)
    with pytest.raises(Conflict):
        group_join(member=last, group=group)
    group_leave(member=last, group=group)
    assert not group_has_discount(group=group)


def test_gift_pack_once_per_household(community):
    hood = Neighbourhood.objects.create(community=community, name="园")
    building = Building.objects.create(community=community, neighbourhood=hood, name="1")
    first = join(community, building=building, unit_label="101")
    second = join(community, building=building, unit_label="101")
    gift = gift_pack_claim(member=first, store_name="好邻居超市")
    assert gift.value_fen == policy_in_force(community=community).new_member_gift_value_fen
    with pytest.raises(GiftTaken):
        gift_pack_claim(member=second, store_name="好邻居超市")


def test_export_has_my_data_in_clear(community):
    member = verified(community)
    data = member_export(member=member)
    assert data["member"]["phone"] == pii.decrypt(member.phone_cipher)
    assert len(data["member"]["id_number"]) == 18
    assert {c["purpose"] for c in data["consents"]} >= {"terms", "real_name", "marketing"}


def test_close_removes_personal_data_and_keeps_the_ledger(community, operator):
    referrer = join(community)
    start = timezone.now()
    member = verified(community, referral_code=referrer.referral_code)
    membership = apply(member, now=start)
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key="c",
        actor=operator,
        now=start,
    )
    with pytest.raises(RefundFirst):
        member_close(member=member)
    membership_refund(
        membership=membership, reason="", actor=operator, now=start + timedelta(days=1)
    )
    closed = member_close(member=member)
    row = Member.objects.get(pk=closed.pk)
    assert row.phone_hash is None and row.id_hash is None and row.phone_cipher == ""
    assert row.id_number_cipher == "" and row.birth_date is None and row.display_name == "—"
    assert not row.user.is_active and not row.user.has_usable_password()
    assert Referral.objects.filter(referee=row).exists()  # the history stays, anonymous
    assert Account.objects.filter(kind=AccountKind.FEE_ESCROW, community=community).exists()
    # the phone can join again as a new person
    join(community, phone=None)
