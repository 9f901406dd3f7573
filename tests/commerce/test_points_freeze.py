"""Cash-back points are frozen until the sale's return window closes (SPEC "Points"):
credited to the member's frozen points account, released by a job into the wallet, and
taken back from there first by a refund or an undo inside the window."""

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.commerce import lots, points
from linli.commerce.accounts import member_frozen_points
from linli.commerce.models import PointsLot
from linli.commerce.services import sale_consume, sale_refund, sale_undo
from linli.ledger.models import AccountKind, Journal, Transfer
from linli.ledger.services import chart_ensure
from tests.commerce.conftest import balance, code_of, fund, wallet_of
from tests.factories import make_community, make_member

pytestmark = pytest.mark.django_db


_MINUTES = itertools.count(1)


def _sale(shop, request_no: str, amount_fen: int = 10_000, points_paid: int = 0):
    """A sale a minute or more after the last (each member code is used once)."""
    now = timezone.now() + timedelta(minutes=next(_MINUTES))
    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(shop.buyer, now=now),
        amount_fen=amount_fen,
        points=points_paid,
        now=now,
    )
    return sale


def _legs(journal_id) -> list[tuple[int, int, int]]:
    return [
        (t.debit_account_id, t.credit_account_id, t.amount)
        for t in Transfer.objects.filter(journal_id=journal_id).order_by("leg_no")
    ]


def _release_time(sale) -> timezone.datetime:
    return Journal.objects.get(id=sale.journal_id).created_at + timedelta(days=7)


def test_worked_example_frozen_for_seven_days_then_spendable(shop_b):
    """100 CNY under preset B: 0.5 point per CNY = 50 points, frozen for the 7-day return
    window, then one `points_release` journal (frozen → wallet) makes them spendable."""
    sale = _sale(shop_b, "f-1")
    frozen, wallet = member_frozen_points(shop_b.buyer), wallet_of(shop_b.buyer, "PTS")
    issuance = chart_ensure(community=shop_b.community)[(AccountKind.ISSUANCE, "PTS")]
    assert (issuance.id, frozen.id, 50) in _legs(sale.journal_id)
    assert (balance(frozen), balance(wallet)) == (50, 0)

    release_at = _release_time(sale)
    assert lots.points_release_due(now=release_at - timedelta(seconds=1)) == 0
    assert (balance(frozen), balance(wallet)) == (50, 0)
    lot = PointsLot.objects.get(member=shop_b.buyer)
    assert (lot.frozen, lot.release_at, lot.remaining) == (True, release_at, 50)

    assert lots.points_release_due(now=release_at) == 1
    assert (balance(frozen), balance(wallet)) == (0, 50)
    release = Journal.objects.get(code="points_release")
    assert _legs(release.id) == [(frozen.id, wallet.id, 50)]
    lot.refresh_from_db()
    assert (lot.frozen, lot.account_id, lot.remaining) == (False, wallet.id, 50)
    assert lots.points_release_due(now=release_at + timedelta(days=1)) == 0  # once
    assert Journal.objects.filter(code="points_release").count() == 1
    assert lots.lots_reconcile(member=shop_b.buyer).matches


def test_frozen_points_cannot_pay_at_the_till(shop_b):
    _sale(shop_b, "f-2")
    with pytest.raises(Exception) as refused:
        _sale(shop_b, "f-3", amount_fen=1_000, points_paid=10)
    assert getattr(refused.value, "code", "") == "insufficient_funds"


def test_a_refund_inside_the_window_takes_the_frozen_points_first(shop_b):
    """The member has 300 spendable points of their own: a refund of 40 of the 100 CNY
    takes its 20 points from the sale's frozen lot, never from those."""
    fund(shop_b.buyer, "PTS", 300)
    sale = _sale(shop_b, "f-4")
    frozen, wallet = member_frozen_points(shop_b.buyer), wallet_of(shop_b.buyer, "PTS")
    issuance = chart_ensure(community=shop_b.community)[(AccountKind.ISSUANCE, "PTS")]
    refund = sale_refund(sale=sale, actor=shop_b.cashier, request_no="r-1", amount_fen=4_000)
    assert (frozen.id, issuance.id, 20) in _legs(refund.journal_id)
    assert not [leg for leg in refund.legs if leg["reason"] == "writeoff"]
    assert (balance(frozen), balance(wallet)) == (30, 300)
    sale.refresh_from_db()
    rest = sale_refund(sale=sale, actor=shop_b.cashier, request_no="r-2", amount_fen=6_000)
    assert (frozen.id, issuance.id, 30) in _legs(rest.journal_id)
    assert (balance(frozen), balance(wallet)) == (0, 300)
    assert lots.points_release_due(now=_release_time(sale)) == 0  # nothing left to release
    assert lots.lots_reconcile(member=shop_b.buyer).matches


def test_an_undo_takes_the_frozen_points_back(shop_b):
    sale = _sale(shop_b, "f-5")
    frozen = member_frozen_points(shop_b.buyer)
    undone = sale_undo(sale=sale, actor=shop_b.cashier)
    assert balance(frozen) == 0 and undone.journal_id is not None
    assert lots.lots_reconcile(member=shop_b.buyer).matches  # the lots follow the ledger
    lot = PointsLot.objects.get(member=shop_b.buyer, frozen=True)
    assert lot.remaining == 0 and lot.uses.get().kind == "clawback"


