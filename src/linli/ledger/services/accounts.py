"""Accounts: the community's chart, owned accounts, and hot-account rollups."""

from collections.abc import Iterable

from django.db.models import Q

from linli.communities.models import Community
from linli.ledger import errors
from linli.ledger.models import (
    ASSETS,
    Account,
    AccountKind,
    Asset,
    ChainHead,
    HotRollup,
    Transfer,
    TransferKind,
)


def chart_ensure(
    *, community: Community, read: Iterable[Account] | None = None
) -> dict[tuple[str, str], Account]:
    """The community's system accounts, one per kind and asset, created once.

    Every sale asks for the chart (twice: prepare and consume), so the usual case, a chart
    that is complete already, is one SELECT; only a missing account takes the slow path.
    `read`: accounts of the community the caller has just read, including ALL of its
    accounts without an owner (a sale reads them with its owned ones in one SELECT); the
    chart is then taken from them instead of a SELECT of its own."""
    if read is None:
        read = Account.objects.filter(community=community, owner_id__isnull=True)
    found = {
        (a.kind, a.asset_id): a
        for a in read
        if a.owner_id is None and a.community_id == community.id
    }
    if all((kind, asset) in found for kind, asset, _limits in _SYSTEM_CHART):
        return {(kind, asset): found[(kind, asset)] for kind, asset, _limits in _SYSTEM_CHART}
    return _chart_create(community)


def _chart_create(community: Community) -> dict[tuple[str, str], Account]:
    _assets_ensure()
    ChainHead.objects.get_or_create(community=community)
    chart: dict[tuple[str, str], Account] = {}
    for kind, asset, limits in _SYSTEM_CHART:
        account, _created = Account.objects.get_or_create(
            community=community,
            kind=kind,
            asset_id=asset,
            owner_id=None,
            defaults={"is_hot": kind in _HOT_KINDS, "name": f"{kind}:{asset}", **limits},
        )
        chart[(kind, asset)] = account
    return chart


def account_open(
    *, community: Community, kind: str, asset: str, owner_type: str, owner_id: int, name: str = ""
) -> Account:
    """An owned account (member wallet, a member's frozen points, merchant account); none of
    them can go negative."""
    if kind not in (AccountKind.MEMBER_WALLET, AccountKind.MEMBER_FROZEN, AccountKind.MERCHANT):
        raise errors.InvalidPosting(reason="only member and merchant accounts have owners")
    if asset not in {code for code, _scale, _name in ASSETS}:
        raise errors.InvalidPosting(reason="unknown asset")
    # An account opened before (the usual case on every sale) is one SELECT.
    existing = Account.objects.filter(
        community=community, kind=kind, asset_id=asset, owner_type=owner_type, owner_id=owner_id
    ).first()
    if existing is not None:
        return existing
    _assets_ensure()
    ChainHead.objects.get_or_create(community=community)
    account, _created = Account.objects.get_or_create(
        community=community,
        kind=kind,
        asset_id=asset,
        owner_type=owner_type,
        owner_id=owner_id,
        defaults={"name": name, "debits_must_not_exceed_credits": True},
    )
    return account


def _assets_ensure() -> None:
    for code, scale, name in ASSETS:
        Asset.objects.get_or_create(code=code, defaults={"scale": scale, "name": name})


def hot_rollup(*, community: Community) -> int:
    """Roll the hot accounts' totals forward to the current head (a periodic job)."""
    head = ChainHead.objects.filter(community=community).values_list("last_seq", flat=True)
    through_seq = head.first() or 0
    rolled = 0
    for account in Account.objects.filter(community=community, is_hot=True):
        last = account.rollups.order_by("-through_seq").first()
        start_seq = last.through_seq if last else 0
        if start_seq >= through_seq:
            continue
        debits, credits = _hot_tail(account.id, start_seq, through_seq)
        HotRollup.objects.get_or_create(
            account=account,
            through_seq=through_seq,
            defaults={
                "debits_posted": (last.debits_posted if last else 0) + debits,
                "credits_posted": (last.credits_posted if last else 0) + credits,
            },
        )
        rolled += 1
    return rolled


def _hot_tail(account_id: int, after_seq: int, through_seq: int) -> tuple[int, int]:
    window = Q(seq__gt=after_seq, seq__lte=through_seq) & ~Q(kind=TransferKind.VOID)
    debits = Transfer.objects.filter(window, debit_account_id=account_id).values_list(
        "amount", flat=True
    )
    credits = Transfer.objects.filter(window, credit_account_id=account_id).values_list(
        "amount", flat=True
    )
    return sum(debits), sum(credits)


# No limit and touched by many postings (every sale, every cash-back): appended, never
# locked. Issuance and external cash are sources whose balance is negative by nature.
_HOT_KINDS = {
    AccountKind.PLATFORM_REVENUE,
    AccountKind.COMMUNITY_FUND,
    AccountKind.COUPON_COST,
    AccountKind.ROUNDING,
    AccountKind.SUBSIDY,
    AccountKind.CASH_IN,
    AccountKind.CASH_OUT,
    AccountKind.ISSUANCE,
}
_NO_OVERDRAFT = {"debits_must_not_exceed_credits": True}
_SYSTEM_CHART: list[tuple[str, str, dict[str, bool]]] = [
    (kind, asset, limits)
    for asset in ("CNY", "TIME", "PTS")
    for kind, limits in (
        (AccountKind.PLATFORM_REVENUE, {}),
        (AccountKind.COMMUNITY_FUND, {}),
        (AccountKind.COUPON_COST, {}),
        (AccountKind.ROUNDING, {}),
        (AccountKind.FEE_ESCROW, _NO_OVERDRAFT),
        (AccountKind.DEPOSIT_ESCROW, _NO_OVERDRAFT),
        (AccountKind.COIN_POOL, _NO_OVERDRAFT),
        (AccountKind.SUBSIDY, {}),
        (AccountKind.CASH_IN, {}),
        (AccountKind.CASH_OUT, {}),
        (AccountKind.ISSUANCE, {}),
    )
]
