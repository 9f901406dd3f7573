"""Reads for the merchant's back office and the committee (issue 6 "Pages and API",
"Fraud and limits"): the sales list, the daily settlement, the 核销 log and the anomalies.

Reads only (a selectors module kept apart from `selectors.py`, which serves the till).
Every figure comes from the leg records on `Sale` and `SaleRefund`, which are exactly the
legs their journals posted, so the settlement reconciles with the ledger to the fen
(tests/commerce/test_settlement.py). The merchant never sees more of a member than the
masked name and the tier.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.commerce.models import (
    FlashOrder,
    RefundKind,
    Sale,
    SaleRefund,
    SaleSource,
    SaleStatus,
    TillRefusal,
)
from linli.commerce.refusals import REFUSAL_LABELS
from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.errors import DomainError, Forbidden
from linli.ledger.models import Account, AccountKind
from linli.members import pii
from linli.members.models import Member, Referral
from linli.merchants.access import can
from linli.merchants.models import Merchant, StaffRole
from linli.merchants.selectors import staff_merchant

PAGE_SIZE = 20
MAX_REPORT_DAYS = 92  # a quarter: the settlement is read per day, not per year
MAX_QUERY = 64
ASSETS = ("CNY", "TIME", "PTS")
DEFAULT_ANOMALIES: dict[str, int] = {
    # A clerk with at least this many undos within the window is listed.
    "clerk_undos": 3,
    "window_days": 7,
    # A member who bought at this many different shops within `store_minutes` is listed.
    "stores": 3,
    "store_minutes": 5,
}


class ReportRangeInvalid(DomainError):
    code = "report_range_invalid"
    status = 400
    message = _("Choose dates in order, at most %(days)s days apart.")


# --- who may read what ----------------------------------------------------------------


def shop_reader(*, user: Any, community: Community, action: str) -> tuple[Merchant, str]:
    """The shop this login works for and its staff role, if the role may `action`
    ("sale.view_shop": owner and cashiers, a cashier seeing only their own sales;
    "sale.settlement" and "sale.log": the owner)."""
    if not has_permission(user=user, community=community, action=action):
        raise Forbidden()
    job = staff_merchant(user=user, community=community)
    if job is None or (action != "sale.view_shop" and job[1] != StaffRole.OWNER):
        raise Forbidden()
    return job


def anomalies_reader(*, user: Any, community: Community) -> bool:
    """Operators, auditors and the merchant committee's chair of the month may read the
    anomalies. Returns whether the reader may also see member numbers (operators and
    auditors, to follow up); the chair is a merchant and sees masked names only."""
    if not can(user=user, community=community, action="sale.anomalies"):
        raise Forbidden()
    return has_permission(user=user, community=community, action="member.view_all")


# --- dates ----------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def date_range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """A checked, inclusive local-date range; the last 7 days when not given."""
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or (date_to - timedelta(days=6))
    if date_from > date_to or (date_to - date_from).days >= MAX_REPORT_DAYS:
        raise ReportRangeInvalid(days=MAX_REPORT_DAYS)
    return date_from, date_to


def parse_day(text: Any) -> date | None:
    """ "2026-11-23" → a date; empty → None; anything else → a range error."""
    if not text:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        raise ReportRangeInvalid(days=MAX_REPORT_DAYS) from None


# --- the sales list -------------------------------------------------------------------


@dataclass(frozen=True)
class SaleFilter:
    query: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    source: str = ""


def sales_list(
    *, merchant: Merchant, role: str, user: Any, filters: SaleFilter, page: Any = 1
) -> Page:
    """The shop's sales, newest first, searched by request number, clerk or masked
    member ("王**"), filtered by date, status and source, 20 a page. A cashier sees the
    sales they recorded."""
    sales = Sale.objects.filter(merchant=merchant).select_related("member", "clerk")
    if role != StaffRole.OWNER:
        sales = sales.filter(clerk=user)
    sales = _search(sales, filters.query)
    if filters.date_from:
        sales = sales.filter(created_at__gte=day_start(filters.date_from))
    if filters.date_to:
        sales = sales.filter(created_at__lt=day_start(filters.date_to + timedelta(days=1)))
    if filters.status in SaleStatus.values:
        sales = sales.filter(status=filters.status)
    if filters.source in SaleSource.values:
        sales = sales.filter(source=filters.source)
    return Paginator(sales.order_by("-created_at", "-id"), PAGE_SIZE).get_page(page)


def _search(sales: QuerySet[Sale], query: str) -> QuerySet[Sale]:
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return sales
    match = Q(request_no__icontains=query) | Q(clerk__username__icontains=query)
    head = query.rstrip("*")
    if query.endswith("*") and len(head) == 1:
        # The merchant knows a member only as "王**": search by exactly that.
        match |= Q(member__display_name__startswith=head)
    return sales.filter(match)


def sale_row(sale: Sale) -> dict[str, Any]:
    """One line of the sales list: nothing about the member but the masked name and tier."""
    return {
        "id": sale.id,
        "request_no": sale.request_no,
        "created_at": sale.created_at,
        "member": pii.mask_name(sale.member.display_name),
        "tier": sale.member.tier,
        "clerk": sale.clerk.username,
        "source": sale.source,
        "status": sale.status,
        "amount_fen": sale.amount_fen,
        "cash_fen": sale.cash_fen,
        "coin_units": sale.coin_units,
        "points": sale.points,
        "refunded_fen": sale.refunded_fen,
    }


# --- the daily settlement -------------------------------------------------------------


@dataclass
class AssetFlow:
    """What moved through the merchant's account in one asset on one day."""

    received: int = 0  # payments, less payments refunded
    commission: int = 0
    fund: int = 0
    rebate_paid: int = 0  # to the shop that introduced the buyer
    rebate_received: int = 0  # from other shops, for members this shop's owner introduced
    flash_sales: int = 0  # points for flash-sale items
    cashback: int = 0  # issued to this shop's buyers (not the shop's money), net of reversals

    @property
    def net(self) -> int:
        """Net payable to the merchant: the change of its ledger account that day."""
        return (
            self.received
            - self.commission
            - self.fund
            - self.rebate_paid
            + self.rebate_received
            + self.flash_sales
        )


