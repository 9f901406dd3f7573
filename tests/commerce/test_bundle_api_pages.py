"""Bundles over HTTP: the operator composes, the member buys, the merchant's till redeems;
who may do what (bundle.manage / bundle.buy / bundle.redeem) and nasty input."""

import pytest
from django.test import Client

from linli.commerce.bundle_models import Bundle, BundleOrder, PieceStatus
from linli.communities.models import Role
from linli.merchants.services import staff_add
from tests.commerce.conftest import fund, merchant_of
from tests.factories import make_community, make_member, make_merchant, make_role, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"


class World:
    def __init__(self) -> None:
        self.community = make_community("A")
        self.operator = make_user()
        make_role(self.operator, self.community, Role.OPERATOR)
        self.grocer = make_merchant(self.community, "supermarket", name="邻里超市")
        self.laundry = make_merchant(self.community, "dry-cleaning", name="洁净干洗")
        self.cashier = staff_add(
            merchant=self.grocer,
            username=f"till{self.grocer.id}",
            password="Pw-12345!x",
            actor=None,
        ).user
        self.buyer = make_member(self.community, display_name="李阿姨")
        fund(self.buyer, "TIME", 10_000)

    def url(self, tail: str) -> str:
        return f"/api/v1/commerce/communities/{self.community.slug}{tail}"

    def body(self, price_fen: int = 8_000) -> dict:
        return {
            "title": "周末家庭套餐",
            "price_fen": price_fen,
            "valid_days": 30,
            "items": [
                {"merchant_id": self.grocer.id, "title": "菜篮", "list_price_fen": 6_000},
                {"merchant_id": self.laundry.id, "title": "洗衣券", "list_price_fen": 4_000},
            ],
        }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world() -> World:
    return World()


def _create(world: World) -> dict:
    made = _client(world.operator).post(world.url("/bundles"), world.body(), content_type=JSON)
    assert made.status_code == 201, made.content
    return made.json()


