"""The daily settlement reconciles with the ledger to the fen: per day, per asset, the
report's net payable, commission and community fund equal what the ledger's transfers
moved through the merchant's accounts in that day's journals, and over the whole range
the net payable equals the change of the merchant accounts' balances."""

import csv
import io
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from linli.commerce import reports
from linli.commerce.models import FlashOrder, Sale, SaleRefund
from linli.commerce.services import (
    flash_sale_buy,
    flash_sale_create,
    sale_consume,
    sale_refund,
    sale_undo,
)
from linli.ledger.models import Account, AccountKind, Transfer
from tests.commerce.conftest import balance, code_of, fund, merchant_of


def _sell(shop, request_no, at, amount_fen, coin_units=0):
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(shop.buyer, at),
        now=at,
        amount_fen=amount_fen,
        coin_units=coin_units,
    )[0]


def _two_days_of_business(shop):
    """Day 1: a sale undone, a cash sale. Day 2: a mixed sale partly refunded twice, a
    cash sale fully refunded. Today: a flash sale for points. Days 1 and 2 are tomorrow and
    the day after at 10:00 (the policy is in force, no record lands near midnight)."""
    fund(shop.buyer, "TIME", 20_000)
    fund(shop.buyer, "PTS", 1_000)
    ten = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0)
    yesterday, now = ten, ten + timedelta(days=1)
    undone = _sell(shop, "y1", yesterday, 10_000, coin_units=4_000)
    sale_undo(sale=undone, actor=shop.cashier, now=yesterday + timedelta(minutes=1))
    _sell(shop, "y2", yesterday + timedelta(minutes=2), 5_000)
    mixed = _sell(shop, "t1", now, 10_000, coin_units=4_000)
    owner = shop.merchant.owner
    sale_refund(sale=mixed, actor=owner, request_no="rf1", amount_fen=3_333, now=now)
    sale_refund(sale=mixed, actor=owner, request_no="rf2", amount_fen=1_111, now=now)
    cash = _sell(shop, "t2", now + timedelta(seconds=30), 2_001)
    sale_refund(sale=cash, actor=owner, request_no="rf3", amount_fen=2_001, now=now)

    item = flash_sale_create(merchant=shop.merchant, title="鸡蛋", price_points=300, stock=5)
    flash_sale_buy(flash_sale=item, member=shop.buyer)
    return yesterday, now


def _journals_by_day(community) -> dict:
    """Each sale's, refund's and flash order's journal, by the local day of its record."""
    days: dict = {}
    for model in (Sale, SaleRefund, FlashOrder):
        for journal_id, at in model.objects.filter(community=community).values_list(
            "journal_id", "created_at"
        ):
            days.setdefault(timezone.localdate(at), set()).add(journal_id)
    return days


def _ledger_moves(accounts: dict[int, str], asset: str, journals, counterpart_kind=None) -> int:
    """Credits minus debits of the merchant's `asset` account in these journals (only
    those against accounts of `counterpart_kind` when given), from the ledger itself."""
    ours = [a for a, code in accounts.items() if code == asset]
    transfers = Transfer.objects.filter(journal_id__in=journals)
    if counterpart_kind is not None:
        others = Account.objects.filter(kind=counterpart_kind).values("id")
        credit = transfers.filter(credit_account_id__in=ours, debit_account_id__in=others)
        debit = transfers.filter(debit_account_id__in=ours, credit_account_id__in=others)
    else:
        credit = transfers.filter(credit_account_id__in=ours)
        debit = transfers.filter(debit_account_id__in=ours)
    total = lambda q: q.aggregate(s=Sum("amount"))["s"] or 0  # noqa: E731
    return total(credit) - total(debit)


def _balances(merchant) -> dict[str, int]:
    return {asset: balance(merchant_of(merchant, asset)) for asset in reports.ASSETS}


def _reconcile(merchant, days_report, journals_by_day, before):
    accounts = reports.merchant_accounts(merchant)
    for day in days_report:
        journals = journals_by_day.get(day.day, set())
        for asset in reports.ASSETS:
            flow = day.assets[asset]
            assert flow.net == _ledger_moves(accounts, asset, journals), (day.day, asset)
            paid_commission = -_ledger_moves(
                accounts, asset, journals, AccountKind.PLATFORM_REVENUE
            )
            assert flow.commission == paid_commission, (day.day, asset)
            paid_fund = -_ledger_moves(accounts, asset, journals, AccountKind.COMMUNITY_FUND)
            assert flow.fund == paid_fund, (day.day, asset)
    for asset in reports.ASSETS:
        total = sum(day.assets[asset].net for day in days_report)
        assert total == balance(merchant_of(merchant, asset)) - before[asset], asset


