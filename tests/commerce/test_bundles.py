"""Bundles (打包套餐): the weekend family pack — groceries + laundry voucher + class — from
three merchants, bought once from the member's wallet and redeemed piece by piece.

Worked example (preset A, 1 coin = 1 CNY = 100 units): items 120.00 + 50.00 + 80.00 =
250.00 CNY; 20% below is at most 200.00, so 200.01 is refused and 188.88 is accepted.
Paid in time coins: 18 888 units. Shares in proportion to list prices 12 000 : 5 000 :
8 000 of 25 000 — exact 9 066.24 / 3 777.60 / 6 044.16, floors 9 066 / 3 777 / 6 044
(18 887), the one unit left goes to the largest remainder (.60, laundry):
**9 066 / 3 778 / 6 044**, together 18 888.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.commerce import bundles
from linli.commerce.bundle_models import BundleOrder, OrderStatus, PieceStatus, ShareRule
from linli.ledger.models import Journal, Transfer, TransferKind
from linli.ledger.selectors import account_balances
from linli.ledger.verification import ledger_verify
from linli.merchants.models import MerchantStatus
from linli.merchants.services import staff_add
from tests.commerce.conftest import fund, merchant_of, wallet_of
from tests.factories import make_community, make_member, make_merchant, make_user

pytestmark = pytest.mark.django_db


def _family_pack(community, price_fen=18_888, share_rule=ShareRule.PROPORTIONAL, shares=None):
    grocer = make_merchant(community, "supermarket", name="邻里超市")
    laundry = make_merchant(community, "dry-cleaning", name="洁净干洗")
    school = make_merchant(community, "kids-classes", name="小小画室")
    items = [
        {"merchant_id": grocer.id, "title": "周末菜篮", "list_price_fen": 12_000},
        {"merchant_id": laundry.id, "title": "洗衣券", "list_price_fen": 5_000},
        {"merchant_id": school.id, "title": "亲子画画课", "list_price_fen": 8_000},
    ]
    for item, share in zip(items, shares or [], strict=False):
        item["share_bp"] = share
    bundle = bundles.bundle_create(
        community=community,
        actor=make_user(),
        title="周末家庭套餐",
        price_fen=price_fen,
        valid_days=30,
        items=items,
        share_rule=share_rule,
    )
    return bundle, grocer, laundry, school


def _available(account) -> int:
    account.refresh_from_db()
    return account_balances(account=account).available


def _posted(account) -> int:
    account.refresh_from_db()
    return account_balances(account=account).posted


@pytest.fixture
def pack():
    community = make_community("A")
    bundle, grocer, laundry, school = _family_pack(community)
    buyer = make_member(community, display_name="李阿姨")
    fund(buyer, "TIME", 20_000)
    return community, bundle, (grocer, laundry, school), buyer


def test_worked_example_purchase_redemption_and_expiry_to_the_fen(pack):
    community, bundle, shops, buyer = pack
    grocer, laundry, school = shops
    wallet = wallet_of(buyer, "TIME")

    order, replayed = bundles.bundle_buy(
        bundle=bundle, member=buyer, asset="TIME", request_no="r-1"
    )
    assert not replayed and order.units == 18_888
    pieces = list(order.pieces.all())
    assert [p.units for p in pieces] == [9_066, 3_778, 6_044]
    assert [p.merchant_id for p in pieces] == [grocer.id, laundry.id, school.id]
    # One journal of three holds: nothing has left the member's wallet yet.
    journal = Journal.objects.get(id=order.journal_id)
    holds = Transfer.objects.filter(journal=journal).order_by("leg_no")
    assert [(t.kind, t.amount) for t in holds] == [(TransferKind.PENDING, 9_066),
                                                   (TransferKind.PENDING, 3_778),
                                                   (TransferKind.PENDING, 6_044)]  # fmt: skip
    assert journal.policy_id == order.policy_id
    assert (_posted(wallet), _available(wallet)) == (20_000, 1_112)
    assert _posted(merchant_of(grocer, "TIME")) == 0

    piece = bundles.bundle_redeem(merchant=grocer, clerk=grocer.owner, code=pieces[0].code)
    assert piece.status == PieceStatus.REDEEMED
    assert _posted(merchant_of(grocer, "TIME")) == 9_066
    assert (_posted(wallet), _available(wallet)) == (10_934, 1_112)

    later = timezone.now() + timedelta(days=31)
    assert bundles.bundles_expire(now=later) == 2
    assert bundles.bundles_expire(now=later) == 0  # rerun: nothing twice
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert [p.status for p in order.pieces.all()] == [
        PieceStatus.REDEEMED,
        PieceStatus.REFUNDED,
        PieceStatus.REFUNDED,
    ]
    assert (_posted(wallet), _available(wallet)) == (10_934, 10_934)
    assert _posted(merchant_of(laundry, "TIME")) == 0
    assert _posted(merchant_of(school, "TIME")) == 0
    assert ledger_verify(community=community).problem is None


def test_all_pieces_redeemed_completes_the_order_and_pays_every_merchant(pack):
    _community, bundle, shops, buyer = pack
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="r")
    for shop, piece in zip(shops, order.pieces.all(), strict=True):
        bundles.bundle_redeem(merchant=shop, clerk=shop.owner, code=piece.code)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert [_posted(merchant_of(s, "TIME")) for s in shops] == [9_066, 3_778, 6_044]
    assert _posted(wallet_of(buyer, "TIME")) == 20_000 - 18_888
    assert bundles.bundles_expire(now=timezone.now() + timedelta(days=31)) == 0


def test_price_must_be_at_least_the_policy_discount_below_the_total():
    community = make_community("A")
    with pytest.raises(bundles.BundleDiscountTooSmall) as refused:
        _family_pack(community, price_fen=20_001)
    assert refused.value.code == "bundle_discount_too_small"
    assert "200.00" in refused.value.render("en") and "20%" in refused.value.render("en")
    community = make_community("A")
    bundle, *_ = _family_pack(community, price_fen=20_000)
    assert (bundle.price_fen, bundle.list_total_fen) == (20_000, 25_000)


def test_a_policy_without_minimum_still_needs_a_price_below_the_total():
    community = make_community("B")
    with pytest.raises(bundles.BundleDiscountTooSmall):
        _family_pack(community, price_fen=25_000)
    bundle, *_ = _family_pack(make_community("B"), price_fen=24_999)
    assert bundle.price_fen == 24_999


def test_fixed_shares_split_by_the_operators_basis_points():
    community = make_community("A")
    bundle, *_ = _family_pack(
        community, share_rule=ShareRule.FIXED, shares=[5_000, 2_500, 2_500], price_fen=10_001
    )
    buyer = make_member(community)
    fund(buyer, "TIME", 10_001)
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="x")
    # 10 001 × ½ = 5 000.5, × ¼ = 2 500.25 twice: floors 10 000, one unit to the .5.
    assert [p.units for p in order.pieces.all()] == [5_001, 2_500, 2_500]
    assert _available(wallet_of(buyer, "TIME")) == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title": ""}, "bundle_invalid"),
        ({"title": "x" * 101}, "bundle_invalid"),
        ({"price_fen": 0}, "bundle_invalid"),
        ({"price_fen": -5}, "bundle_invalid"),
        ({"price_fen": "100"}, "bundle_invalid"),
        ({"price_fen": True}, "bundle_invalid"),
        ({"price_fen": 10**18}, "bundle_invalid"),
        ({"valid_days": 0}, "bundle_invalid"),
        ({"valid_days": 400}, "bundle_invalid"),
        ({"share_rule": "whatever"}, "bundle_invalid"),
        ({"share_rule": "fixed"}, "bundle_invalid"),  # no share_bp given
        ({"items": []}, "bundle_invalid"),
        ({"items": "abc"}, "bundle_invalid"),
        ({"items": [1, 2]}, "bundle_invalid"),
    ],
)
def test_nasty_bundle_input_is_refused_with_a_code(change, code):
    community = make_community("A")
    a = make_merchant(community, "supermarket")
    b = make_merchant(community, "dry-cleaning")
    arguments = {
        "community": community,
        "actor": make_user(),
        "title": "套餐",
        "price_fen": 1_000,
        "valid_days": 7,
        "items": [
            {"merchant_id": a.id, "title": "A", "list_price_fen": 1_000},
            {"merchant_id": b.id, "title": "B", "list_price_fen": 1_000},
        ],
        **change,
    }
    with pytest.raises(bundles.BundleInvalid) as refused:
        bundles.bundle_create(**arguments)
    assert refused.value.code == code and refused.value.status == 400


def test_items_must_come_from_active_shops_of_this_community_and_at_least_two():
    community = make_community("A")
    a = make_merchant(community, "supermarket")
    foreign = make_merchant(make_community("A"), "dry-cleaning")
    for items in (
        [{"merchant_id": a.id, "title": "A", "list_price_fen": 900}] * 2,  # one shop only
        [
            {"merchant_id": a.id, "title": "A", "list_price_fen": 900},
            {"merchant_id": foreign.id, "title": "B", "list_price_fen": 900},
        ],
        [
            {"merchant_id": a.id, "title": "A", "list_price_fen": 900},
            {"merchant_id": 10**12, "title": "B", "list_price_fen": 900},
        ],
    ):
        with pytest.raises(bundles.BundleInvalid):
            bundles.bundle_create(
                community=community,
                actor=make_user(),
                title="t",
                price_fen=100,
                valid_days=7,
                items=items,
            )


def test_a_retry_returns_the_first_order_and_a_reused_number_for_another_is_refused(pack):
    _community, bundle, _shops, buyer = pack
    first, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="k")
    again, replayed = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="k")
    assert replayed and again.id == first.id
    assert BundleOrder.objects.count() == 1
    with pytest.raises(bundles.BundleRequestConflict):
        bundles.bundle_buy(bundle=bundle, member=buyer, asset="CNY", request_no="k")
    for bad in ("", " ", "x" * 65, None, 7, "a\x00b"):
        with pytest.raises(bundles.BundleRequestConflict):
            bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no=bad)


def test_without_enough_in_the_wallet_nothing_is_held_and_nothing_is_written(pack):
    _community, bundle, _shops, _buyer = pack
    poor = make_member(bundle.community)
    fund(poor, "TIME", 18_887)
    with pytest.raises(bundles.BundleFundsShort) as refused:
        bundles.bundle_buy(bundle=bundle, member=poor, asset="TIME", request_no="p")
    assert refused.value.status == 409
    assert not BundleOrder.objects.filter(member=poor).exists()
    assert _available(wallet_of(poor, "TIME")) == 18_887
    # CNY: no member top-up exists, so an empty CNY wallet is refused the same way.
    with pytest.raises(bundles.BundleFundsShort):
        bundles.bundle_buy(bundle=bundle, member=poor, asset="CNY", request_no="q")


def test_assets_the_policy_does_not_issue_and_unknown_assets_are_refused(pack):
    _community, bundle, _shops, buyer = pack
    for asset in ("PTS", "BTC", "", None, 3):  # preset A issues coins, no points
        with pytest.raises(bundles.BundleAssetRefused):
            bundles.bundle_buy(bundle=bundle, member=buyer, asset=asset, request_no=f"a{asset}")


def test_points_pay_where_the_policy_issues_them_in_whole_points():
    community = make_community("B")  # 1 point = 25 fen
    bundle, *_ = _family_pack(community, price_fen=18_800)
    buyer = make_member(community)
    fund(buyer, "PTS", 1_000)
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="PTS", request_no="p")
    assert order.units == 752 and sum(p.units for p in order.pieces.all()) == 752
    odd, *_ = _family_pack(make_community("B"), price_fen=18_801)
    other = make_member(odd.community)
    fund(other, "PTS", 1_000)
    with pytest.raises(bundles.BundleAssetRefused):
        bundles.bundle_buy(bundle=odd, member=other, asset="PTS", request_no="p")


def test_other_communities_withdrawn_bundles_and_closed_members_cannot_buy(pack):
    _community, bundle, _shops, _buyer = pack
    stranger = make_member(make_community("A"))
    fund(stranger, "TIME", 20_000)
    with pytest.raises(bundles.BundleNotOnSale):
        bundles.bundle_buy(bundle=bundle, member=stranger, asset="TIME", request_no="s")
    bundles.bundle_withdraw(bundle=bundle)
    neighbour = make_member(bundle.community)
    fund(neighbour, "TIME", 20_000)
    with pytest.raises(bundles.BundleNotOnSale):
        bundles.bundle_buy(bundle=bundle, member=neighbour, asset="TIME", request_no="n")


def test_a_piece_is_redeemed_once_only_and_only_at_its_merchant(pack):
    _community, bundle, shops, buyer = pack
    grocer, laundry, _school = shops
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="r")
    grocery_code = order.pieces.get(merchant=grocer).code
    with pytest.raises(bundles.PieceWrongMerchant) as wrong:
        bundles.bundle_redeem(merchant=laundry, clerk=laundry.owner, code=grocery_code)
    assert "邻里超市" in wrong.value.render("zh-hans")
    cashier = staff_add(merchant=grocer, username="grocer-till", password="Pw-12345!x", actor=None)
    spaced = " ".join([grocery_code[:5], grocery_code[5:]])  # typed with a space
    bundles.bundle_redeem(merchant=grocer, clerk=cashier.user, code=spaced)
    with pytest.raises(bundles.PieceAlreadyRedeemed):
        bundles.bundle_redeem(merchant=grocer, clerk=cashier.user, code=grocery_code)
    assert _posted(merchant_of(grocer, "TIME")) == 9_066  # paid once


@pytest.mark.parametrize("code", ["", "123", "12345678901", "abcdefghij", None, 1234567890,
                                  "１２３４５６７８９０"])  # fmt: skip
def test_malformed_or_unknown_codes_are_refused(pack, code):
    _community, _bundle, shops, _buyer = pack
    with pytest.raises(bundles.PieceCodeInvalid):
        bundles.bundle_redeem(merchant=shops[0], clerk=shops[0].owner, code=code)


def test_a_code_from_another_community_is_unknown_here(pack):
    _community, bundle, _shops, buyer = pack
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="r")
    elsewhere = make_merchant(make_community("A"), "supermarket")
    with pytest.raises(bundles.PieceCodeInvalid):
        bundles.bundle_redeem(
            merchant=elsewhere, clerk=elsewhere.owner, code=order.pieces.first().code
        )


def test_after_expiry_a_piece_cannot_be_redeemed(pack):
    _community, bundle, shops, buyer = pack
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="r")
    code = order.pieces.first().code
    later = timezone.now() + timedelta(days=31)
    with pytest.raises(bundles.BundleExpired):
        bundles.bundle_redeem(merchant=shops[0], clerk=shops[0].owner, code=code, now=later)
    bundles.bundles_expire(now=later)
    with pytest.raises(bundles.BundleExpired):
        bundles.bundle_redeem(merchant=shops[0], clerk=shops[0].owner, code=code)
    assert _available(wallet_of(buyer, "TIME")) == 20_000


def test_a_suspended_shop_cannot_redeem(pack):
    _community, bundle, shops, buyer = pack
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="r")
    type(shops[0]).objects.filter(id=shops[0].id).update(status=MerchantStatus.SUSPENDED)
    shops[0].refresh_from_db()
    with pytest.raises(bundles.MerchantCannotRedeem):
        bundles.bundle_redeem(
            merchant=shops[0], clerk=shops[0].owner, code=order.pieces.first().code
        )
