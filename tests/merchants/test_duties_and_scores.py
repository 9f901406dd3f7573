"""Duties (offer vs revenue, referrals, weekly reminders, merchant-day rota) and the
quarterly score with the bottom 20 % replaced after a hearing (A§2.1, A§3.1, A§5, A§6.1)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.commerce.selectors import merchant_net_sales
from linli.commerce.services import sale_refund, sale_undo
from linli.communities.models import AuditEntry
from linli.ledger.verification import ledger_verify
from linli.merchants import errors
from linli.merchants.duties import duty_reminders, merchant_day_set, offer_check, offer_publish
from linli.merchants.models import (
    DutyReminder,
    Hearing,
    HearingStatus,
    Industry,
    MerchantStatus,
    QuarterlyScore,
)
from linli.merchants.scoring import QuarterClosed, hearing_decide, quarter_close, quarter_of
from linli.merchants.trust import complaint_decide, complaint_file, rating_create
from tests.factories import make_member, make_merchant
from tests.merchants.helpers import commerce_sale, commerce_sales, record_sale


def test_offer_is_compared_with_the_months_revenue(community):
    merchant = make_merchant(community, "fruit")
    today = timezone.localdate()
    assert offer_check(merchant=merchant, month=today).value_fen is None
    commerce_sales(merchant, 4, 25_000)  # 1 000 CNY this month
    offer = offer_publish(
        merchant=merchant,
        month=today,
        title="会员日水果9折",
        description="",
        value_fen=500,
        actor=merchant.owner,
    )
    check = offer_check(merchant=merchant, month=today)
    # Plan A: at least 1 % of revenue → 10.00 CNY; 5.00 CNY is short.
    assert (check.revenue_fen, check.required_fen, check.value_fen) == (100_000, 1_000, 500)
    assert check.is_short
    offer_publish(
        merchant=merchant,
        month=today,
        title=offer.title,
        description="",
        value_fen=1_000,
        actor=merchant.owner,
    )
    assert not offer_check(merchant=merchant, month=today).is_short
    with pytest.raises(errors.AmountInvalid):
        offer_publish(
            merchant=merchant,
            month=today,
            title="x",
            description="",
            value_fen=-1,
            actor=merchant.owner,
        )


def test_weekly_reminders_name_unmet_duties_once_a_week(community):
    merchant = make_merchant(community, "barber")
    now = timezone.now()
    assert duty_reminders(now=now) == 2  # no offer, no referrals (0 of 2)
    assert duty_reminders(now=now) == 0
    kinds = set(DutyReminder.objects.filter(merchant=merchant).values_list("kind", flat=True))
    assert kinds == {"offer", "referrals"}
    assert duty_reminders(now=now + timedelta(days=7)) >= 1


def test_merchant_day_rota(community, operator):
    supermarket = Industry.objects.get(community=community, code="supermarket")
    day = merchant_day_set(
        community=community,
        weekday=2,
        industry=supermarket,
        joint_offer="购物满100元送干洗券",
        actor=operator,
    )
    assert day.weekday == 2
    again = merchant_day_set(
        community=community,
        weekday=2,
        industry=supermarket,
        joint_offer="满100送券",
        actor=operator,
    )
    assert again.pk == day.pk and again.joint_offer == "满100送券"
    with pytest.raises(errors.ApplicationInvalid):
        merchant_day_set(
            community=community, weekday=7, industry=supermarket, joint_offer="", actor=operator
        )
    with pytest.raises(errors.IndustryInvalid):
        merchant_day_set(
            community=community,
            weekday=1,
            industry=Industry.objects.get(community=community, code="retail"),
            joint_offer="",
            actor=operator,
        )


@pytest.mark.parametrize("complaint_on_d", [False, True])
def test_quarterly_bottom_twenty_percent_with_the_tie_rule(
    community, operator, resident, complaint_on_d
):
    """Five merchants, admitted A..E. A: 10 sales and a 5-star rating (5500); B and C:
    10 sales (4500 each: B, admitted first, ranks above C); D and E: 5 sales (3000 each:
    E, admitted later, is the one marked). A verified complaint on D (−2000) makes D last.

    Sales are net (commerce selector): D also has an undone sale and a fully refunded one,
    which do not count, and a partly refunded one that counts once (so D has 5, like E)."""
    codes = ["fruit", "barber", "pharmacy", "bakery", "tutoring"]
    a, b, c, d, e = (
        make_merchant(community, code, name=name) for code, name in zip(codes, "ABCDE", strict=True)
    )
    buyers = [make_member(community) for _ in range(10)]
    steps = dict.fromkeys(range(10), 0)

    def sell(merchant, i):
        steps[i] += 1
        return commerce_sale(merchant, buyers[i], steps[i])

    for merchant, count in ((a, 10), (b, 10), (c, 10), (d, 4), (e, 5)):
        sales = [sell(merchant, i) for i in range(count)]
        if merchant is a:
            rating_create(
                merchant=a, rater=buyers[0].user, sale_journal_id=sales[0].journal_id, stars=5
            )
    undone = sell(d, 5)
    sale_undo(sale=undone, actor=d.owner, now=undone.created_at)
    refunded = sell(d, 6)
    sale_refund(
        sale=refunded, actor=d.owner, request_no="r1", amount_fen=5_000, now=refunded.created_at
    )
    partly = sell(d, 7)
    sale_refund(
        sale=partly, actor=d.owner, request_no="r2", amount_fen=1_000, now=partly.created_at
    )
    record_sale(e)  # a ledger journal without a commerce sale is not a sale to a member
    net = merchant_net_sales(
        merchant_ids=[d.id, e.id],
        since=timezone.now() - timedelta(days=1),
        until=timezone.now() + timedelta(days=1),
    )
    assert (net[d.id].count, net[d.id].net_fen) == (5, 4 * 5_000 + 4_000)
    assert (net[e.id].count, net[e.id].net_fen) == (5, 5 * 5_000)
    if complaint_on_d:
        complaint = complaint_file(merchant=d, complainant=resident, text="短斤少两")
        complaint_decide(complaint=complaint, verified=True, compensation_fen=0, actor=operator)
    quarter = quarter_of(timezone.localdate())
    rows = quarter_close(community=community, quarter=quarter, actor=operator)

    ranking = [row.merchant.name for row in rows]
    scores = {row.merchant.name: row.score for row in rows}
    assert scores["A"] == 5500 and scores["B"] == scores["C"] == 4500
    if complaint_on_d:
        assert ranking == ["A", "B", "C", "E", "D"] and scores["D"] == 1000
    else:
        assert ranking == ["A", "B", "C", "D", "E"] and scores["D"] == scores["E"] == 3000
    marked = [row.merchant.name for row in rows if row.marked_for_replacement]
    assert marked == [ranking[-1]]  # 20 % of 5 merchants = 1
    hearing = Hearing.objects.get(community=community, quarter=quarter)
    assert hearing.merchant.name == ranking[-1]
    with pytest.raises(QuarterClosed):
        quarter_close(community=community, quarter=quarter, actor=operator)
    assert AuditEntry.objects.filter(action="merchant.quarter_score").count() == 5

    # After the hearing the committee replaces the merchant: its seat reopens.
    hearing_decide(hearing=hearing, replace=True, note="季度末位", actor=operator)
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.REPLACED
    loser = hearing.merchant
    loser.refresh_from_db()
    assert loser.status == MerchantStatus.REMOVED
    make_merchant(community, loser.industry.code)
    assert QuarterlyScore.objects.filter(quarter=quarter).count() == 5
    assert ledger_verify(community=community).problem is None


def test_four_merchants_means_nobody_is_marked(community, operator):
    for code in ("fruit", "barber", "pharmacy", "bakery"):
        make_merchant(community, code)
    rows = quarter_close(
        community=community, quarter=quarter_of(timezone.localdate()), actor=operator
    )
    assert not any(row.marked_for_replacement for row in rows)


def test_score_weights_and_top_up_days_come_from_the_policy(community, operator, resident):
    """A policy that weighs referrals only (sales 0) ranks two merchants by seniority
    alone, whatever their sales; the top-up deadline follows the policy's days."""
    from linli.communities.services import policy_version_create
    from linli.merchants.scoring import quarter_scores

    senior, junior = make_merchant(community, "fruit"), make_merchant(community, "barber")
    for i in range(3):
        record_sale(junior)
        commerce_sale(junior, make_member(community), i + 1)
    ranked = quarter_scores(community=community, quarter=quarter_of(timezone.localdate()))
    assert [s.merchant.id for s in ranked] == [junior.id, senior.id]
    assert ranked[0].components["sales_points"] == 3000

    policy_version_create(
        community=community,
        changes={"merchant_score_sales_weight": 0, "merchant_deposit_top_up_days": 3},
        actor=operator,
        reason="test",
    )
    ranked = quarter_scores(community=community, quarter=quarter_of(timezone.localdate()))
    assert [s.merchant.id for s in ranked] == [senior.id, junior.id]
    assert ranked[1].components["sales_points"] == 0
    complaint = complaint_file(merchant=senior, complainant=resident, text="x")
    complaint_decide(complaint=complaint, verified=True, compensation_fen=100, actor=operator)
    senior.refresh_from_db()
    days = (senior.top_up_due_at - complaint.created_at).total_seconds() / 86_400
    assert 2.9 < days < 3.1
