"""The merchant trust numbers come from the community's policy version (issue 5): a new
version with another complaint window, least sales, amber rating line, seat-offer days or
buyer-notice window changes what the code does; presets A and B keep the old values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.commerce.models import Sale
from linli.communities.models import PolicyVersion
from linli.communities.presets import PRESET_A, PRESET_B
from linli.communities.services import policy_version_create
from linli.members.models import Notice
from linli.merchants.models import WaitStatus
from linli.merchants.selectors import complaint_rate_bp, traffic_light
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from linli.merchants.trust import complaint_decide, complaint_file, rating_create, red_list_review
from tests.factories import make_member, make_merchant
from tests.merchants.helpers import commerce_sale, commerce_sales
from tests.merchants.test_waitlist import _apply, _entry

pytestmark = pytest.mark.db_sensitive

TRUST_DEFAULTS = {
    "merchant_complaint_window_days": 90,
    "merchant_complaint_min_sales": 20,
    "merchant_rating_amber_below_tenths": 35,
    "merchant_seat_offer_days": 7,
    "merchant_exit_notify_buyers_days": 90,
}


def _change(community, operator, **changes) -> PolicyVersion:
    return policy_version_create(
        community=community, changes=changes, actor=operator, reason="member assembly vote"
    )


@pytest.mark.parametrize("preset", [PRESET_A, PRESET_B])
def test_both_presets_keep_the_values_the_code_used(preset):
    assert {name: preset[name] for name in TRUST_DEFAULTS} == TRUST_DEFAULTS


def test_least_sales_and_window_come_from_the_policy(community, operator, resident):
    """10 sales and one verified complaint: not judged under the presets' 20 sales; with
    10 the rate is 10 % and the shop goes on the red list. A 7-day window looking from
    ten days later sees no sale at all, where the presets' 90 days would."""
    merchant = make_merchant(community, "tailor")
    commerce_sales(merchant, 10)
    complaint = complaint_file(merchant=merchant, complainant=resident, text="改坏了")
    complaint_decide(complaint=complaint, verified=True, compensation_fen=0, actor=operator)
    soon = timezone.now() + timedelta(minutes=5)
    in_ten_days = timezone.now() + timedelta(days=10)
    assert complaint_rate_bp(merchant=merchant, now=soon) is None
    assert red_list_review(now=soon) == 0

    _change(community, operator, merchant_complaint_min_sales=10)
    assert complaint_rate_bp(merchant=merchant, now=soon) == 1_000
    assert complaint_rate_bp(merchant=merchant, now=in_ten_days) == 1_000  # 90 days

    _change(community, operator, merchant_complaint_window_days=7)
    assert complaint_rate_bp(merchant=merchant, now=soon) == 1_000
    assert complaint_rate_bp(merchant=merchant, now=in_ten_days) is None
    assert red_list_review(now=soon) == 1


def test_the_amber_rating_line_comes_from_the_policy(community, operator):
    """A 4.0-star average is green under the presets' 3.5 and amber under 4.5."""
    merchant = make_merchant(community, "massage")
    for stars in (5, 3):
        sale = commerce_sale(merchant, make_member(community), 1)
        rating_create(
            merchant=merchant,
            rater=sale.member.user,
            sale_journal_id=sale.journal_id,
            stars=stars,
        )
    assert "ratings_low" not in traffic_light(merchant=merchant).reasons
    assert traffic_light(merchant=merchant).colour == "green"
    _change(community, operator, merchant_rating_amber_below_tenths=45)
    light = traffic_light(merchant=merchant)
    assert (light.colour, light.reasons) == ("amber", ("ratings_low",))


def test_the_seat_offer_deadline_comes_from_the_policy(community, operator):
    holder = make_merchant(community, "fruit")
    first = _apply(community)
    _change(community, operator, merchant_seat_offer_days=3)
    merchant_exit_request(merchant=holder, actor=holder.owner)
    holder.refresh_from_db()
    merchant_exit_complete(
        merchant=holder, actor=operator, now=holder.exit_effective_at + timedelta(seconds=1)
    )
    offered = _entry(first)
    assert offered.status == WaitStatus.OFFERED
    assert offered.offer_expires_at - offered.offered_at == timedelta(days=3)


def test_the_buyers_told_of_an_exit_come_from_the_policys_window(community, operator):
    """A member who bought ten days ago is told when a shop leaves under the presets'
    90 days, and not under a 7-day window."""
    buyer = make_member(community)
    first, second = make_merchant(community, "fruit"), make_merchant(community, "barber")
    ten_days_ago = timezone.now() - timedelta(days=10)
    for step, merchant in enumerate((first, second), start=1):
        sale = commerce_sale(merchant, buyer, step)
        Sale.objects.filter(pk=sale.pk).update(created_at=ten_days_ago)  # recorded back then

    merchant_exit_request(merchant=first, actor=first.owner)
    assert Notice.objects.filter(member=buyer, kind="merchant_leaving").count() == 1

    _change(community, operator, merchant_exit_notify_buyers_days=7)
    merchant_exit_request(merchant=second, actor=second.owner)
    assert Notice.objects.filter(member=buyer, kind="merchant_leaving").count() == 1
