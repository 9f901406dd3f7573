"""Several holds in one journal (`holds_create`, used by bundles): each resolved on its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.ledger import errors
from linli.ledger.models import AccountKind, Transfer, TransferKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import (
    Leg,
    account_open,
    chart_ensure,
    hold_post,
    hold_void,
    holds_create,
    journal_post,
)
from linli.ledger.verification import ledger_verify
from tests.factories import make_community

pytestmark = pytest.mark.django_db


def _accounts(community):
    chart = chart_ensure(community=community)
    wallet = account_open(
        community=community,
        kind=AccountKind.MEMBER_WALLET,
        asset="TIME",
        owner_type="member",
        owner_id=1,
    )
    shops = [
        account_open(
            community=community,
            kind=AccountKind.MERCHANT,
            asset="TIME",
            owner_type="merchant",
            owner_id=n,
        )
        for n in (1, 2)
    ]
    journal_post(
        community=community,
        code="fund",
        legs=[Leg(chart[(AccountKind.ISSUANCE, "TIME")].id, wallet.id, 1_000)],
        idempotency_key="fund",
    )
    return chart, wallet, shops


def test_one_journal_two_holds_posted_and_voided_separately():
    community = make_community("A")
    _chart, wallet, (a, b) = _accounts(community)
    posted = holds_create(
        community=community,
        legs=[Leg(wallet.id, a.id, 600), Leg(wallet.id, b.id, 300)],
        expires_at=timezone.now() + timedelta(days=1),
        code="bundle_buy",
        idempotency_key="two",
    )
    holds = Transfer.objects.filter(journal_id=posted.journal_id).order_by("leg_no")
    assert [t.id for t in holds] == list(posted.transfer_ids)
    assert {t.kind for t in holds} == {TransferKind.PENDING}
    wallet.refresh_from_db()
    assert account_balances(account=wallet).available == 100
    hold_post(community=community, hold_id=posted.transfer_ids[0], idempotency_key="p")
    hold_void(community=community, hold_id=posted.transfer_ids[1], idempotency_key="v")
    for account in (wallet, a, b):
        account.refresh_from_db()
    assert account_balances(account=wallet).posted == 400
    assert account_balances(account=wallet).available == 400
    assert account_balances(account=a).posted == 600
    assert account_balances(account=b).posted == 0
    assert ledger_verify(community=community).problem is None


def test_holds_beyond_the_balance_are_rejected_whole():
    community = make_community("A")
    _chart, wallet, (a, b) = _accounts(community)
    with pytest.raises(errors.InsufficientFunds):
        holds_create(
            community=community,
            legs=[Leg(wallet.id, a.id, 600), Leg(wallet.id, b.id, 401)],
            expires_at=None,
            code="bundle_buy",
            idempotency_key="too-much",
        )
    wallet.refresh_from_db()
    assert account_balances(account=wallet).available == 1_000


def test_hot_accounts_and_past_expiry_are_invalid():
    community = make_community("A")
    chart, wallet, (a, _b) = _accounts(community)
    with pytest.raises(errors.InvalidPosting):
        holds_create(
            community=community,
            legs=[Leg(wallet.id, chart[(AccountKind.PLATFORM_REVENUE, "TIME")].id, 1)],
            expires_at=None,
            code="x",
            idempotency_key="hot",
        )
    with pytest.raises(errors.InvalidPosting):
        holds_create(
            community=community,
            legs=[Leg(wallet.id, a.id, 1)],
            expires_at=timezone.now() - timedelta(seconds=1),
            code="x",
            idempotency_key="past",
        )
    with pytest.raises(errors.InvalidPosting):
        holds_create(
            community=community, legs=[], expires_at=None, code="x", idempotency_key="none"
        )
