"""Policy versions: validated changes make a new version; nothing is ever edited in place."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.communities.errors import PolicyInvalid
from linli.communities.models import AuditEntry, PolicyVersion
from linli.communities.selectors import policy_current, policy_history, policy_in_force
from linli.communities.services import policy_version_create
from tests.factories import make_community

pytestmark = pytest.mark.django_db


def _create(community, changes, **kwargs):
    kwargs.setdefault("actor", None)
    kwargs.setdefault("reason", "assembly vote 2025-07")
    return policy_version_create(community=community, changes=changes, **kwargs)


@pytest.mark.parametrize(
    ("changes", "bad_field"),
    [
        ({"commission_max_bp": 10_001}, "commission_max_bp"),  # bp above 100 %
        ({"community_fund_sale_bp": 20_000}, "community_fund_sale_bp"),
        ({"commission_min_bp": 400}, "__all__"),  # min 400 > max 300
        ({"member_discount_min_bp": 3_500}, "__all__"),  # min > max
        ({"member_fee_fen": -1}, "member_fee_fen"),  # negative fee
        ({"merchant_deposit_fen": -50_000}, "merchant_deposit_fen"),
        ({"referral_depth": 2}, "referral_depth"),  # compliance: direct referrer only
        ({"referral_depth": 0}, "referral_depth"),
        ({"member_fee_early_bird_fen": 10_000}, "__all__"),  # early bird above the fee
        ({"spend_reward_asset": "CNY"}, "__all__"),  # cash-back in cash: not a reward asset
        ({"service_hour_reward_asset": "USD"}, "service_hour_reward_asset"),
        ({"enterprise_coin_price_bp": 9_000}, "__all__"),  # coins sold below face value
        ({"family_package_fee_fen": 100_000}, "__all__"),  # a package for 0 people
        ({"member_profit_share_bp": 9_800, "community_fund_profit_bp": 500}, "__all__"),
        ({"referral_reward_yearly_cap": 0}, "referral_reward_yearly_cap"),
        ({"daily_redemption_cap_points": 0}, "daily_redemption_cap_points"),
        ({"senior_age_years": 30}, "senior_age_years"),
        # Merchant trust numbers (issue 5): positive, within sane bounds, whole numbers.
        ({"merchant_complaint_window_days": 0}, "merchant_complaint_window_days"),
        ({"merchant_complaint_window_days": 367}, "merchant_complaint_window_days"),
        ({"merchant_complaint_min_sales": 0}, "merchant_complaint_min_sales"),
        ({"merchant_complaint_min_sales": 100_001}, "merchant_complaint_min_sales"),
        ({"merchant_rating_amber_below_tenths": 9}, "merchant_rating_amber_below_tenths"),
        ({"merchant_rating_amber_below_tenths": 51}, "merchant_rating_amber_below_tenths"),
        ({"merchant_rating_amber_below_tenths": 3.5}, "merchant_rating_amber_below_tenths"),
        ({"merchant_seat_offer_days": 0}, "merchant_seat_offer_days"),
        ({"merchant_seat_offer_days": 61}, "merchant_seat_offer_days"),
        ({"merchant_seat_offer_days": "7"}, "merchant_seat_offer_days"),
        ({"merchant_exit_notify_buyers_days": -90}, "merchant_exit_notify_buyers_days"),
        ({"merchant_exit_notify_buyers_days": 10**12}, "merchant_exit_notify_buyers_days"),
        ({"member_fee_fen": 99.5}, "member_fee_fen"),  # money is never fractional
        ({"member_fee_fen": "9900"}, "member_fee_fen"),  # nor text
        ({"diamond_dividends": 1}, "diamond_dividends"),
        ({"member_fee_fen": None}, "member_fee_fen"),
        ({"no_such_setting": 1}, "no_such_setting"),
        ({"number": 7}, "number"),  # bookkeeping fields are not settings
        ({"community": 2}, "community"),
    ],
)
def test_invalid_changes_are_rejected_with_a_code_and_nothing_is_created(changes, bad_field):
    community = make_community("A")
    audit_before = AuditEntry.objects.count()

    with pytest.raises(PolicyInvalid) as caught:
        _create(community, changes)

    assert caught.value.code == "policy_invalid"
    assert caught.value.status == 400
    assert bad_field in caught.value.params["fields"]
    assert PolicyVersion.objects.filter(community=community).count() == 1
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"changes": {}},
        {"changes": {"member_fee_fen": 9_900}},  # nothing differs
        {"changes": {"member_fee_fen": 12_900}, "reason": "   "},
        {"changes": {"member_fee_fen": 12_900}, "reason": "x" * 2001},
        {"changes": {"member_fee_fen": 12_900}, "effective_from": "2030-01-01"},
    ],
    ids=["empty", "unchanged", "blank-reason", "long-reason", "text-time"],
)
def test_empty_or_pointless_changes_are_rejected(kwargs):
    community = make_community("A")
    with pytest.raises(PolicyInvalid):
        _create(community, **kwargs)
    assert PolicyVersion.objects.filter(community=community).count() == 1


def test_a_policy_cannot_start_in_the_past():
    community = make_community("A")
    with pytest.raises(PolicyInvalid) as caught:
        _create(
            community,
            {"member_fee_fen": 12_900},
            effective_from=timezone.now() - timedelta(hours=1),
        )
    assert "effective_from" in caught.value.params["fields"]
    # A few seconds of clock skew are tolerated: the version starts now.
    asked = timezone.now() - timedelta(seconds=5)
    v2 = _create(community, {"member_fee_fen": 12_900}, effective_from=asked)
    assert v2.effective_from > asked
    assert policy_in_force(community=community) == v2


def test_a_policy_cannot_be_scheduled_beyond_ten_years():
    community = make_community("A")
    with pytest.raises(PolicyInvalid):
        _create(
            community,
            {"member_fee_fen": 12_900},
            effective_from=timezone.now() + timedelta(days=3_700),
        )


def test_a_change_makes_version_two_and_leaves_version_one_alone():
    community = make_community("A")
    v1 = policy_in_force(community=community)

    v2 = _create(community, {"member_fee_fen": 12_900, "commission_max_bp": 250})

    assert v2.number == 2
    assert (v2.member_fee_fen, v2.commission_max_bp) == (12_900, 250)
    assert v2.referral_reward_units == v1.referral_reward_units  # copied from v1
    assert v2.preset == "A"
    v1.refresh_from_db()
    assert (v1.member_fee_fen, v1.commission_max_bp) == (9_900, 300)
    assert [p.number for p in policy_history(community=community)] == [1, 2]
    assert policy_in_force(community=community) == v2


def test_policy_current_follows_the_effective_time():
    community = make_community("B")
    v1 = policy_in_force(community=community)
    start = timezone.now() + timedelta(days=30)
    v2 = _create(community, {"daily_redemption_cap_points": 3_000}, effective_from=start)

    assert policy_current(community=community) == v1  # scheduled, not yet in force
    assert policy_current(community=community, at=start - timedelta(seconds=1)) == v1
    assert policy_current(community=community, at=start) == v2
    assert policy_current(community=community, at=start + timedelta(days=400)) == v2
    assert policy_current(community=community, at=v1.effective_from - timedelta(days=1)) is None


def test_a_change_starts_from_the_newest_version_even_when_it_is_scheduled():
    community = make_community("A")
    start = timezone.now() + timedelta(days=10)
    _create(community, {"member_fee_fen": 12_900}, effective_from=start)
    v3 = _create(community, {"commission_min_bp": 150}, effective_from=start + timedelta(days=1))
    assert (v3.number, v3.member_fee_fen, v3.commission_min_bp) == (3, 12_900, 150)


def test_effective_times_never_go_backwards():
    community = make_community("A")
    _create(
        community, {"member_fee_fen": 12_900}, effective_from=timezone.now() + timedelta(days=10)
    )
    with pytest.raises(PolicyInvalid) as caught:
        _create(community, {"commission_min_bp": 150})  # now, before v2 starts
    assert "effective_from" in caught.value.params["fields"]


def test_policy_versions_are_per_community():
    first, second = make_community("A"), make_community("A")
    _create(first, {"member_fee_fen": 12_900})
    assert policy_in_force(community=first).number == 2
    assert policy_in_force(community=second).number == 1
    assert policy_in_force(community=second).member_fee_fen == 9_900


def test_the_change_is_audited_with_before_and_after(operator, community):
    v2 = _create(community, {"member_fee_fen": 12_900}, actor=operator, reason="涨价")
    entry = AuditEntry.objects.filter(action="policy.create", target_id=str(v2.pk)).get()
    assert entry.community == community
    assert entry.actor == operator
    assert entry.before == {"number": 1, "member_fee_fen": 9_900}
    assert entry.after["number"] == 2
    assert entry.after["member_fee_fen"] == 12_900
    assert v2.created_by == operator
    assert v2.reason == "涨价"


@pytest.mark.db_sensitive
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("commission_max_bp", 10_001),
        ("commission_min_bp", 400),  # above the max
        ("referral_depth", 2),
        ("spend_reward_asset", "CNY"),
        ("enterprise_coin_price_bp", 5_000),
        ("daily_redemption_cap_points", 0),
        ("member_fee_early_bird_fen", 20_000),
    ],
)
def test_the_database_refuses_what_validation_refuses(field, value):
    """CheckConstraints hold even for code that skips the service (both databases)."""
    community = make_community("A")
    v1 = PolicyVersion.objects.get(community=community)
    values = {f.attname: getattr(v1, f.attname) for f in PolicyVersion._meta.concrete_fields}
    values.pop("id")
    values.update({"number": 2, field: value})
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.create(**values)
    assert PolicyVersion.objects.filter(community=community).count() == 1
