"""Hand-computed worked examples (issue 6): a 100 CNY sale, 60 cash + 40 in coins (A) or
points (B), by a member referred by the owner of shop C. Every leg, to the fen."""

from linli.commerce.accounts import member_frozen_points
from linli.commerce.services import sale_consume
from linli.ledger.models import AccountKind, Journal, Transfer
from linli.ledger.services import chart_ensure
from linli.members.models import Member
from tests.commerce.conftest import (
    balance,
    build_shop,
    code_of,
    fund,
    merchant_of,
    wallet_of,
)


def _legs(journal_id):
    return [
        (t.debit_account_id, t.credit_account_id, t.amount, t.asset_id)
        for t in Transfer.objects.filter(journal_id=journal_id).order_by("leg_no")
    ]


def test_preset_a_sale_60_cash_40_coins_silver_member_referred_by_shop_c(db):
    shop = build_shop("A")
    fund(shop.buyer, "TIME", 10_000)  # 100 coins
    chart = chart_ensure(community=shop.community)
    m_cny, m_time = merchant_of(shop.merchant, "CNY"), merchant_of(shop.merchant, "TIME")
    c_cny, c_time = merchant_of(shop.referrer_shop, "CNY"), merchant_of(shop.referrer_shop, "TIME")
    wallet = wallet_of(shop.buyer, "TIME")
    before = {a.id: balance(a) for a in (m_cny, m_time, c_cny, c_time)}

    sale, replayed = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="A-100",
        code=code_of(shop.buyer),
        amount_fen=10_000,
        coin_units=4_000,
    )

    assert not replayed and sale.cash_fen == 6_000
    journal = Journal.objects.get(id=sale.journal_id)
    assert journal.code == "sale" and journal.policy_id == sale.policy_id
    # A: commission 1% (lowest of 1–3%), fund 0.5%, cross-referral rebate 5%, cash-back 5%.
    assert _legs(sale.journal_id) == [
        (chart[(AccountKind.CASH_IN, "CNY")].id, m_cny.id, 6_000, "CNY"),  # cash at the till
        (m_cny.id, chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id, 60, "CNY"),  # 1% of 60
        (m_cny.id, chart[(AccountKind.COMMUNITY_FUND, "CNY")].id, 30, "CNY"),  # 0.5%
        (m_cny.id, c_cny.id, 300, "CNY"),  # 5% rebate to shop C
        (wallet.id, m_time.id, 4_000, "TIME"),  # 40 coins
        (m_time.id, chart[(AccountKind.PLATFORM_REVENUE, "TIME")].id, 40, "TIME"),
        (m_time.id, chart[(AccountKind.COMMUNITY_FUND, "TIME")].id, 20, "TIME"),
        (m_time.id, c_time.id, 200, "TIME"),
        (chart[(AccountKind.ISSUANCE, "TIME")].id, wallet.id, 500, "TIME"),  # 5 coins back
    ]
    gained = {a.id: balance(a) - before[a.id] for a in (m_cny, m_time, c_cny, c_time)}
    assert gained == {m_cny.id: 5_610, m_time.id: 3_740, c_cny.id: 300, c_time.id: 200}
    assert balance(wallet) == 10_000 - 4_000 + 500


def test_preset_a_gold_referrer_earns_two_percent_of_the_spend(db):
    shop = build_shop("A", referrer_tier="gold")
    fund(shop.buyer, "TIME", 10_000)
    referrer = Member.objects.get(user=shop.referrer_shop.owner)
    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="A-gold",
        code=code_of(shop.buyer),
        amount_fen=10_000,
        coin_units=4_000,
    )
    issuance = chart_ensure(community=shop.community)[(AccountKind.ISSUANCE, "TIME")].id
    gold_wallet = wallet_of(referrer, "TIME")
    assert (issuance, gold_wallet.id, 200, "TIME") in _legs(sale.journal_id)  # 2% of 100 CNY
    assert balance(gold_wallet) == 200


def test_preset_b_sale_60_cash_40_in_points(db):
    shop = build_shop("B")
    fund(shop.buyer, "PTS", 1_000)
    chart = chart_ensure(community=shop.community)
    m_cny, m_pts = merchant_of(shop.merchant, "CNY"), merchant_of(shop.merchant, "PTS")
    wallet = wallet_of(shop.buyer, "PTS")
    before = {a.id: balance(a) for a in (m_cny, m_pts)}

    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="B-100",
        code=code_of(shop.buyer),
        amount_fen=10_000,
        points=160,  # 160 × 0.25 CNY = 40 CNY
    )

    # B: commission 3%, no fund, no merchant rebate; 0.5 point per CNY back.
    # Points: 160 × 3% = 4.8 → floor 4 (remainder .8) and merchant 155.2 → 155 (.2);
    # the one point left over goes to the larger remainder: commission 5, merchant 155.
    # The 50 points back are frozen until the 7-day return window closes.
    frozen = member_frozen_points(shop.buyer)
    assert _legs(sale.journal_id) == [
        (chart[(AccountKind.CASH_IN, "CNY")].id, m_cny.id, 6_000, "CNY"),
        (m_cny.id, chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id, 180, "CNY"),
        (wallet.id, m_pts.id, 160, "PTS"),
        (m_pts.id, chart[(AccountKind.PLATFORM_REVENUE, "PTS")].id, 5, "PTS"),
        (chart[(AccountKind.ISSUANCE, "PTS")].id, frozen.id, 50, "PTS"),
    ]
    assert balance(m_cny) - before[m_cny.id] == 5_820
    assert balance(m_pts) - before[m_pts.id] == 155
    assert balance(wallet) == 1_000 - 160
    assert balance(frozen) == 50
