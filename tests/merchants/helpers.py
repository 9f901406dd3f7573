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


def commerce_sale(merchant, buyer, step: int, amount_fen: int = 5_000):
    """A real 核销 (commerce.Sale) by the shop's owner at the till, paid in cash, at the
    buyer's `step`-th 30-second code from now (a member code is single use)."""
    from datetime import timedelta

    from django.utils import timezone

    from linli.commerce import cards
    from linli.commerce.services import sale_consume

    now = timezone.now() + timedelta(seconds=30 * step)
    code = cards.member_code(card=cards.card_ensure(member=buyer), now=now)
    sale, _replayed = sale_consume(
        merchant=merchant,
        clerk=merchant.owner,
        request_no=f"t{next(_keys)}",
        code=code,
        amount_fen=amount_fen,
        now=now,
    )
    return sale


def commerce_sales(merchant, count: int, amount_fen: int = 5_000) -> list:
    """`count` real 核销 at the shop, each by a new member (the till's per-member velocity
    limit allows only a few sales per member in a few minutes)."""
    from tests.factories import make_member

    return [
        commerce_sale(merchant, make_member(merchant.community), 1, amount_fen)
        for _ in range(count)
    ]


def sale_undo_now(sale) -> None:
    """The clerk undoes the sale at once (within the undo window)."""
    from linli.commerce.services import sale_undo

    sale_undo(sale=sale, actor=sale.merchant.owner, now=sale.created_at)


def sale_refund_now(sale, amount_fen: int) -> None:
    """The owner refunds `amount_fen` of the sale right away (all of it: a full refund)."""
    from linli.commerce.services import sale_refund

    sale_refund(
        sale=sale,
        actor=sale.merchant.owner,
        request_no=f"r{next(_keys)}",
        amount_fen=amount_fen,
        now=sale.created_at,
    )