@dataclass
class SettlementDay:
    day: date
    sales: int = 0
    gross_fen: int = 0
    cash_fen: int = 0
    coin_units: int = 0
    points: int = 0
    undos: int = 0
    refunds: int = 0
    refunded_fen: int = 0
    assets: dict[str, AssetFlow] = field(default_factory=lambda: {a: AssetFlow() for a in ASSETS})


def merchant_accounts(merchant: Merchant) -> dict[int, str]:
    """The merchant's ledger accounts, id → asset."""
    return dict(
        Account.objects.filter(
            community_id=merchant.community_id,
            kind=AccountKind.MERCHANT,
            owner_type="merchant",
            owner_id=merchant.id,
        ).values_list("id", "asset_id")
    )


def settlement(*, merchant: Merchant, date_from: date, date_to: date) -> list[SettlementDay]:
    """One row per local day from `date_from` to `date_to` (inclusive, every day shown)."""
    days = {
        date_from + timedelta(days=i): SettlementDay(date_from + timedelta(days=i))
        for i in range((date_to - date_from).days + 1)
    }
    start, end = day_start(date_from), day_start(date_to + timedelta(days=1))
    ours = merchant_accounts(merchant)
    window = {"created_at__gte": start, "created_at__lt": end}
    for sale in Sale.objects.filter(merchant=merchant, **window):
        row = days[timezone.localdate(sale.created_at)]
        row.sales += 1
        row.gross_fen += sale.amount_fen
        row.cash_fen += sale.cash_fen
        row.coin_units += sale.coin_units
        row.points += sale.points
        _add_legs(row, sale.legs, ours, own=True, sign=1)
    for refund in SaleRefund.objects.filter(sale__merchant=merchant, **window):
        row = days[timezone.localdate(refund.created_at)]
        row.undos += refund.kind == RefundKind.UNDO
        row.refunds += refund.kind == RefundKind.REFUND
        row.refunded_fen += refund.amount_fen
        _add_legs(row, refund.legs, ours, own=True, sign=-1)
    _add_rebates_received(days, merchant, ours, window)
    for order in FlashOrder.objects.filter(flash_sale__merchant=merchant, **window).values(
        "created_at", "flash_sale__price_points"
    ):
        days[timezone.localdate(order["created_at"])].assets["PTS"].flash_sales += order[
            "flash_sale__price_points"
        ]
    return list(days.values())


