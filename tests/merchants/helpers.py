"""Test helpers: record sales and give coins through the real ledger services."""

import itertools

from linli.ledger.models import AccountKind
from linli.ledger.services import Leg, chart_ensure, journal_post
from linli.merchants.selectors import merchant_account

_keys = itertools.count()


def record_sale(merchant, amount_fen: int = 5_000):
    """A cash sale at the merchant (the commerce app's 核销 is not built yet)."""
    chart = chart_ensure(community=merchant.community)
    cny = merchant_account(merchant=merchant, asset="CNY")
    return journal_post(
        community=merchant.community,
        code="purchase",
        legs=[Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny.id, amount_fen)],
        idempotency_key=f"test-sale-{merchant.id}-{next(_keys)}",
    ).journal_id
