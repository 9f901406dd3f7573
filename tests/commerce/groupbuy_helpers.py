"""Helpers for group-buy and ad-slot tests: a community with a shop, an operator, members
with cash in their wallets (through the real operator-confirmed top-up)."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from linli.commerce.groupbuys import group_buy_create
from linli.commerce.topups import wallet_cash_top_up
from linli.communities.models import Role
from linli.ledger.models import AccountKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post
from tests.factories import make_community, make_member, make_merchant, make_role, make_user

_keys = itertools.count(1)


@dataclass
class Town:
    community: Any
    merchant: Any
    other_merchant: Any
    operator: Any
    now: Any


def build_town(preset: str = "A") -> Town:
    community = make_community(preset)
    merchant = make_merchant(community, "fruit")
    other = make_merchant(community, "bakery")
    operator = make_user()
    make_role(operator, community, Role.OPERATOR)
    return Town(community, merchant, other, operator, timezone.now())


def cny_wallet(member: Any) -> Any:
    return account_open(
        community=member.community,
        kind=AccountKind.MEMBER_WALLET,
        asset="CNY",
        owner_type="member",
        owner_id=member.id,
    )


def merchant_cny(merchant: Any) -> Any:
    return account_open(
        community=merchant.community,
        kind=AccountKind.MERCHANT,
        asset="CNY",
        owner_type="merchant",
        owner_id=merchant.id,
    )


def posted(account: Any) -> int:
    account.refresh_from_db()
    return account_balances(account=account).posted


def available(account: Any) -> int:
    account.refresh_from_db()
    return account_balances(account=account).available


def revenue(community: Any) -> int:
    return posted(chart_ensure(community=community)[(AccountKind.PLATFORM_REVENUE, "CNY")])


def member_with_cash(town: Town, fen: int) -> Any:
    member = make_member(town.community)
    if fen:
        wallet_cash_top_up(
            community=town.community,
            actor=town.operator,
            member_id=member.id,
            amount_fen=fen,
            idempotency_key=f"test-{next(_keys)}",
        )
    return member


def shop_takings(merchant: Any, fen: int) -> None:
    """Cash sales the shop took at the till (test setup): cash_in → merchant CNY."""
    chart = chart_ensure(community=merchant.community)
    journal_post(
        community=merchant.community,
        code="test_takings",
        legs=[Leg(chart[(AccountKind.CASH_IN, "CNY")].id, merchant_cny(merchant).id, fen)],
        idempotency_key=f"takings:{merchant.id}:{next(_keys)}",
    )


def eggs(town: Town, **overrides: Any) -> Any:
    """≥10 units 38 CNY, ≥30 units 35 CNY; minimum 10; 8% margin; deadline in a day."""
    fields: dict[str, Any] = {
        "actor": town.merchant.owner,
        "community": town.community,
        "title": "土鸡蛋 30 枚",
        "tiers": [{"min_units": 10, "price_fen": 3800}, {"min_units": 30, "price_fen": 3500}],
        "threshold_units": 10,
        "deadline": town.now + timedelta(days=1),
        "pickup_point": "幸福路 1 号 水果店门口",
        "margin_bp": 800,
        "now": town.now,
    }
    fields.update(overrides)
    return group_buy_create(**fields)
