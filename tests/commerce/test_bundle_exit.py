"""A shop of a bundle leaves the alliance (issue 5 "Leaving the alliance", bundles A§2.2).

The weekend family pack of tests/commerce/test_bundles.py, valid 90 days, paid in time
coins: 18 888 units held as 9 066 (grocer) / 3 778 (laundry) / 6 044 (class). The laundry
gives notice: the pack stops being sold, holders of a laundry piece are told they can
still redeem it until the closing day; at the closing the unredeemed laundry pieces are
voided through the ledger (3 778 back in each holder's wallet), the grocer's and the
class's pieces stay good; a withdrawn notice puts the pack back on sale.
"""

from datetime import timedelta

import pytest

from linli.commerce import bundles
from linli.commerce.bundle_models import Bundle, BundlePiece, OrderStatus, PieceStatus
from linli.ledger.models import Journal, Transfer
from linli.ledger.selectors import account_balances
from linli.ledger.verification import ledger_verify
from linli.members.models import Notice
from linli.members.notices import notice_text
from linli.merchants.exit_hooks import day_label
from linli.merchants.services import (
    merchant_exit_complete,
    merchant_exit_request,
    merchant_exit_withdraw,
)
from linli.merchants.trust import merchant_remove
from tests.commerce.conftest import fund, merchant_of, wallet_of
from tests.factories import make_community, make_member, make_merchant, make_user

pytestmark = pytest.mark.django_db

GROCER, LAUNDRY, SCHOOL = 9_066, 3_778, 6_044


def _bundle(community, shops, title="周末家庭套餐"):
    prices = [12_000, 5_000, 8_000][: len(shops)]
    return bundles.bundle_create(
        community=community,
        actor=make_user(),
        title=title,
        price_fen=sum(prices) * 3 // 4,
        valid_days=90,
        items=[
            {"merchant_id": shop.id, "title": f"件 {i}", "list_price_fen": price}
            for i, (shop, price) in enumerate(zip(shops, prices, strict=False))
        ],
    )


@pytest.fixture
def street():
    community = make_community("A")
    grocer = make_merchant(community, "supermarket", name="邻里超市")
    laundry = make_merchant(community, "dry-cleaning", name="洁净干洗")
    school = make_merchant(community, "kids-classes", name="小小画室")
    pack = bundles.bundle_create(
        community=community,
        actor=make_user(),
        title="周末家庭套餐",
        price_fen=18_888,
        valid_days=90,
        items=[
            {"merchant_id": grocer.id, "title": "周末菜篮", "list_price_fen": 12_000},
            {"merchant_id": laundry.id, "title": "洗衣券", "list_price_fen": 5_000},
            {"merchant_id": school.id, "title": "亲子画画课", "list_price_fen": 8_000},
        ],
    )
    members = []
    for name in ("李阿姨", "王叔叔", "张同学"):
        member = make_member(community, display_name=name)
        fund(member, "TIME", 20_000)
        members.append(member)
    return community, pack, (grocer, laundry, school), members


def _buy(pack, member, no="r-1"):
    order, _ = bundles.bundle_buy(bundle=pack, member=member, asset="TIME", request_no=no)
    return {piece.merchant_id: piece for piece in order.pieces.all()}


def _available(account) -> int:
    account.refresh_from_db()
    return account_balances(account=account).available


def _redeem(shop, piece, **kwargs):
    return bundles.bundle_redeem(merchant=shop, clerk=shop.owner, code=piece.code, **kwargs)


def _close(shop, community):
    operator = make_user()
    return merchant_exit_complete(
        merchant=shop, actor=operator, now=shop.exit_effective_at + timedelta(days=1)
    )


def test_notice_stops_the_sale_and_tells_only_members_holding_an_unredeemed_piece(street):
    community, pack, (grocer, laundry, school), (holder, redeemed, stranger) = street
    elsewhere = _bundle(community, [grocer, school], title="菜和课")
    operator_withdrawn = _bundle(community, [laundry, grocer], title="洗衣加菜")
    bundles.bundle_withdraw(bundle=operator_withdrawn)
    _buy(pack, holder)
    _redeem(laundry, _buy(pack, redeemed)[laundry.id])

    shop = merchant_exit_request(merchant=laundry, actor=laundry.owner)

    pack.refresh_from_db()
    assert not pack.on_sale and pack.exit_paused_at is not None
    assert Bundle.objects.get(id=elsewhere.id).on_sale
    assert Bundle.objects.get(id=operator_withdrawn.id).exit_paused_at is None
    with pytest.raises(bundles.BundleNotOnSale):
        bundles.bundle_buy(bundle=pack, member=stranger, asset="TIME", request_no="late")
    told = Notice.objects.filter(kind="bundle_shop_leaving")
    assert [n.member_id for n in told] == [holder.id]
    day = day_label(shop.exit_effective_at)
    assert told.get().params == {"merchant": "洁净干洗", "on": day}
    assert day in notice_text(told.get()) and "洁净干洗" in notice_text(told.get())


