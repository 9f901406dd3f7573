"""Ledger fixtures: a community with its chart of accounts and funded member wallets."""

import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest

from linli.communities.models import Community
from linli.ledger.models import Account, AccountKind
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post

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


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.credits_posted - account.debits_posted


def pytest_collection_modifyitems(config, items):
    """Everything about the ledger is database-sensitive: it runs on SQLite too."""
    for item in items:
        if "/tests/ledger/" in str(item.path):
            item.add_marker(pytest.mark.db_sensitive)
