"""Member price at the till (会员价): the merchant's member discount inside the policy range
and the interest-group extra discount, shown by sale_prepare and charged by the sale.

Worked example (preset B: member discount 10–30%, group extra 5% from 10 members): the
fruit shop sets 10%; the buyer is in a 10-member group tied to 水果. List 33.33 CNY →
exact 333.3 / 166.65 / 2 833.05 fen → floors 333 / 166 / 2 833 (3 332), the fen left over
goes to the largest remainder (.65, the group discount): **333 / 167 / 2 833**.
"""

import pytest
from django.test import Client

from linli.commerce import member_prices, services
from linli.commerce.price_models import SalePrice
from linli.members.models import GroupMembership, InterestGroup
from tests.commerce.conftest import code_of
from tests.factories import make_member, make_role, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _group(shop, size: int, *, tied: bool = True) -> InterestGroup:
    group = InterestGroup.objects.create(
        community=shop.community, name=f"水果爱好者{size}", created_by=shop.buyer
    )
    GroupMembership.objects.create(group=group, member=shop.buyer)
    for _n in range(size - 1):
        GroupMembership.objects.create(group=group, member=make_member(shop.community))
    if tied:
        member_prices.group_trade_link(
            community=shop.community, group_id=group.id, industry_id=shop.merchant.industry_id
        )
    return group


def _prepare(shop, amount_fen: int):
    return services.sale_prepare(
        merchant=shop.merchant, code=code_of(shop.buyer), amount_fen=amount_fen
    )


def test_worked_example_member_and_group_discount_to_the_fen(shop_b):
    member_prices.member_discount_set(
        merchant=shop_b.merchant, actor=shop_b.merchant.owner, discount_bp=1_000
    )
    _group(shop_b, 10)
    preview = _prepare(shop_b, 3_333)
    assert preview.price is not None
    assert (
        preview.price.list_fen,
        preview.price.member_discount_fen,
        preview.price.group_discount_fen,
        preview.amount_fen,
    ) == (3_333, 333, 167, 2_833)
    assert preview.cash_fen == 2_833


def test_the_sale_is_charged_on_the_discounted_amount_and_a_retry_replays(shop_b):
    member_prices.member_discount_set(
        merchant=shop_b.merchant, actor=shop_b.merchant.owner, discount_bp=2_000
    )
    arguments = {
        "merchant": shop_b.merchant,
        "clerk": shop_b.cashier,
        "request_no": "mp-1",
        "code": code_of(shop_b.buyer),
        "amount_fen": 10_000,
    }
    sale, replayed = services.sale_consume(**arguments)
    assert not replayed and sale.amount_fen == 8_000 and sale.cash_fen == 8_000
    recorded = SalePrice.objects.get(sale=sale)
    assert (recorded.list_fen, recorded.member_discount_fen, recorded.group_discount_fen) == (
        10_000,
        2_000,
        0,
    )
    again, replayed = services.sale_consume(**arguments)
    assert replayed and again.id == sale.id
    with pytest.raises(services.errors.RequestConflict):
        services.sale_consume(**{**arguments, "amount_fen": 8_000})


def test_a_shop_without_a_member_price_charges_what_is_typed(shop_b):
    _group(shop_b, 10)
    _group_off = _prepare(shop_b, 10_000)
    # Only the group discount (B: 5%) applies; no member discount chosen yet.
    assert (_group_off.price.member_discount_fen, _group_off.amount_fen) == (0, 9_500)


def test_no_group_discount_below_the_policys_size_or_for_an_untied_group(shop_b):
    _group(shop_b, 9)
    assert _prepare(shop_b, 10_000).amount_fen == 10_000
    _group(shop_b, 10, tied=False)
    assert _prepare(shop_b, 10_000).amount_fen == 10_000


def test_preset_a_has_no_group_discount_and_a_5_percent_floor(shop_a):
    with pytest.raises(member_prices.MemberDiscountOutOfRange) as refused:
        member_prices.member_discount_set(
            merchant=shop_a.merchant, actor=shop_a.merchant.owner, discount_bp=499
        )
    assert "5%" in refused.value.render("en") and "30%" in refused.value.render("en")
    member_prices.member_discount_set(
        merchant=shop_a.merchant, actor=shop_a.merchant.owner, discount_bp=500
    )
    _group(shop_a, 10)
    assert _prepare(shop_a, 10_000).amount_fen == 9_500