def test_closing_voids_unredeemed_pieces_at_the_shop_only_and_returns_them_to_the_fen(street):
    community, pack, (grocer, laundry, school), (early, late, _stranger) = street
    early_pieces, late_pieces = _buy(pack, early, "e"), _buy(pack, late, "l")
    shop = merchant_exit_request(merchant=laundry, actor=laundry.owner)

    # During the notice the shop still hands over its pieces.
    assert _redeem(shop, early_pieces[laundry.id]).status == PieceStatus.REDEEMED
    laundry_account = merchant_of(laundry, "TIME")
    assert account_balances(account=laundry_account).posted == LAUNDRY

    _close(shop, community)

    voided = BundlePiece.objects.get(id=late_pieces[laundry.id].id)
    assert voided.status == PieceStatus.REFUNDED and voided.resolved_journal_id is not None
    assert Journal.objects.get(id=voided.resolved_journal_id).code == "bundle_merchant_exit"
    assert Transfer.objects.filter(pending_id=voided.hold_id).count() == 1
    late_wallet = wallet_of(late, "TIME")
    assert _available(late_wallet) == 20_000 - GROCER - SCHOOL  # 3 778 back, to the unit
    assert account_balances(account=late_wallet).posted == 20_000
    assert _available(wallet_of(early, "TIME")) == 20_000 - 18_888
    laundry_account.refresh_from_db()
    assert laundry_account.credits_pending == 0
    # The other shops' pieces are untouched and still redeemed at their tills.
    for shop_id in (grocer.id, school.id):
        assert BundlePiece.objects.get(id=late_pieces[shop_id].id).status == PieceStatus.OPEN
    after_closing = shop.exit_effective_at + timedelta(days=2)
    _redeem(grocer, late_pieces[grocer.id], now=after_closing)
    _redeem(school, late_pieces[school.id], now=after_closing)
    late_order = late_pieces[grocer.id].order
    late_order.refresh_from_db()
    assert late_order.status == OrderStatus.EXPIRED  # not every piece was handed over
    late_wallet.refresh_from_db()
    assert account_balances(account=late_wallet).posted == 20_000 - GROCER - SCHOOL
    assert account_balances(account=merchant_of(grocer, "TIME")).posted == GROCER
    with pytest.raises(bundles.BundleExpired):
        _redeem(shop, late_pieces[laundry.id])
    told = Notice.objects.filter(kind="bundle_pieces_returned")
    assert [(n.member_id, n.params) for n in told] == [(late.id, {"merchant": "洁净干洗"})]
    assert ledger_verify(community=community).problem is None


def test_settle_run_twice_changes_nothing(street):
    community, pack, (_grocer, laundry, _school), (holder, _redeemed, _stranger) = street
    pieces = _buy(pack, holder)
    shop = _close(merchant_exit_request(merchant=laundry, actor=laundry.owner), community)
    journals, notices = Journal.objects.count(), Notice.objects.count()

    assert bundles.merchant_leaving(merchant=shop, phase="settle", actor=None) == 0

    assert (Journal.objects.count(), Notice.objects.count()) == (journals, notices)
    piece = BundlePiece.objects.get(id=pieces[laundry.id].id)
    assert piece.status == PieceStatus.REFUNDED
    assert _available(wallet_of(holder, "TIME")) == 20_000 - GROCER - SCHOOL
    assert ledger_verify(community=community).problem is None


def test_a_withdrawn_notice_puts_back_on_sale_only_what_it_paused(street):
    community, pack, (grocer, laundry, school), (holder, _redeemed, buyer) = street
    operator_withdrawn = _bundle(community, [laundry, grocer], title="洗衣加菜")
    bundles.bundle_withdraw(bundle=operator_withdrawn)
    laundry_and_grocer = _bundle(community, [grocer, laundry], title="菜加洗衣")
    pieces = _buy(pack, holder)
    withdrawn_during_notice = _bundle(community, [laundry, grocer], title="洗衣和菜")
    shop = merchant_exit_request(merchant=laundry, actor=laundry.owner)
    other = merchant_exit_request(merchant=school, actor=school.owner)
    bundles.bundle_withdraw(bundle=withdrawn_during_notice)  # the operator's own decision

    merchant_exit_withdraw(merchant=shop, actor=laundry.owner)

    assert Bundle.objects.get(id=laundry_and_grocer.id).on_sale
    assert not Bundle.objects.get(id=operator_withdrawn.id).on_sale
    assert not Bundle.objects.get(id=withdrawn_during_notice.id).on_sale
    pack.refresh_from_db()
    assert not pack.on_sale and pack.exit_paused_at is not None  # the class is still leaving
    with pytest.raises(bundles.BundleNotOnSale):
        bundles.bundle_buy(bundle=pack, member=buyer, asset="TIME", request_no="b")

    merchant_exit_withdraw(merchant=other, actor=school.owner)

    pack.refresh_from_db()
    assert pack.on_sale and pack.exit_paused_at is None
    order, _ = bundles.bundle_buy(bundle=pack, member=buyer, asset="TIME", request_no="b")
    assert order.units == 18_888
    assert _redeem(laundry, pieces[laundry.id]).status == PieceStatus.REDEEMED
    assert not Notice.objects.filter(kind="bundle_pieces_returned").exists()
    assert ledger_verify(community=community).problem is None


def test_a_removal_stops_the_sale_and_returns_the_pieces_at_once(street):
    community, pack, (grocer, laundry, _school), (holder, _redeemed, _stranger) = street
    pieces = _buy(pack, holder)
    operator = make_user()

    merchant_remove(merchant=laundry, reason="季度末位", blacklist=False, actor=operator)

    pack.refresh_from_db()
    assert not pack.on_sale
    assert BundlePiece.objects.get(id=pieces[laundry.id].id).status == PieceStatus.REFUNDED
    assert _available(wallet_of(holder, "TIME")) == 20_000 - GROCER - SCHOOL
    # no "you can still redeem it until…" for a shop that is already gone
    kinds = list(Notice.objects.filter(member=holder).values_list("kind", flat=True))
    assert "bundle_shop_leaving" not in kinds and kinds.count("bundle_pieces_returned") == 1
    assert _redeem(grocer, pieces[grocer.id]).status == PieceStatus.REDEEMED
    assert ledger_verify(community=community).problem is None
