"""The complaint rate, the monthly-offer duty and the console's sales figure count NET
sales (commerce sales that stand): an undone or fully refunded sale does not count, a
partly refunded one counts once at what was kept. Ledger journals alone are not sales."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.merchants.duties import offer_check, offer_publish
from linli.merchants.selectors import complaint_rate_bp, traffic_light
from linli.merchants.trust import complaint_decide, complaint_file, red_list_review
from tests.factories import make_merchant
from tests.merchants.helpers import commerce_sales, record_sale, sale_refund_now, sale_undo_now

pytestmark = pytest.mark.db_sensitive


def _later():
    """A moment after the test's sales (a helper sale is stamped up to 30 s ahead)."""
    return timezone.now() + timedelta(minutes=5)


def _verified_complaints(merchant, complainant, operator, count: int) -> None:
    for i in range(count):
        complaint = complaint_file(merchant=merchant, complainant=complainant, text=f"投诉{i}")
        complaint_decide(complaint=complaint, verified=True, compensation_fen=0, actor=operator)


def test_complaint_rate_counts_net_sales_only(community, operator, resident):
    """22 sales: one undone, one fully refunded, one partly refunded → 20 that stand.
    Two verified complaints on 20 sales is 10 % (on 22 ledger journals it would be 9 %)."""
    merchant = make_merchant(community, "dry-cleaning")
    sales = commerce_sales(merchant, 22)
    sale_undo_now(sales[0])
    sale_refund_now(sales[1], 5_000)  # all of it
    sale_refund_now(sales[2], 1_000)  # part of it: the sale still stands
    for _ in range(3):
        record_sale(merchant)  # cash posted in the ledger without a 核销: not a sale
    _verified_complaints(merchant, resident, operator, 2)
    assert complaint_rate_bp(merchant=merchant, now=_later()) == 1_000

    # One more undone sale leaves 19: below the minimum of 20, the rate is not judged.
    sale_undo_now(sales[3])
    assert complaint_rate_bp(merchant=merchant, now=_later()) is None
    assert red_list_review(now=_later()) == 0
    light = traffic_light(merchant=merchant, now=_later())
    assert "complaint_rate" not in light.reasons


def test_red_list_judges_the_rate_on_net_sales(community, operator, resident):
    """20 sales of which one is refunded in full: 19 stand, so one more sale is needed
    before the rate is judged; then 2 of 20 (10 %) is above B§3.2's 5 % line."""
    merchant = make_merchant(community, "tailor")
    sales = commerce_sales(merchant, 20)
    sale_refund_now(sales[0], 5_000)
    _verified_complaints(merchant, resident, operator, 2)
    assert red_list_review(now=_later()) == 0
    commerce_sales(merchant, 1)
    assert red_list_review(now=_later()) == 1
    merchant.refresh_from_db()
    assert merchant.red_listed_at is not None


def test_offer_duty_is_judged_on_net_revenue(community):
    """4 sales of 250 CNY: one undone, one refunded in full, one refunded 50 CNY →
    net revenue 450 CNY, so plan A's 1 % is 4.50 CNY (on 1 000 CNY recorded it was 10)."""
    merchant = make_merchant(community, "fruit")
    today = timezone.localdate()
    sales = commerce_sales(merchant, 4, 25_000)
    sale_undo_now(sales[0])
    sale_refund_now(sales[1], 25_000)
    sale_refund_now(sales[2], 5_000)
    record_sale(merchant, 100_000)  # a ledger journal only: not revenue from members
    offer_publish(
        merchant=merchant,
        month=today,
        title="会员日水果9折",
        description="",
        value_fen=449,
        actor=merchant.owner,
    )
    check = offer_check(merchant=merchant, month=today)
    assert (check.revenue_fen, check.required_fen, check.value_fen) == (45_000, 450, 449)
    assert check.is_short
    offer_publish(
        merchant=merchant,
        month=today,
        title="会员日水果9折",
        description="",
        value_fen=450,
        actor=merchant.owner,
    )
    assert not offer_check(merchant=merchant, month=today).is_short


def test_console_shows_this_months_net_sales(community):
    merchant = make_merchant(community, "bakery")
    sales = commerce_sales(merchant, 3, 10_000)
    sale_undo_now(sales[0])
    sale_refund_now(sales[1], 2_500)
    record_sale(merchant, 50_000)
    client = Client()
    client.force_login(merchant.owner)
    page = client.get("/c/sunny/merchants/console/").content.decode()
    # 100.00 kept in full + 75.00 kept of a partly refunded sale.
    assert 'data-testid="sales-month">175.00<' in page


def test_no_offer_duty_under_plan_b(community):
    """Plan B has no monthly offer (merchant_offer_min_bp 0): a B shop without one is
    neither short nor reminded; under plan A the same shop is."""
    from linli.merchants.duties import duty_reminders
    from linli.merchants.models import DutyReminder
    from linli.merchants.services import industries_ensure
    from tests.factories import make_community

    plan_b = make_community("B", slug="plan-b")
    industries_ensure(community=plan_b)
    b_shop = make_merchant(plan_b, "fruit")
    a_shop = make_merchant(community, "fruit")
    today = timezone.localdate()
    commerce_sales(b_shop, 2)
    assert not offer_check(merchant=b_shop, month=today).is_short
    assert offer_check(merchant=a_shop, month=today).is_short
    duty_reminders()
    assert not DutyReminder.objects.filter(merchant=b_shop, kind__startswith="offer").exists()
    assert DutyReminder.objects.filter(merchant=a_shop, kind="offer").exists()
