"""Demo ledger for `linli demo`: wallets, cash in, time coins, purchases, a hold, a reversal.

Idempotent by construction: every posting uses a fixed key `demo:<slug>:…`, so a second run
replays the first run's answers and posts nothing new. Only `linli.ledger.services` writes.
"""

import contextlib

from linli.communities.models import Community
from linli.ledger.access import MEMBER_OWNER_TYPE
from linli.ledger.errors import AlreadyReversed
from linli.ledger.models import Account, AccountKind, Journal
from linli.ledger.services import (
    Leg,
    account_open,
    chart_ensure,
    checkpoint_create,
    hold_create,
    journal_post,
    journal_reverse,
)
from linli.members.models import Member

MAX_DEMO_MEMBERS = 20
DEMO_SHOP_OWNER_ID = 1  # a demo merchant account until the merchants app exists


def load_demo_ledger(*, community: Community) -> int:
    """Load the demo history into `community`; returns how many journals it has afterwards."""
    slug = community.slug
    chart = chart_ensure(community=community)
    members = list(Member.objects.filter(community=community).order_by("id")[:MAX_DEMO_MEMBERS])
    shop = account_open(
        community=community,
        kind=AccountKind.MERCHANT,
        asset="CNY",
        owner_type="demo_shop",
        owner_id=DEMO_SHOP_OWNER_ID,
        name="邻里便利店",
    )
    for number, member in enumerate(members):
        cny = _wallet(member, "CNY")
        coins = _wallet(member, "TIME")
        key = f"demo:{slug}:{member.id}"
        _post(
            community,
            f"{key}:cash_in",
            "cash_in",
            "现金充值",
            [Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny.id, 20_000 + 5_000 * number)],
        )
        _post(
            community,
            f"{key}:coins",
            "time_coin_grant",
            "志愿服务时间币",
            [Leg(chart[(AccountKind.ISSUANCE, "TIME")].id, coins.id, 300 + 50 * number)],
        )
        _post(
            community,
            f"{key}:buy",
            "purchase",
            "便利店购物",
            [
                Leg(cny.id, shop.id, 1_280 + 10 * number),
                Leg(cny.id, chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id, 20),
            ],
        )
    if members:
        _hold_and_reversal(community, chart, members[0], shop)
    checkpoint_create(community=community)
    return Journal.objects.filter(community=community).count()


def _wallet(member: Member, asset: str) -> Account:
    return account_open(
        community=member.community,
        kind=AccountKind.MEMBER_WALLET,
        asset=asset,
        owner_type=MEMBER_OWNER_TYPE,
        owner_id=member.id,
    )


def _post(community: Community, key: str, code: str, memo: str, legs: list[Leg]) -> None:
    journal_post(community=community, code=code, memo=memo, legs=legs, idempotency_key=key)


def _hold_and_reversal(
    community: Community, chart: dict[tuple[str, str], Account], member: Member, shop: Account
) -> None:
    """One open hold (a group-buy pledge) and one refunded purchase."""
    key = f"demo:{community.slug}:{member.id}"
    cny = _wallet(member, "CNY")
    hold_create(
        community=community,
        debit_account_id=cny.id,
        credit_account_id=chart[(AccountKind.DEPOSIT_ESCROW, "CNY")].id,
        amount=5_000,
        expires_at=None,
        code="group_buy_pledge",
        memo="团购预付",
        idempotency_key=f"{key}:hold",
    )
    refund = journal_post(
        community=community,
        code="purchase",
        memo="退货的购物",
        legs=[Leg(cny.id, shop.id, 990)],
        idempotency_key=f"{key}:refunded_buy",
    )
    # A rerun finds the purchase reversed already (checked before the key is replayed).
    with contextlib.suppress(AlreadyReversed):
        journal_reverse(
            community=community,
            journal_id=refund.journal_id,
            memo="退货退款",
            idempotency_key=f"{key}:refund",
        )
