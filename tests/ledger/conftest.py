"""Ledger fixtures: a community with its chart of accounts and funded member wallets."""

import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest

from linli.communities.models import Community
from linli.ledger.models import Account, AccountKind
from linli.ledger.services import (
    Leg,
    account_open,
    chart_ensure,
    checkpoint_create,
    hold_create,
    hot_rollup,
    journal_post,
    journal_reverse,
)

_keys = itertools.count()


def new_key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


def create_community(slug: str) -> Community:
    return Community.objects.create(
        name=f"社区 {slug}",
        slug=slug,
        centre_lat=Decimal("31.2"),
        centre_lng=Decimal("121.4"),
        radius_m=1000,
    )


@pytest.fixture
def community(db) -> Community:
    return create_community("ledger-a")


@pytest.fixture
def other_community(db) -> Community:
    return create_community("ledger-b")


@pytest.fixture
def chart(community):
    return chart_ensure(community=community)


@pytest.fixture
def open_wallet(community, chart) -> Callable[..., Account]:
    owners = itertools.count(1)

    def _open(balance: int = 0, asset: str = "CNY", target: Community | None = None) -> Account:
        target = target or community
        wallet = account_open(
            community=target,
            kind=AccountKind.MEMBER_WALLET,
            asset=asset,
            owner_type="member",
            owner_id=next(owners),
        )
        if balance:
            cash_in = chart_ensure(community=target)[(AccountKind.CASH_IN, asset)]
            journal_post(
                community=target,
                code="cash_in",
                idempotency_key=new_key("fund"),
                legs=[Leg(cash_in.id, wallet.id, balance)],
            )
        wallet.refresh_from_db()
        return wallet

    return _open


@pytest.fixture
def history(community, chart, open_wallet):
    """A small but complete history: sales, a hold, a reversal, a rollup, two checkpoints."""
    buyer, shop = open_wallet(10_000), open_wallet(0)
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]
    sales = [
        journal_post(
            community=community,
            code="purchase",
            idempotency_key=new_key(),
            memo="邻里超市 购物",
            legs=[Leg(buyer.id, shop.id, 900), Leg(buyer.id, revenue.id, 100)],
        )
        for _ in range(3)
    ]
    first = checkpoint_create(community=community)
    hold_create(
        community=community,
        debit_account_id=buyer.id,
        credit_account_id=chart[(AccountKind.DEPOSIT_ESCROW, "CNY")].id,
        amount=500,
        expires_at=None,
        code="deposit_hold",
        idempotency_key=new_key(),
    )
    journal_reverse(community=community, journal_id=sales[0].journal_id, idempotency_key=new_key())
    hot_rollup(community=community)
    second = checkpoint_create(community=community)
    return {"buyer": buyer, "shop": shop, "first": first, "second": second, "sales": sales}


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.credits_posted - account.debits_posted


def pytest_collection_modifyitems(config, items):
    """Everything about the ledger is database-sensitive: it runs on SQLite too."""
    for item in items:
        if "/tests/ledger/" in str(item.path):
            item.add_marker(pytest.mark.db_sensitive)
