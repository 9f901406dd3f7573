"""Operator-confirmed cash top-up of a member's CNY wallet (local backend).

Before this, CNY reached a member's wallet nowhere: sales take cash at the till straight
to the merchant (`cash_in` → merchant), and fees go `cash_in` → escrow. Group-buy pledges
are holds on the member's own CNY, so a member needs CNY first. Without a payment
provider (WeChat Pay/Alipay need a merchant licence the alliance does not have yet), the
member hands cash to an operator at the service desk, who confirms it here: one journal
`member_cash_top_up` = cash_in → member CNY wallet, labelled "operator-confirmed cash"
on every page, with an audit row naming the operator. A payment backend can later post
the same journal from its callback.
"""

from typing import Any

from django.db import transaction

from linli.commerce import groupbuy_errors as errors
from linli.commerce.accounts import member_wallet
from linli.communities.audit import audit_record
from linli.communities.models import Community
from linli.communities.permissions import require_permission
from linli.communities.selectors import policy_in_force
from linli.errors import NotFound
from linli.ledger.models import AccountKind
from linli.ledger.services import Leg, Posted, chart_ensure, journal_post
from linli.members.models import Member

BACKEND = "operator-confirmed cash"
MAX_TOP_UP_FEN = 500_000  # 5 000 CNY of cash across a counter at once


def wallet_cash_top_up(
    *, community: Community, actor: Any, member_id: Any, amount_fen: Any, idempotency_key: Any
) -> Posted:
    """Cash received at the desk → the member's CNY wallet; a replayed key posts nothing."""
    require_permission(user=actor, community=community, action="wallet.cash_top_up")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise errors.TopUpInvalid(max=MAX_TOP_UP_FEN // 100)
    if not 1 <= amount_fen <= MAX_TOP_UP_FEN:
        raise errors.TopUpInvalid(max=MAX_TOP_UP_FEN // 100)
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 64:
        raise errors.TopUpInvalid(max=MAX_TOP_UP_FEN // 100)
    if not isinstance(member_id, int) or isinstance(member_id, bool):
        raise NotFound()
    member = Member.objects.filter(community=community, id=member_id, closed_at=None).first()
    if member is None:
        raise NotFound()
    chart = chart_ensure(community=community)
    wallet = member_wallet(member)
    with transaction.atomic():
        posted = journal_post(
            community=community,
            code="member_cash_top_up",
            legs=[Leg(chart[(AccountKind.CASH_IN, "CNY")].id, wallet.id, amount_fen)],
            idempotency_key=f"cash-top-up:{member.id}:{idempotency_key}",
            actor=actor,
            policy=policy_in_force(community=community),
            memo=BACKEND,
        )
        if not posted.replayed:
            audit_record(
                actor=actor,
                action="wallet.cash_top_up",
                target=member,
                after={"amount_fen": amount_fen, "journal_id": str(posted.journal_id)},
            )
    return posted
