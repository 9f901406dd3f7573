"""Cross-store coupons (A§2.2), worked to the fen on preset A: spend 60 yuan at the bakery
(A) → a 5 yuan coupon for the fruit shop (B); platform 20%, A 40%, B the rest. The coupon
is a payment part paid from `coupon_cost`, which is refilled in the same transaction."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.commerce import coupon_errors as errors
from linli.commerce.coupon_models import ClaimStatus, CouponClaim, SaleCoupon
from linli.commerce.coupons import (
    CampaignTerms,
    campaign_create,
    campaign_dry_run,
    campaign_switch,
)
from linli.commerce.models import Sale, SaleStatus
from linli.commerce.services import sale_consume, sale_refund, sale_undo
from linli.ledger.models import AccountKind, Transfer, TransferKind
from linli.ledger.services import chart_ensure
from linli.ledger.verification import ledger_verify
from linli.merchants.services import staff_add
from tests.commerce.conftest import (
    CASHIER_PASSWORD,
    balance,
    code_of,
    fund,
    merchant_of,
    wallet_of,
)
from tests.factories import make_community, make_member, make_merchant, make_user


class Street:
    """Two shops of one community and a buyer nobody referred (no rebate leg)."""

    def __init__(self, preset: str = "A") -> None:
        self.community = make_community(preset)
        self.a = make_merchant(self.community, "bakery")
        self.b = make_merchant(self.community, "fruit")
        self.till_a = staff_add(
            merchant=self.a, username=f"ta{self.a.id}", password=CASHIER_PASSWORD, actor=None
        ).user
        self.till_b = staff_add(
            merchant=self.b, username=f"tb{self.b.id}", password=CASHIER_PASSWORD, actor=None
        ).user
        self.buyer = make_member(self.community, display_name="李阿姨")
        self.operator = make_user()
        self.step = 0

    def sell(self, merchant, clerk, request_no, amount_fen, coupon_ids=None, member=None):
        self.step += 1
        now = timezone.now() + timedelta(seconds=30 * self.step)
        return sale_consume(
            merchant=merchant,
            clerk=clerk,
            request_no=request_no,
            code=code_of(member or self.buyer, now),
            amount_fen=amount_fen,
            coupon_ids=coupon_ids,
            now=now,
        )[0]

    def campaign(self, **terms):
        values = {
            "name": "面包换水果",
            "issuer_id": self.a.id,
            "redeemer_id": self.b.id,
            "issuer_bp": 4_000,
            "valid_days": 30,
            "per_member_limit": 2,
            "budget_fen": 100_000,
        }
        values.update(terms)
        made = campaign_create(
            community=self.community, actor=self.operator, terms=CampaignTerms(**values)
        )
        return campaign_switch(campaign=made, on=True)


@pytest.fixture
def street(db) -> Street:
    return Street("A")


def _system(community, kind) -> int:
    return balance(chart_ensure(community=community)[(kind, "CNY")])


def test_worked_example_to_the_fen(street):
    campaign = street.campaign()
    assert (campaign.min_spend_fen, campaign.value_fen, campaign.platform_bp) == (5_000, 500, 2_000)
    a_cny, b_cny = merchant_of(street.a, "CNY"), merchant_of(street.b, "CNY")
    a0, b0, pending0 = balance(a_cny), balance(b_cny), a_cny.debits_pending
    cost0 = _system(street.community, AccountKind.COUPON_COST)
    subsidy0 = _system(street.community, AccountKind.SUBSIDY)
    revenue0 = _system(street.community, AccountKind.PLATFORM_REVENUE)

    # 1. 60 yuan cash at A: A keeps 6000 − 60 commission − 30 fund = 5910 fen, and its share
    #    of the coupon, 40% of 500 = 200 fen, is held for B until the coupon expires.
    first = street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    assert (coupon.merchant_id, coupon.value_fen, coupon.status) == (street.b.id, 500, "available")
    hold = Transfer.objects.get(id=coupon.hold_id)
    assert (hold.kind, hold.amount, hold.debit_account_id, hold.credit_account_id) == (
        TransferKind.PENDING,
        200,
        a_cny.id,
        b_cny.id,
    )
    assert balance(a_cny) - a0 == 5_910
    assert a_cny.debits_pending - pending0 == 200
    campaign.refresh_from_db()
    assert campaign.issued_fen == 500

    # 2. At B: a 29 yuan sale, the coupon pays 5, the member 24 in cash.
    second = street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id])
    assert (second.amount_fen, second.cash_fen) == (2_900, 2_400)
    legs = [(g["reason"], g["amount"], g["asset"]) for g in second.legs]
    assert legs == [
        ("payment", 2_400, "CNY"),  # cash at the till → B
        ("commission", 24, "CNY"),  # 1% of 2400
        ("fund", 12, "CNY"),  # 0.5% of 2400
        ("payment", 500, "CNY"),  # coupon_cost → B
        ("commission", 5, "CNY"),  # 1% of 500
        ("fund", 3, "CNY"),  # 0.5% of 500 = 2.5: the tie goes to the fund
        ("cashback", 145, "TIME"),  # 5% of 2900, in coin units
    ]
    used = SaleCoupon.objects.get(sale=second)
    assert (used.gross_fen, used.discount_fen, used.paid_fen) == (2_900, 0, 500)
    # Funding: the hold posts A → B 200; then subsidy → coupon_cost 100 (20%) and
    # B → coupon_cost 400 (A's 200 just received + B's own 200).
    assert balance(a_cny) - a0 == 5_910 - 200
    assert balance(b_cny) - b0 == 2_400 - 24 - 12 + 500 - 5 - 3 + 200 - 400 == 2_656
    assert _system(street.community, AccountKind.COUPON_COST) - cost0 == 0
    assert _system(street.community, AccountKind.SUBSIDY) - subsidy0 == -100
    assert _system(street.community, AccountKind.PLATFORM_REVENUE) - revenue0 == 60 + 24 + 5
    coupon.refresh_from_db()
    assert coupon.status == ClaimStatus.USED and coupon.used_in_id == second.id
    # B's net for 29 yuan of fruit: 2900 − 44 fees on its sale − 200 its own share = 2656
    assert ledger_verify(community=street.community).problem is None


def test_undo_at_b_reverses_the_funding_and_gives_the_coupon_back_reserved(street):
    street.campaign()
    a_cny, b_cny = merchant_of(street.a, "CNY"), merchant_of(street.b, "CNY")
    first = street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    a_before, b_before, pending0 = balance(a_cny), balance(b_cny), a_cny.debits_pending
    cost0 = _system(street.community, AccountKind.COUPON_COST)
    subsidy0 = _system(street.community, AccountKind.SUBSIDY)
    second = street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id])
    with pytest.raises(errors.CouponPartialRefund):
        sale_refund(sale=second, actor=street.b.owner, request_no="half", amount_fen=1_000)
    sale_undo(sale=second, actor=street.till_b, now=second.created_at + timedelta(minutes=1))
    assert (balance(a_cny), balance(b_cny)) == (a_before, b_before)
    assert _system(street.community, AccountKind.COUPON_COST) == cost0
    assert _system(street.community, AccountKind.SUBSIDY) == subsidy0
    coupon.refresh_from_db()
    assert coupon.status == ClaimStatus.AVAILABLE and coupon.hold_id is not None
    assert a_cny.debits_pending == pending0  # A's share is reserved again
    again = street.sell(street.b, street.till_b, "b-2", 2_900, [coupon.id])
    assert again.cash_fen == 2_400
    assert ledger_verify(community=street.community).problem is None


def test_undo_of_the_qualifying_sale_withdraws_an_unused_coupon(street):
    campaign = street.campaign()
    a_cny = merchant_of(street.a, "CNY")
    pending0 = a_cny.debits_pending
    first = street.sell(street.a, street.till_a, "a-1", 6_000)
    sale_undo(sale=first, actor=street.till_a, now=first.created_at + timedelta(minutes=1))
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    assert coupon.status == ClaimStatus.REVOKED
    a_cny.refresh_from_db()
    assert a_cny.debits_pending == pending0
    campaign.refresh_from_db()
    assert campaign.issued_fen == 0


def test_issuing_stops_at_the_member_limit_and_the_budget(street):
    campaign = street.campaign(per_member_limit=1, budget_fen=1_000)
    street.sell(street.a, street.till_a, "a-1", 5_000)
    street.sell(street.a, street.till_a, "a-2", 9_000)  # the member already has one
    assert CouponClaim.objects.filter(member=street.buyer).count() == 1
    street.sell(street.a, street.till_a, "a-3", 4_999)  # below the minimum: nothing
    others = [make_member(street.community) for _ in range(2)]
    for i, other in enumerate(others):
        street.sell(street.a, street.till_a, f"o-{i}", 5_000, member=other)
    campaign.refresh_from_db()
    assert campaign.issued_fen == 1_000  # two coupons of 500: the budget is spent
    assert CouponClaim.objects.filter(campaign=campaign).count() == 2
    campaign_switch(campaign=campaign, on=False)


def test_a_switched_off_campaign_issues_nothing_and_the_coupon_is_for_b_only(street):
    campaign = street.campaign()
    campaign_switch(campaign=campaign, on=False)
    street.sell(street.a, street.till_a, "a-1", 6_000)
    assert not CouponClaim.objects.exists()
    campaign_switch(campaign=campaign, on=True)
    first = street.sell(street.a, street.till_a, "a-2", 6_000)
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    with pytest.raises(errors.CouponWrongMerchant):
        street.sell(street.a, street.till_a, "a-3", 6_000, [coupon.id])
    expired_at = coupon.valid_until + timedelta(seconds=1)
    with pytest.raises(errors.CouponExpired):
        sale_consume(
            merchant=street.b,
            clerk=street.till_b,
            request_no="late",
            code=code_of(street.buyer, expired_at),
            amount_fen=2_000,
            coupon_ids=[coupon.id],
            now=expired_at,
        )


def test_a_coupon_pays_at_most_the_sale(street):
    street.campaign()
    first = street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    small = street.sell(street.b, street.till_b, "b-1", 300, [coupon.id])
    assert (small.amount_fen, small.cash_fen) == (300, 0)
    assert SaleCoupon.objects.get(sale=small).paid_fen == 300
    assert _system(street.community, AccountKind.COUPON_COST) == 0
    assert ledger_verify(community=street.community).problem is None


@pytest.mark.parametrize(
    "terms",
    [
        {"issuer_bp": 8_001},  # with the platform's 20% more than the whole coupon
        {"issuer_bp": -1},
        {"valid_days": 0},
        {"per_member_limit": 0},
        {"budget_fen": 499},  # not even one coupon
        {"name": " "},
        {"issuer_id": "1"},
    ],
)
def test_a_campaign_that_breaks_its_rule_is_refused(street, terms):
    with pytest.raises(errors.CampaignInvalid):
        street.campaign(**terms)


def test_campaign_shops_must_be_two_of_this_community(street):
    with pytest.raises(errors.CampaignInvalid):
        street.campaign(redeemer_id=street.a.id)
    elsewhere = make_merchant(make_community("A"), "fruit")
    with pytest.raises(errors.CampaignInvalid):
        street.campaign(redeemer_id=elsewhere.id)


def test_preset_b_has_cross_store_coupons_switched_off(db):
    street = Street("B")
    with pytest.raises(errors.CampaignOff):
        street.campaign()


def test_dry_run_counts_last_months_sales_by_the_live_rules(street):
    campaign = street.campaign(per_member_limit=2, budget_fen=2_000)
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    last_month = datetime.combine(
        first_of_month - timedelta(days=10),
        datetime.min.time(),
        tzinfo=timezone.get_current_timezone(),
    )
    other = make_member(street.community)
    # last month at A: buyer 3 qualifying sales (limit 2), other 2 qualifying, 1 too small
    rows = [(street.buyer, 6_000), (street.buyer, 5_000), (street.buyer, 7_000)]
    rows += [(other, 5_500), (other, 5_000), (other, 4_999)]
    template = street.sell(street.a, street.till_a, "now-1", 1_000)  # this month: ignored
    for i, (member, amount) in enumerate(rows):
        Sale.objects.create(
            community=street.community,
            merchant=street.a,
            member=member,
            request_no=f"old-{i}",
            status=SaleStatus.CONSUMED,
            amount_fen=amount,
            cash_fen=amount,
            journal_id=f"00000000-0000-0000-0000-{i:012d}",
            policy=template.policy,
            clerk=street.till_a,
            source="pos",
            auth_method="code",
            created_at=last_month + timedelta(hours=i),
        )
    result = campaign_dry_run(campaign=campaign, redemption_bp=5_000)
    assert result.qualifying_sales == 5
    # buyer 2 (limit), other 2, budget 2000 = 4 coupons of 500: all four fit
    assert result.coupons_issued == 4 and result.budget_exhausted
    assert result.coupons_redeemed == 2 and result.cost_fen == 1_000
    assert (result.platform_fen, result.issuer_fen, result.redeemer_fen) == (200, 400, 400)
    assert result.month_end == first_of_month - timedelta(days=1)
    with pytest.raises(errors.CampaignInvalid):
        campaign_dry_run(campaign=campaign, redemption_bp=10_001)
    assert not CouponClaim.objects.filter(campaign=campaign).exists()  # nothing written


def test_without_a_reservation_the_issuers_share_is_charged_at_redemption(street):
    from linli.ledger.services import hold_void

    street.campaign()
    a_cny, b_cny = merchant_of(street.a, "CNY"), merchant_of(street.b, "CNY")
    first = street.sell(street.a, street.till_a, "a-1", 6_000)
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    hold_void(community=street.community, hold_id=coupon.hold_id, idempotency_key="test-void")
    CouponClaim.objects.filter(id=coupon.id).update(hold_id=None)
    a0, b0 = balance(a_cny), balance(b_cny)
    cost0 = _system(street.community, AccountKind.COUPON_COST)
    street.sell(street.b, street.till_b, "b-1", 2_900, [coupon.id])
    assert balance(a_cny) - a0 == -200  # A → coupon_cost directly
    assert balance(b_cny) - b0 == 2_656  # the same net for B as with the hold
    assert _system(street.community, AccountKind.COUPON_COST) == cost0
    assert ledger_verify(community=street.community).problem is None


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    gross=st.integers(1, 20_000),
    coin_share=st.integers(0, 100),
    issuer_bp=st.integers(0, 8_000),
    undo=st.booleans(),
)
@pytest.mark.django_db
def test_any_redemption_keeps_coupon_cost_at_zero_and_undo_restores_every_shop(
    gross, coin_share, issuer_bp, undo
):
    street = Street("A")
    street.campaign(issuer_bp=issuer_bp)
    fund(street.buyer, "TIME", 30_000)
    first = street.sell(street.a, street.till_a, "a-1", 5_000)
    coupon = CouponClaim.objects.get(issued_by_sale=first)
    a_cny, b_cny = merchant_of(street.a, "CNY"), merchant_of(street.b, "CNY")
    before = (balance(a_cny), balance(b_cny), a_cny.debits_pending)
    subsidy0 = _system(street.community, AccountKind.SUBSIDY)
    paid = min(500, gross)
    coins = (gross - paid) * coin_share // 100
    street.step += 1
    now = timezone.now() + timedelta(seconds=30 * street.step)
    sale = sale_consume(
        merchant=street.b,
        clerk=street.till_b,
        request_no="b-1",
        code=code_of(street.buyer, now),
        amount_fen=gross,
        coin_units=coins,
        coupon_ids=[coupon.id],
        now=now,
    )[0]
    assert sale.cash_fen == gross - paid - coins
    assert _system(street.community, AccountKind.COUPON_COST) == 0
    platform = paid * 2_000 // 10_000
    assert subsidy0 - _system(street.community, AccountKind.SUBSIDY) in (platform, platform + 1)
    if undo:
        sale_undo(sale=sale, actor=street.till_b, now=now + timedelta(minutes=1))
        assert (balance(a_cny), balance(b_cny), a_cny.debits_pending) == before
        assert _system(street.community, AccountKind.SUBSIDY) == subsidy0
        coupon.refresh_from_db()
        assert coupon.status == ClaimStatus.AVAILABLE
    assert _system(street.community, AccountKind.COUPON_COST) == 0
    assert balance(wallet_of(street.buyer, "TIME")) >= 0
    assert ledger_verify(community=street.community).problem is None


# --- the per-member limit is race-free (a counter row per member and campaign) -------------


def test_a_coupon_the_budget_refuses_gives_the_members_slot_back(street):
    from linli.commerce.coupon_models import CampaignMemberCount, CrossStoreCampaign

    campaign = street.campaign(per_member_limit=2, budget_fen=500)  # one coupon of 500
    street.sell(street.a, street.till_a, "b-1", 6_000)
    street.sell(street.a, street.till_a, "b-2", 6_000)  # the budget is spent: no coupon
    counter = CampaignMemberCount.objects.get(campaign=campaign, member=street.buyer)
    assert counter.issued == 1
    CrossStoreCampaign.objects.filter(id=campaign.id).update(budget_fen=2_000)
    street.sell(street.a, street.till_a, "b-3", 6_000)  # the second of two
    street.sell(street.a, street.till_a, "b-4", 6_000)  # over the member's limit
    counter.refresh_from_db()
    assert counter.issued == 2
    assert CouponClaim.objects.filter(campaign=campaign, member=street.buyer).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_qualifying_sales_issue_exactly_the_member_limit(settings):
    """Eight qualifying sales of one member issue at once: exactly `per_member_limit`
    coupons. (Counting claims first and then inserting let all eight through.)"""
    import threading

    from django.db import connection, connections, transaction

    from linli.commerce.coupon_models import CampaignMemberCount
    from linli.commerce.coupons import campaigns_issue

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LINLI_SALE_LIMITS = {
        "confirm_above_fen": 0,
        "member_sales": 0,
        "merchant_sales": 0,
        "member_day_max_fen": 0,
    }
    street = Street("A")
    campaign = street.campaign(per_member_limit=2)
    campaign_switch(campaign=campaign, on=False)  # ring the sales first, issue at once later
    sales = [street.sell(street.a, street.till_a, f"q-{i}", 6_000) for i in range(8)]
    campaign = campaign_switch(campaign=campaign, on=True)
    results: list = [None] * len(sales)
    barrier = threading.Barrier(len(sales))

    def worker(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():  # as inside the sale's own transaction
                results[i] = campaigns_issue(sale=sales[i], actor=street.till_a, now=timezone.now())
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(sales))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, list) for r in results), results
    assert sum(len(r) for r in results) == 2
    assert CouponClaim.objects.filter(campaign=campaign, member=street.buyer).count() == 2
    campaign.refresh_from_db()
    assert campaign.issued_fen == 2 * campaign.value_fen
    assert CampaignMemberCount.objects.get(campaign=campaign, member=street.buyer).issued == 2
