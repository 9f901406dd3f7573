"""Fixtures for alliance commerce: a shop M with a cashier, a referring shop C, a buyer."""

from dataclasses import dataclass
from typing import Any

import pytest

from linli.commerce import cards
from linli.ledger.models import AccountKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post
from linli.members.models import Member, Referral, ReferralStatus
from linli.merchants.services import staff_add
from tests.factories import make_community, make_member, make_merchant

CASHIER_PASSWORD = "Till-pass-2026!"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _member_confirmation_off(settings):
    """The sales tests here are about legs, not about the member's phone approval above a
    threshold of coins and points (tests/commerce/test_confirmations.py switches it on)."""
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 0}


@dataclass
class Shop:
    community: Any
    merchant: Any  # M: where the sale happens
    referrer_shop: Any  # C: its owner referred the buyer
    cashier: Any
    buyer: Member


def fund(member: Member, asset: str, units: int) -> None:
    """Give a member coins or points from issuance (test setup only)."""
    chart = chart_ensure(community=member.community)
    wallet = wallet_of(member, asset)
    journal_post(
        community=member.community,
        code="test_fund",
        legs=[Leg(chart[(AccountKind.ISSUANCE, asset)].id, wallet.id, units)],
        idempotency_key=f"fund:{member.id}:{asset}:{units}:{wallet.credits_posted}",
    )


def wallet_of(member: Member, asset: str):
    return account_open(
        community=member.community,
        kind=AccountKind.MEMBER_WALLET,
        asset=asset,
        owner_type="member",
        owner_id=member.id,
    )


def merchant_of(merchant, asset: str):
    return account_open(
        community=merchant.community,
        kind=AccountKind.MERCHANT,
        asset=asset,
        owner_type="merchant",
        owner_id=merchant.id,
    )


def balance(account) -> int:
    account.refresh_from_db()
    return account_balances(account=account).posted


def build_shop(preset: str = "A", *, referrer_tier: str = "silver") -> Shop:
    community = make_community(preset)
    merchant = make_merchant(community, "fruit")
    referrer_shop = make_merchant(community, "bakery")
    cashier = staff_add(
        merchant=merchant, username=f"till{merchant.id}", password=CASHIER_PASSWORD, actor=None
    ).user
    buyer = make_member(community, display_name="王小明")
    Member.objects.filter(id=buyer.id).update(tier="silver" if preset == "A" else "basic")
    buyer.refresh_from_db()
    referrer = Member.objects.get(user=referrer_shop.owner)
    Member.objects.filter(id=referrer.id).update(tier=referrer_tier)
    Referral.objects.create(
        community=community, referrer=referrer, referee=buyer, status=ReferralStatus.REWARDED
    )
    return Shop(community, merchant, referrer_shop, cashier, buyer)


@pytest.fixture
def shop_a(db) -> Shop:
    return build_shop("A")


@pytest.fixture
def shop_b(db) -> Shop:
    return build_shop("B")


def code_of(member: Member, now=None) -> str:
    return cards.member_code(card=cards.card_ensure(member=member), now=now)


def sell_at_once(shop: Shop, codes: list[str], now: Any, amount_fen: int) -> list[Any]:
    """One till per code, all consuming at the same instant (PostgreSQL race tests): the
    Sale, or the refusal each till got."""
    from linli.commerce.services import sale_consume
    from tests.threads import run_threads

    def till(i: int) -> Any:
        return lambda: sale_consume(
            merchant=shop.merchant,
            clerk=shop.cashier,
            request_no=f"race-{i}",
            code=codes[i],
            now=now,
            amount_fen=amount_fen,
        )[0]

    return run_threads([till(i) for i in range(len(codes))])