def test_released_then_refunded_on_the_last_day_takes_from_the_wallet(shop_b):
    """The window's last moment: the release ran, the refund is still allowed. The
    points come back from the wallet; what the member spent since is written off."""
    sale = _sale(shop_b, "f-6")
    wallet = wallet_of(shop_b.buyer, "PTS")
    assert lots.points_release_due(now=_release_time(sale)) == 1
    issuance = chart_ensure(community=shop_b.community)[(AccountKind.ISSUANCE, "PTS")]
    subsidy = chart_ensure(community=shop_b.community)[(AccountKind.SUBSIDY, "PTS")]
    _sale(shop_b, "f-7", amount_fen=1_000, points_paid=40)  # spends 40 of the 50
    assert balance(wallet) == 10
    sale.refresh_from_db()
    refund = sale_refund(
        sale=sale,
        actor=shop_b.cashier,
        request_no="r-3",
        amount_fen=10_000,
        now=sale.created_at + timedelta(days=7),
    )
    legs = _legs(refund.journal_id)
    assert (wallet.id, issuance.id, 10) in legs and (subsidy.id, issuance.id, 40) in legs
    assert balance(wallet) == 0
    assert lots.lots_reconcile(member=shop_b.buyer).matches


def test_points_page_and_api_show_frozen_points_with_release_dates(shop_b):
    sale = _sale(shop_b, "f-8")
    client = Client()
    client.force_login(shop_b.buyer.user)
    slug = shop_b.community.slug
    day = timezone.localdate(_release_time(sale)).isoformat()
    page = client.get(f"/c/{slug}/points/").content.decode()
    assert 'data-testid="points-frozen">50<' in page and f"冻结至 {day}" in page
    client.cookies["django_language"] = "en"
    english = client.get(f"/c/{slug}/points/").content.decode()
    assert f"frozen until {day}" in english and "Frozen until the return window" in english
    client.cookies["django_language"] = "zh-hans"
    body = client.get(f"/api/v1/commerce/communities/{slug}/points").json()
    assert body["balance"] == {"spendable": 0, "held": 0, "frozen": 50}
    assert len(body["frozen"]) == 1 and body["frozen"][0]["points"] == 50
    assert body["frozen"][0]["release_at"].startswith(day)
    assert body["history"][0]["frozen"] is True and body["history"][0]["change"] == "+50"


def test_points_api_refuses_strangers_and_bad_paging(shop_b):
    slug = shop_b.community.slug
    url = f"/api/v1/commerce/communities/{slug}/points"
    stranger = Client()
    stranger.force_login(make_member(make_community("B")).user)
    assert stranger.get(url).status_code == 403
    assert Client().get(url).status_code in (401, 403)
    member = Client()
    member.force_login(shop_b.buyer.user)
    for query in ("?before=-1", "?before=x", "?limit=100000", "?limit=1", f"?before={10**16}"):
        answer = member.get(url + query)
        assert answer.status_code == 422, (query, answer.status_code)
    assert member.get("/api/v1/commerce/communities/no-such/points").status_code == 404


def test_history_pages_never_split_a_journal(shop_b):
    for i in range(3):
        fund(shop_b.buyer, "PTS", 10 + i)
    sale = _sale(shop_b, "f-9")
    lots.points_release_due(now=_release_time(sale))  # two lines in one journal
    first, before = points.history_page(member=shop_b.buyer, limit=2)
    assert [(row.change, row.frozen) for row in first] == [("+50", False), ("-50", True)]
    second, before = points.history_page(member=shop_b.buyer, before_seq=before, limit=2)
    assert [row.change for row in second] == ["+50", "+12"]
    third, before = points.history_page(member=shop_b.buyer, before_seq=before, limit=2)
    assert [row.change for row in third] == ["+11", "+10"] and before is None
    _sale(shop_b, "f-10")
    later = _sale(shop_b, "f-11")
    assert lots.points_release_due(now=_release_time(later)) == 2  # two lines each
    page, before = points.history_page(member=shop_b.buyer, limit=3)
    assert [(row.change, row.frozen) for row in page] == [("+50", False), ("-50", True)]
    page, _ = points.history_page(member=shop_b.buyer, before_seq=before, limit=3)
    assert [(row.change, row.frozen) for row in page][:2] == [("+50", False), ("-50", True)]


def test_worked_example_refund_of_40_then_the_30_left_released(shop_b):
    """docs/bundles.md "Points": 100 CNY → 50 frozen; 40 CNY refunded → 20 back from the
    frozen lot; at 7 days the 30 left are released; a rerun posts nothing."""
    fund(shop_b.buyer, "PTS", 300)
    sale = _sale(shop_b, "f-w")
    frozen, wallet = member_frozen_points(shop_b.buyer), wallet_of(shop_b.buyer, "PTS")
    sale_refund(
        sale=sale,
        actor=shop_b.cashier,
        request_no="w-1",
        amount_fen=4_000,
        now=sale.created_at + timedelta(days=2),
    )
    assert (balance(frozen), balance(wallet)) == (30, 300)
    assert lots.points_release_due(now=_release_time(sale)) == 1
    release = Journal.objects.get(code="points_release")
    assert _legs(release.id) == [(frozen.id, wallet.id, 30)]
    assert (balance(frozen), balance(wallet)) == (0, 330)
    assert lots.points_release_due(now=_release_time(sale) + timedelta(hours=1)) == 0
    assert lots.lots_reconcile(member=shop_b.buyer).matches