def _add_rebates_received(
    days: dict[date, SettlementDay], merchant: Merchant, ours: dict[int, str], window: dict
) -> None:
    """Rebates come from other shops' sales to members this shop's owner introduced."""
    introduced = Referral.objects.filter(
        community_id=merchant.community_id, referrer__user_id=merchant.owner_id
    ).values("referee_id")
    others = Sale.objects.filter(
        community_id=merchant.community_id, member_id__in=introduced
    ).exclude(merchant=merchant)
    for sale in others.filter(**window):
        _add_legs(days[timezone.localdate(sale.created_at)], sale.legs, ours, own=False, sign=1)
    refunds = SaleRefund.objects.filter(sale__in=others)
    for refund in refunds.filter(**window):
        row = days[timezone.localdate(refund.created_at)]
        _add_legs(row, refund.legs, ours, own=False, sign=-1)


def _add_legs(
    row: SettlementDay, legs: list[dict[str, Any]], ours: dict[int, str], *, own: bool, sign: int
) -> None:
    """Fold one journal's legs into the day. `sign` is +1 for a sale, −1 for a refund
    (whose legs run the other way)."""
    for leg in legs:
        flow = row.assets[leg["asset"]]
        signed, reason = sign * leg["amount"], leg["reason"]
        touches_us = leg["credit_account_id"] in ours or leg["debit_account_id"] in ours
        if not own:
            if reason == "rebate" and touches_us:
                flow.rebate_received += signed
        elif reason in ("payment", "voucher"):  # a platform voucher is received like cash
            flow.received += signed
        elif reason == "commission":
            flow.commission += signed
        elif reason == "fund":
            flow.fund += signed
        elif reason == "rebate":
            flow.rebate_paid += signed
        elif reason in ("cashback", "gold", "writeoff"):
            flow.cashback += signed  # a write-off is a reversal the member could not repay


SETTLEMENT_CSV_HEADER = (
    "date",
    "asset",
    "sales",
    "gross_fen",
    "cash_fen",
    "coin_units",
    "points",
    "undos",
    "refunds",
    "refunded_fen",
    "received",
    "commission",
    "community_fund",
    "rebate_paid",
    "rebate_received",
    "flash_sales",
    "cashback_issued",
    "net_payable",
)


def settlement_csv_rows(days: list[SettlementDay]) -> list[tuple[Any, ...]]:
    """One row per day and asset (amounts in minor units: fen, coin units, points)."""
    rows = []
    for row in days:
        for asset in ASSETS:
            flow = row.assets[asset]
            rows.append(
                (
                    row.day.isoformat(),
                    asset,
                    row.sales,
                    row.gross_fen,
                    row.cash_fen,
                    row.coin_units,
                    row.points,
                    row.undos,
                    row.refunds,
                    row.refunded_fen,
                    flow.received,
                    flow.commission,
                    flow.fund,
                    flow.rebate_paid,
                    flow.rebate_received,
                    flow.flash_sales,
                    flow.cashback,
                    flow.net,
                )
            )
    return rows


# --- the 核销 log ----------------------------------------------------------------------


@dataclass(frozen=True)
class LogEvent:
    at: datetime
    kind: str  # consume / undo / refund
    sale_id: int
    request_no: str
    clerk: str
    source: str
    amount_fen: int


def consume_log(*, merchant: Merchant, date_from: date, date_to: date, page: Any = 1) -> Page:
    """Every consume, undo and refund at the shop in the range, newest first, paged."""
    window = {
        "created_at__gte": day_start(date_from),
        "created_at__lt": day_start(date_to + timedelta(days=1)),
    }
    events = [
        LogEvent(
            s.created_at, "consume", s.id, s.request_no, s.clerk.username, s.source, s.amount_fen
        )
        for s in Sale.objects.filter(merchant=merchant, **window).select_related("clerk")
    ] + [
        LogEvent(
            r.created_at,
            r.kind,
            r.sale_id,
            r.sale.request_no,
            r.actor.username,
            r.source,
            r.amount_fen,
        )
        for r in SaleRefund.objects.filter(sale__merchant=merchant, **window).select_related(
            "sale", "actor"
        )
    ]
    events.sort(key=lambda e: (e.at, e.kind != "consume"), reverse=True)
    return Paginator(events, PAGE_SIZE * 2).get_page(page)


# --- anomalies for the committee ------------------------------------------------------


def anomaly_thresholds() -> dict[str, int]:
    """The thresholds in force: `DEFAULT_ANOMALIES` with `settings.LINLI_SALE_ANOMALIES`."""
    merged = dict(DEFAULT_ANOMALIES)
    for key, value in (getattr(settings, "LINLI_SALE_ANOMALIES", {}) or {}).items():
        if key in merged and isinstance(value, int) and value >= 1:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class ClerkUndos:
    merchant: str
    clerk: str
    undos: int
    sales: int


@dataclass(frozen=True)
class StoreHopping:
    member_id: int
    member: str
    stores: list[str]
    first_at: datetime
    last_at: datetime