@pytest.mark.parametrize("bad", [999, 3_001, -1, "1000", True, None, 10**20, 1_000.0])
def test_discounts_outside_the_policy_range_or_of_the_wrong_type_are_refused(shop_b, bad):
    with pytest.raises(member_prices.MemberDiscountOutOfRange) as refused:
        member_prices.member_discount_set(
            merchant=shop_b.merchant, actor=shop_b.merchant.owner, discount_bp=bad
        )
    assert refused.value.code == "member_discount_out_of_range" and refused.value.status == 400


@pytest.mark.parametrize("ids", [(0, 1), ("1", 1), (10**30, 1), (None, None)])
def test_group_trade_links_refuse_nonsense(shop_b, ids):
    with pytest.raises(member_prices.GroupTradeInvalid):
        member_prices.group_trade_link(community=shop_b.community, group_id=ids[0], industry_id=1)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(shop, tail: str) -> str:
    return f"/api/v1/commerce/communities/{shop.community.slug}{tail}"


def test_owner_sets_the_discount_cashier_cannot_and_prepare_shows_it(shop_b):
    body = {"discount_bp": 1_500}
    assert (
        _client(shop_b.cashier).post(_api(shop_b, "/member-price"), body, JSON).status_code == 403
    )
    assert (
        _client(shop_b.buyer.user).post(_api(shop_b, "/member-price"), body, JSON).status_code
        == 403
    )
    owner = _client(shop_b.merchant.owner)
    too_much = owner.post(_api(shop_b, "/member-price"), {"discount_bp": 3_500}, JSON)
    assert too_much.status_code == 400
    assert too_much.json()["code"] == "member_discount_out_of_range"
    done = owner.post(_api(shop_b, "/member-price"), body, JSON)
    assert done.status_code == 200 and done.json()["discount_bp"] == 1_500
    preview = _client(shop_b.cashier).post(
        _api(shop_b, "/sales/prepare"),
        {"code": code_of(shop_b.buyer), "amount_fen": 10_000},
        JSON,
    )
    assert preview.status_code == 200, preview.content
    got = preview.json()
    assert (got["list_fen"], got["member_discount_fen"], got["amount_fen"]) == (
        10_000,
        1_500,
        8_500,
    )


def test_only_operators_tie_groups_to_trades(shop_b):
    group = _group(shop_b, 2, tied=False)
    url = _api(shop_b, f"/interest-groups/{group.id}/trades")
    body = {"industry_id": shop_b.merchant.industry_id}
    assert _client(shop_b.buyer.user).post(url, body, JSON).status_code == 403
    operator = make_user()
    make_role(operator, shop_b.community, "operator")
    assert _client(operator).post(url, body, JSON).status_code == 201
    other = _api(shop_b, "/interest-groups/999999/trades")
    assert _client(operator).post(other, body, JSON).status_code == 400


def test_owner_page_sets_the_discount_and_the_till_shows_it(shop_b):
    owner = _client(shop_b.merchant.owner)
    url = f"/c/{shop_b.community.slug}/member-price/"
    assert _client(shop_b.cashier).get(url).status_code == 403
    page = owner.get(url).content.decode()
    assert "10%" in page and "30%" in page
    refused = owner.post(url, {"percent": "50"}).content.decode()
    assert 'data-testid="price-error"' in refused
    for nonsense in ("abc", "NaN", "1e9", "12.345"):
        assert (
            'data-testid="price-error"' in owner.post(url, {"percent": nonsense}).content.decode()
        )
    saved = owner.post(url, {"percent": "12.5"}).content.decode()
    assert 'data-testid="price-saved"' in saved
    till = _client(shop_b.cashier).post(
        f"/c/{shop_b.community.slug}/till/",
        {"action": "prepare", "code": code_of(shop_b.buyer), "amount": "100"},
    )
    text = till.content.decode()
    assert 'data-testid="preview-list"' in text and "12.50" in text and "87.50" in text