def test_settlement_reconciles_with_the_ledger_to_the_fen(shop_a):
    # Admission may already have moved money (the deposit): only business since counts.
    before = {m.id: _balances(m) for m in (shop_a.merchant, shop_a.referrer_shop)}
    yesterday, now = _two_days_of_business(shop_a)
    date_from = timezone.localdate() - timedelta(days=1)
    date_to = timezone.localdate(now) + timedelta(days=1)
    journals = _journals_by_day(shop_a.community)
    for merchant in (shop_a.merchant, shop_a.referrer_shop):
        days = reports.settlement(merchant=merchant, date_from=date_from, date_to=date_to)
        assert [d.day for d in days] == [date_from + timedelta(days=i) for i in range(len(days))]
        _reconcile(merchant, days, journals, before[merchant.id])

    shop_days = {
        d.day: d
        for d in reports.settlement(merchant=shop_a.merchant, date_from=date_from, date_to=date_to)
    }
    first, second = shop_days[timezone.localdate(yesterday)], shop_days[timezone.localdate(now)]
    assert (first.sales, first.gross_fen, first.undos, first.refunds) == (2, 15_000, 1, 0)
    assert (second.sales, second.gross_fen, second.cash_fen) == (2, 12_001, 8_001)
    assert (second.refunds, second.refunded_fen) == (3, 3_333 + 1_111 + 2_001)
    today = shop_days[timezone.localdate(FlashOrder.objects.get().created_at)]
    assert today.assets["PTS"].flash_sales == 300 and today.assets["PTS"].net == 300
    # The buyer was introduced by the referrer shop's owner: it received rebates, paid none.
    referrer_days = reports.settlement(
        merchant=shop_a.referrer_shop, date_from=date_from, date_to=date_to
    )
    received = sum(d.assets[a].rebate_received for d in referrer_days for a in reports.ASSETS)
    assert received > 0
    assert all(d.sales == 0 and d.assets["CNY"].commission == 0 for d in referrer_days)


def test_an_undone_sale_nets_to_nothing(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    now = timezone.now()
    sale = _sell(shop_a, "u1", now, 10_000, coin_units=4_000)  # the record's day is `now`'s
    sale_undo(sale=sale, actor=shop_a.cashier, now=now)
    day = timezone.localdate(now)
    (row,) = reports.settlement(merchant=shop_a.merchant, date_from=day, date_to=day)
    assert (row.sales, row.undos, row.gross_fen) == (1, 1, 10_000)
    for asset in reports.ASSETS:
        flow = row.assets[asset]
        assert (flow.net, flow.commission, flow.fund, flow.cashback) == (0, 0, 0, 0), asset


def test_the_range_is_checked():
    today = timezone.localdate()
    with pytest.raises(reports.ReportRangeInvalid):
        reports.date_range(today, today - timedelta(days=1))
    with pytest.raises(reports.ReportRangeInvalid):
        reports.date_range(today - timedelta(days=reports.MAX_REPORT_DAYS), today)
    with pytest.raises(reports.ReportRangeInvalid):
        reports.parse_day("2026-13-45")
    assert reports.date_range(None, None) == (today - timedelta(days=6), today)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_settlement_api_page_and_csv_for_the_owner_only(shop_a):
    _yesterday, now = _two_days_of_business(shop_a)
    slug, day = shop_a.community.slug, timezone.localdate(now).isoformat()
    owner = _client(shop_a.merchant.owner)
    api = f"/api/v1/commerce/communities/{slug}/shop/settlement"
    answer = owner.get(api, {"date_from": day, "date_to": day})
    assert answer.status_code == 200, answer.content
    (row,) = answer.json()
    report = reports.settlement(
        merchant=shop_a.merchant, date_from=timezone.localdate(now), date_to=timezone.localdate(now)
    )[0]
    cny = next(a for a in row["assets"] if a["asset"] == "CNY")
    assert cny["net_payable"] == report.assets["CNY"].net and row["sales"] == report.sales

    download = owner.get(api + ".csv", {"date_from": day, "date_to": day})
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert tuple(lines[0]) == reports.SETTLEMENT_CSV_HEADER
    assert len(lines) == 1 + len(reports.ASSETS)
    by_asset = {line[1]: line for line in lines[1:]}
    assert int(by_asset["CNY"][-1]) == report.assets["CNY"].net

    page = owner.get(f"/c/{slug}/shop/settlement/", {"from": day, "to": day})
    assert page.status_code == 200 and "每日结算" in page.content.decode()
    page_csv = owner.get(f"/c/{slug}/shop/settlement/", {"from": day, "to": day, "format": "csv"})
    assert page_csv.content == download.content

    assert _client(shop_a.cashier).get(api).status_code == 403
    assert _client(shop_a.cashier).get(f"/c/{slug}/shop/settlement/").status_code == 403
    assert _client(shop_a.buyer.user).get(api).status_code == 403
    # Bad ranges are refused with a code, never a 500.
    bad = owner.get(api, {"date_from": day, "date_to": "2000-01-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "report_range_invalid"
    assert owner.get(api, {"date_from": "yesterday"}).status_code in (400, 422)
    assert owner.get(f"/c/{slug}/shop/settlement/", {"from": "garbage"}).status_code == 200