def anomalies(
    *, community: Community, now: datetime | None = None
) -> tuple[list[ClerkUndos], list[StoreHopping], dict[str, int]]:
    """Clerks with many undos and members who bought at many shops within minutes, over
    the last `window_days`; the thresholds are returned so the page can state them."""
    now = now or timezone.now()
    limits = anomaly_thresholds()
    since = now - timedelta(days=limits["window_days"])
    return (
        _clerks_with_undos(community, since, limits["clerk_undos"]),
        _store_hopping(community, since, limits["stores"], limits["store_minutes"]),
        limits,
    )


def _clerks_with_undos(community: Community, since: datetime, threshold: int) -> list[ClerkUndos]:
    undos = (
        SaleRefund.objects.filter(community=community, kind=RefundKind.UNDO, created_at__gte=since)
        .values("actor_id", "actor__username", "sale__merchant_id", "sale__merchant__name")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
        .order_by("-n", "actor__username")
    )
    rows = []
    for undo in undos:
        sales = Sale.objects.filter(
            merchant_id=undo["sale__merchant_id"], clerk_id=undo["actor_id"], created_at__gte=since
        ).count()
        rows.append(
            ClerkUndos(undo["sale__merchant__name"], undo["actor__username"], undo["n"], sales)
        )
    return rows


def _store_hopping(
    community: Community, since: datetime, stores: int, minutes: int
) -> list[StoreHopping]:
    """A sliding window over each member's sales in time order: `stores` different shops
    within `minutes` is one finding (reported once per burst)."""
    span = timedelta(minutes=minutes)
    sales = (
        Sale.objects.filter(community=community, created_at__gte=since)
        .values("member_id", "merchant_id", "merchant__name", "created_at")
        .order_by("member_id", "created_at", "id")
    )
    by_member: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sale in sales:
        by_member[sale["member_id"]].append(dict(sale))
    found: list[StoreHopping] = []
    names = dict(Member.objects.filter(id__in=list(by_member)).values_list("id", "display_name"))
    for member_id, rows in by_member.items():
        start = 0
        for end in range(len(rows)):
            while rows[end]["created_at"] - rows[start]["created_at"] > span:
                start += 1
            burst = rows[start : end + 1]
            shops = list(dict.fromkeys(r["merchant__name"] for r in burst))
            if len(shops) >= stores:
                found.append(
                    StoreHopping(
                        member_id,
                        pii.mask_name(names.get(member_id, "")),
                        shops,
                        burst[0]["created_at"],
                        burst[-1]["created_at"],
                    )
                )
                start = end + 1  # the next finding starts after this burst
    found.sort(key=lambda f: f.last_at, reverse=True)
    return found


# --- fraud-type refusals at the till (refusals.py) ----------------------------------------


class RefusalFilterInvalid(DomainError):
    code = "refusal_filter_invalid"
    status = 400
    message = _("Choose one of the listed refusals, or all of them.")


@dataclass(frozen=True)
class RefusalRow:
    at: datetime
    merchant: str
    clerk: str
    code: str
    label: str
    member_id: int | None
    member: str  # masked; "" when the typed code named no card


def till_refusals(
    *, community: Community, code: str = "", page: Any = 1, now: datetime | None = None
) -> Page:
    """The fraud-type refusals of the last `window_days`, newest first, 20 a page; `code`
    keeps one kind of refusal ("" = all)."""
    if code and code not in REFUSAL_LABELS:
        raise RefusalFilterInvalid()
    now = now or timezone.now()
    since = now - timedelta(days=anomaly_thresholds()["window_days"])
    rows = TillRefusal.objects.filter(community=community, created_at__gte=since)
    if code:
        rows = rows.filter(code=code)
    found = rows.select_related("merchant", "clerk", "member").order_by("-created_at", "-id")
    page_of = Paginator(found, PAGE_SIZE).get_page(page)
    return Page([_refusal_row(r) for r in page_of.object_list], page_of.number, page_of.paginator)


def _refusal_row(refusal: TillRefusal) -> RefusalRow:
    member = refusal.member
    return RefusalRow(
        at=refusal.created_at,
        merchant=refusal.merchant.name,
        clerk=refusal.clerk.get_username() if refusal.clerk is not None else "",
        code=refusal.code,
        label=str(REFUSAL_LABELS.get(refusal.code, refusal.code)),
        member_id=member.id if member is not None else None,
        member=pii.mask_name(member.display_name) if member is not None else "",
    )
