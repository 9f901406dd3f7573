"""The member's points page: rules from the policy in force, balance, ledger history."""

import pytest
from django.test import Client
from django.utils import translation

from linli.commerce import accounts, lots, points, services
from linli.commerce.models import PointsBook
from linli.ledger.services import hold_create
from tests.commerce.conftest import code_of, fund
from tests.factories import make_community, make_member

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rules_come_from_the_policy_in_force(shop_b):
    policy = services.policy_in_force(community=shop_b.community)
    with translation.override("en"):
        rules = points.earning_rules(policy)
    assert rules[0] == "Earn 0.5 points per yuan spent at alliance shops."
    assert any("1 point = 0.25 yuan" in r for r in rules)
    assert any("5000 points" in r for r in rules)
    assert "Points are valid for 12 months after they are earned." in rules
    assert any("frozen until its 7-day return window closes" in r for r in rules)
    assert rules[-1] == (
        "Points are spent earliest-expiring first. We remind you in your inbox "
        "30 and 7 days before points expire."
    )


def test_balance_and_history_from_the_ledger_after_a_sale(shop_b):
    services.sale_consume(
        merchant=shop_b.merchant,
        clerk=shop_b.cashier,
        request_no="p-1",
        code=code_of(shop_b.buyer),
        amount_fen=10_000,
    )
    assert points.points_summary(member=shop_b.buyer) == {
        "balance": "0",
        "available": "0",
        "held": "0",
        "frozen": "50",
    }
    history = points.points_history(member=shop_b.buyer)
    assert [(row.change, row.balance, row.frozen) for row in history] == [("+50", "50", True)]
    page = _client(shop_b.buyer.user).get(f"/c/{shop_b.community.slug}/points/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "在联盟商家每消费 1 元得 0.5 积分" in text and "12 个月内有效" in text
    assert "在联盟商家消费" in text and 'data-testid="points-frozen">50<' in text


def test_held_points_show_as_held_not_spendable(shop_b):
    fund(shop_b.buyer, "PTS", 300)
    wallet = accounts.member_wallet(shop_b.buyer, "PTS")
    hold_create(
        community=shop_b.community,
        debit_account_id=wallet.id,
        credit_account_id=accounts.merchant_account(shop_b.merchant, "PTS").id,
        amount=120,
        expires_at=None,
        code="group_buy_pledge",
        idempotency_key="pledge-1",
    )
    assert points.points_summary(member=shop_b.buyer) == {
        "balance": "300",
        "available": "180",
        "held": "120",
        "frozen": "0",
    }
    with translation.override("en"):
        assert points.points_history(member=shop_b.buyer)[0].held == "120 held"


def test_a_member_of_another_community_and_a_stranger_get_404(shop_b):
    url = f"/c/{shop_b.community.slug}/points/"
    other = make_member(make_community("B"))
    assert _client(other.user).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_a_community_without_points_says_so(shop_a):
    """Preset A pays cash-back in time coins and referral rewards in CNY: no points."""
    policy = services.policy_in_force(community=shop_a.community)
    assert not points.points_issued(policy) and points.earning_rules(policy) == []
    page = _client(shop_a.buyer.user).get(f"/c/{shop_a.community.slug}/points/")
    assert page.status_code == 200 and "本社区目前不发放积分" in page.content.decode()


def test_a_member_without_points_accounts_gets_no_points_book(shop_a):
    lots.lots_sync(member=shop_a.buyer)
    assert not PointsBook.objects.filter(member=shop_a.buyer).exists()
    assert lots.lots_reconcile(member=shop_a.buyer).matches