def test_compose_buy_redeem_over_the_api(world):
    bundle = _create(world)
    assert bundle["prices"] == [{"asset": "CNY", "units": 8_000}, {"asset": "TIME", "units": 8_000}]
    member = _client(world.buyer.user)
    shelf = member.get(world.url("/bundles"))
    assert [b["id"] for b in shelf.json()] == [bundle["id"]]
    buy = {"asset": "TIME", "request_no": "b-1"}
    first = member.post(world.url(f"/bundles/{bundle['id']}/orders"), buy, content_type=JSON)
    assert first.status_code == 201, first.content
    assert [p["units"] for p in first.json()["pieces"]] == [4_800, 3_200]
    again = member.post(world.url(f"/bundles/{bundle['id']}/orders"), buy, content_type=JSON)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    codes = [p["code"] for p in first.json()["pieces"]]

    till = _client(world.cashier)
    check = till.post(world.url("/bundle-pieces/check"), {"code": codes[0]}, content_type=JSON)
    assert check.status_code == 200 and check.json()["member"] == "李**"
    done = till.post(world.url("/bundle-pieces/redeem"), {"code": codes[0]}, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == PieceStatus.REDEEMED
    twice = till.post(world.url("/bundle-pieces/redeem"), {"code": codes[0]}, content_type=JSON)
    assert twice.status_code == 409 and twice.json()["code"] == "bundle_already_redeemed"
    wrong = till.post(world.url("/bundle-pieces/redeem"), {"code": codes[1]}, content_type=JSON)
    assert wrong.status_code == 409 and wrong.json()["code"] == "bundle_wrong_merchant"
    assert merchant_of(world.grocer, "TIME").credits_posted == 4_800
    mine = member.get(world.url("/bundle-orders")).json()
    assert [p["status"] for p in mine[0]["pieces"]] == ["redeemed", "open"]


def test_only_operators_compose_and_withdraw(world):
    for user in (world.buyer.user, world.cashier, world.grocer.owner):
        refused = _client(user).post(world.url("/bundles"), world.body(), content_type=JSON)
        assert refused.status_code == 403
    bundle = _create(world)
    withdraw = world.url(f"/bundles/{bundle['id']}/withdraw")
    assert _client(world.buyer.user).post(withdraw, {}, content_type=JSON).status_code == 403
    done = _client(world.operator).post(withdraw, {}, content_type=JSON)
    assert done.status_code == 200 and done.json()["on_sale"] is False


def test_a_price_not_20_percent_below_is_refused_with_its_code(world):
    body = world.body(price_fen=8_001)
    refused = _client(world.operator).post(world.url("/bundles"), body, content_type=JSON)
    assert refused.status_code == 400
    assert refused.json()["code"] == "bundle_discount_too_small"
    assert "80.00" in refused.json()["message"]["zh-hans"]


@pytest.mark.parametrize(
    "change",
    [
        {"price_fen": "abc"},
        {"price_fen": -1},
        {"price_fen": 10**30},
        {"valid_days": 0},
        {"items": []},
        {"items": [{"merchant_id": "x", "title": "a", "list_price_fen": 1}] * 2},
        {"share_rule": "free"},
        {"title": ""},
    ],
)
def test_nasty_bundle_bodies_are_4xx(world, change):
    body = {**world.body(), **change}
    answer = _client(world.operator).post(world.url("/bundles"), body, content_type=JSON)
    assert 400 <= answer.status_code < 500 and "code" in answer.json()


def test_cashiers_and_operators_cannot_buy_and_members_cannot_redeem(world):
    bundle = _create(world)
    buy = {"asset": "TIME", "request_no": "x"}
    for user in (world.cashier, world.operator):
        answer = _client(user).post(
            world.url(f"/bundles/{bundle['id']}/orders"), buy, content_type=JSON
        )
        assert answer.status_code == 403
    code = {"code": "1234567890"}
    answer = _client(world.buyer.user).post(
        world.url("/bundle-pieces/redeem"), code, content_type=JSON
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("bundle_id", ["999999", "0", "99999999999999999999999", "abc"])
def test_unknown_bundle_ids_are_4xx_not_500(world, bundle_id):
    buy = {"asset": "TIME", "request_no": "x"}
    answer = _client(world.buyer.user).post(
        world.url(f"/bundles/{bundle_id}/orders"), buy, content_type=JSON
    )
    assert answer.status_code in (404, 422)


def test_another_communitys_bundle_is_not_found(world):
    bundle = _create(world)
    other = World()
    answer = _client(other.buyer.user).post(
        other.url(f"/bundles/{bundle['id']}/orders"),
        {"asset": "TIME", "request_no": "x"},
        content_type=JSON,
    )
    assert answer.status_code == 404
    assert not BundleOrder.objects.exists()


def test_a_member_sees_only_their_own_orders(world):
    bundle = _create(world)
    _client(world.buyer.user).post(
        world.url(f"/bundles/{bundle['id']}/orders"),
        {"asset": "TIME", "request_no": "x"},
        content_type=JSON,
    )
    neighbour = make_member(world.community)
    assert _client(neighbour.user).get(world.url("/bundle-orders")).json() == []


def test_member_page_buys_and_shows_the_piece_codes_in_chinese(world):
    _create(world)
    member = _client(world.buyer.user)
    page = member.get(f"/c/{world.community.slug}/bundles/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "周末家庭套餐" in text and "打包套餐" in text
    bundle_id = Bundle.objects.get().id
    bought = member.post(
        f"/c/{world.community.slug}/bundles/",
        {"bundle": str(bundle_id), "asset": "TIME", "request_no": "page-1"},
    )
    assert bought.status_code == 302
    order = BundleOrder.objects.get()
    page = member.get(f"/c/{world.community.slug}/bundles/").content.decode()
    first = order.pieces.first().code
    assert f"{first[:5]} {first[5:]}" in page
    refused = member.post(
        f"/c/{world.community.slug}/bundles/",
        {"bundle": str(bundle_id), "asset": "PTS", "request_no": "page-2"},
    )
    assert refused.status_code == 200 and 'data-testid="bundle-error"' in refused.content.decode()


def test_operator_page_composes_and_refuses_a_small_discount(world):
    operator = _client(world.operator)
    url = f"/c/{world.community.slug}/bundles/manage/"
    assert operator.get(url).status_code == 200
    assert _client(world.buyer.user).get(url).status_code == 403
    form = {
        "title": "周末家庭套餐",
        "price": "80.01",
        "valid_days": "30",
        "share_rule": "proportional",
        "merchant_0": str(world.grocer.id),
        "title_0": "菜篮",
        "price_0": "60",
        "merchant_1": str(world.laundry.id),
        "title_1": "洗衣券",
        "price_1": "40",
    }
    refused = operator.post(url, form)
    assert refused.status_code == 200 and "至少" in refused.content.decode()
    made = operator.post(url, {**form, "price": "80"})
    assert made.status_code == 302
    assert "周末家庭套餐" in operator.get(url).content.decode()


def test_till_page_checks_then_redeems(world):
    bundle = _create(world)
    order = _client(world.buyer.user).post(
        world.url(f"/bundles/{bundle['id']}/orders"),
        {"asset": "TIME", "request_no": "x"},
        content_type=JSON,
    )
    code = order.json()["pieces"][0]["code"]
    till = _client(world.cashier)
    url = f"/c/{world.community.slug}/bundles/redeem/"
    assert _client(world.buyer.user).get(url).status_code == 403
    check = till.post(url, {"action": "check", "code": code}).content.decode()
    assert "菜篮" in check and "李**" in check
    done = till.post(url, {"action": "redeem", "code": code}).content.decode()
    assert 'data-testid="redeemed"' in done and "48.00" in done
    again = till.post(url, {"action": "redeem", "code": code}).content.decode()
    assert 'data-testid="redeem-error"' in again
