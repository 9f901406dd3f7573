"""People and accounts for the ledger API tests: one community, a neighbour community."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from linli.communities.models import Community, Role
from linli.ledger.access import MEMBER_OWNER_TYPE
from linli.ledger.models import Account, AccountKind, Entry, Journal, JournalStatus, Transfer
from linli.ledger.services import Leg, account_open, chart_ensure, checkpoint_create, journal_post
from linli.members.models import Member
from linli.members.services import api_token_create
from tests.factories import make_community, make_member, make_role, make_user
from tests.ledger.conftest import new_key


@dataclass
class Caller:
    user: Any
    token: str | None

    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}


def call(caller: Caller | None, method: str, path: str, body: Any = None, **query: Any) -> Any:
    """One API call through Django's test client; `path` is relative to /api/v1/ledger/."""
    client = Client()
    headers = caller.headers() if caller else {}
    url = f"/api/v1/ledger/{path.lstrip('/')}"
    if method == "get":
        return client.get(url, query, **headers)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


def wallet_of(member: Member, asset: str = "CNY") -> Account:
    return account_open(
        community=member.community,
        kind=AccountKind.MEMBER_WALLET,
        asset=asset,
        owner_type=MEMBER_OWNER_TYPE,
        owner_id=member.id,
    )


def fund(account: Account, amount: int) -> Journal:
    chart = chart_ensure(community=account.community)
    posted = journal_post(
        community=account.community,
        code="cash_in",
        idempotency_key=new_key("fund"),
        legs=[Leg(chart[(AccountKind.CASH_IN, account.asset_id)].id, account.id, amount)],
    )
    return Journal.objects.get(id=posted.journal_id)


def ledger_state() -> tuple[Any, ...]:
    """Everything a bad request must leave alone: posted journals, rows, every balance."""
    balances = tuple(
        Account.objects.order_by("id").values_list(
            "id", "debits_posted", "credits_posted", "debits_pending", "credits_pending", "version"
        )
    )
    return (
        Journal.objects.filter(status=JournalStatus.POSTED).count(),
        Transfer.objects.count(),
        Entry.objects.count(),
        balances,
    )


def person(community: Community, role: str | None, *, member: bool = False) -> Caller:
    user = make_member(community).user if member else make_user()
    if role is not None and role != Role.MEMBER:
        make_role(user, community, role)
    return Caller(user=user, token=api_token_create(user=user, name="test"))


@dataclass
class World:
    community: Community
    other_community: Community
    chart: dict
    owner: Caller
    owner_wallet: Account
    neighbour: Caller
    neighbour_wallet: Account
    merchant_owner: Caller
    cashier: Caller
    operator: Caller
    auditor: Caller
    foreign_operator: Caller
    foreign_wallet: Account
    funding: Journal
    purchase: Journal
    foreign_journal: Journal


@pytest.fixture
def world(db, settings) -> World:
    # Nine users per test: a fast hasher keeps the setup from dominating the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def build_world() -> World:
    community = make_community(slug="api-a")
    other = make_community(slug="api-b")
    chart = chart_ensure(community=community)
    owner = person(community, Role.MEMBER, member=True)
    neighbour = person(community, Role.MEMBER, member=True)
    owner_wallet = wallet_of(Member.objects.get(user=owner.user))
    neighbour_wallet = wallet_of(Member.objects.get(user=neighbour.user))
    funding = fund(owner_wallet, 10_000)
    purchase_id = journal_post(
        community=community,
        code="purchase",
        idempotency_key=new_key("buy"),
        legs=[Leg(owner_wallet.id, neighbour_wallet.id, 1_500)],
    ).journal_id
    fund(neighbour_wallet, 2_000)
    foreign_member = person(other, Role.MEMBER, member=True)
    foreign_wallet = wallet_of(Member.objects.get(user=foreign_member.user))
    foreign_journal = fund(foreign_wallet, 3_000)
    checkpoint_create(community=community)
    checkpoint_create(community=other)
    return World(
        community=community,
        other_community=other,
        chart=chart,
        owner=owner,
        owner_wallet=owner_wallet,
        neighbour=neighbour,
        neighbour_wallet=neighbour_wallet,
        merchant_owner=person(community, Role.MERCHANT_OWNER),
        cashier=person(community, Role.CASHIER),
        operator=person(community, Role.OPERATOR),
        auditor=person(community, Role.AUDITOR),
        foreign_operator=person(other, Role.OPERATOR),
        foreign_wallet=foreign_wallet,
        funding=funding,
        purchase=Journal.objects.get(id=purchase_id),
        foreign_journal=foreign_journal,
    )
