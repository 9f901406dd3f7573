"""The presets reproduce the two plans' numbers (seeds/000_… = A, seeds/001_… = B)."""

import pytest

from linli.communities.models import PolicyVersion, policy_setting_names
from linli.communities.presets import PRESET_A, PRESET_B
from linli.communities.selectors import policy_current
from tests.factories import make_community

# (setting, plan A, plan B) — each number read off the plans, not off presets.py.
PLAN_NUMBERS = [
    ("member_fee_fen", 9_900, 100_000),  # 99 元 / 1000 元
    ("included_free_services_per_year", 10, 0),
    ("member_discount_min_bp", 500, 1_000),  # 95折起 / 低于市场价10%
    ("service_hour_reward_asset", "TIME", "PTS"),
    ("service_hour_reward_units", 1_000, 100),  # 10 coins at scale 2 / 100 points
    ("coin_value_fen", 100, 100),
    ("spend_reward_asset", "TIME", "PTS"),
    ("spend_reward_bp", 500, 50),  # 5% / 0.5 point per 元
    ("referral_reward_asset", "CNY", "PTS"),
    ("referral_reward_units", 1_000, 200),  # 10 元 / 200 points
    ("referrals_to_waive_fee", 3, 0),
    ("merchant_referral_reward_points", 0, 500),
    ("referral_depth", 1, 1),
    ("merchant_annual_fee_fen", 200_000, 50_000),
    ("merchant_deposit_fen", 50_000, 0),
    ("commission_min_bp", 100, 300),
    ("commission_max_bp", 300, 500),
    ("cross_referral_rebate_bp", 500, 0),
    ("community_fund_sale_bp", 50, 0),  # 0.5% of every sale
    ("community_fund_profit_bp", 0, 500),  # 5% of platform profit
    ("merchant_profit_pledge_bp", 100, 0),
    ("daily_redemption_cap_points", None, 5_000),
    ("member_profit_share_bp", 0, 8_000),
    ("diamond_dividends", True, False),
    ("gold_min_direct_referrals", 30, 30),
    ("gold_team_spend_bp", 200, 0),
    ("diamond_min_gold_referrals", 2, 2),
    ("cross_store_coupon_min_spend_fen", 5_000, 5_000),
    ("cross_store_coupon_value_fen", 500, 0),
    ("cross_store_coupon_platform_subsidy_bp", 2_000, 0),
    ("bundle_min_discount_bp", 2_000, 0),
    ("interest_group_min_members", 10, 10),
    ("shortage_threshold_bp", 3_000, 3_000),
    ("shortage_platform_share_bp", 5_000, 0),
    ("enterprise_coin_price_bp", 12_000, 0),  # 1 : 1.2
    ("complaint_rate_red_bp", 500, 500),
    ("quarterly_replace_bottom_bp", 2_000, 0),
    ("senior_age_years", 60, 60),
    ("ad_slot_price_min_fen", 30_000, 30_000),
    ("ad_slot_price_max_fen", 50_000, 50_000),
    ("new_member_gift_value_fen", 20_000, 0),  # 1元换购 worth 200 元
    ("merchant_offer_min_bp", 100, 0),
    ("merchant_offer_max_bp", 300, 0),
    ("merchant_min_referrals_per_month", 2, 0),
    ("refund_full_days", 7, 7),
    ("return_window_days", 7, 7),
    ("matching_response_minutes", 30, 30),
]


@pytest.mark.parametrize(("setting", "plan_a", "plan_b"), PLAN_NUMBERS)
def test_presets_carry_the_plan_numbers(setting, plan_a, plan_b):
    assert PRESET_A[setting] == plan_a
    assert PRESET_B[setting] == plan_b


@pytest.mark.parametrize("preset", [PRESET_A, PRESET_B], ids=["A", "B"])
def test_a_preset_sets_every_policy_setting_and_nothing_else(preset):
    assert sorted(preset) == sorted(policy_setting_names())


@pytest.mark.django_db
@pytest.mark.parametrize(("preset", "values"), [("A", PRESET_A), ("B", PRESET_B)])
def test_a_new_community_runs_its_preset_as_version_one(preset, values):
    community = make_community(preset)
    policy = policy_current(community=community)
    assert policy is not None
    assert (policy.number, policy.preset) == (1, preset)
    assert {name: getattr(policy, name) for name in values} == values
    assert PolicyVersion.objects.filter(community=community).count() == 1


def test_spend_rewards_come_out_as_the_plans_describe():
    """A: 100 元 spent → 5 coins (500 units at scale 2); B: 100 元 → 50 points."""
    spend_fen = 10_000
    assert spend_fen * PRESET_A["spend_reward_bp"] // 10_000 == 500
    assert spend_fen * PRESET_B["spend_reward_bp"] // 10_000 == 50


@pytest.mark.django_db
@pytest.mark.parametrize("preset", ["A", "B"])
def test_presets_satisfy_every_validator_and_constraint(preset):
    """community_create trusts the presets for constraints; this is why it may."""
    from django.utils import timezone

    from linli.communities.presets import PRESETS

    policy = PolicyVersion(**PRESETS[preset], number=1, effective_from=timezone.now())
    policy.full_clean(exclude=["community", "created_by"], validate_unique=False)
