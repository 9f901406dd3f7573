"""The coupon API and pages over HTTP: members claim and list, merchant owners publish,
operators run campaigns; nasty input answers 4xx with a code, never a 500."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.commerce.coupon_models import Coupon, CouponClaim, CrossStoreCampaign
from linli.communities.models import Role
from tests.commerce.conftest import build_shop, code_of
from tests.factories import make_community, make_member, make_merchant, make_role, make_user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(community, tail: str) -> str:
    return f"/api/v1/commerce/communities/{community.slug}{tail}"


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


VOUCHER = {"kind": "voucher", "title": "5元无门槛", "off_fen": 500, "stock": 3, "valid_days": 7}


@pytest.fixture
def shop(db):
    return build_shop("A")


def _publish(shop, **extra):
    response = _post(
        _client(shop.merchant.owner),
        _url(shop.community, "/merchant/coupons"),
        {**VOUCHER, **extra},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_owner_publishes_member_claims_lists_and_the_till_redeems(shop):
    coupon = _publish(shop)
    assert coupon["left"] == 3 and coupon["summary"]
    member = _client(shop.buyer.user)
    listed = member.get(_url(shop.community, "/coupons")).json()
    assert [c["id"] for c in listed] == [coupon["id"]]
    claimed = _post(member, _url(shop.community, f"/coupons/{coupon['id']}/claim"))
    assert claimed.status_code == 201 and claimed.json()["state"] == "available"
    again = _post(member, _url(shop.community, f"/coupons/{coupon['id']}/claim"))
    assert again.status_code == 409 and again.json()["code"] == "coupon_limit_reached"
    mine = member.get(_url(shop.community, "/my-coupons")).json()
    assert [c["id"] for c in mine] == [claimed.json()["id"]]
    till = _client(shop.cashier)
    body = {"code": code_of(shop.buyer), "amount_fen": 3_000, "coupon_ids": [mine[0]["id"]]}
    preview = _post(till, _url(shop.community, "/sales/prepare"), body)
    assert preview.status_code == 200, preview.content
    assert (preview.json()["gross_fen"], preview.json()["discount_fen"]) == (3_000, 500)
    assert preview.json()["amount_fen"] == 2_500
    sale = _post(till, _url(shop.community, "/sales"), {**body, "request_no": "cp-1"})
    assert sale.status_code == 201 and sale.json()["discount_fen"] == 500
    retry = _post(till, _url(shop.community, "/sales"), {**body, "request_no": "cp-1"})
    assert retry.status_code == 200 and retry.json()["replayed"]
    used = _post(
        till,
        _url(shop.community, "/sales"),
        {
            **body,
            "code": code_of(shop.buyer, timezone.now() + timedelta(seconds=30)),
            "request_no": "cp-2",
        },
    )
    assert used.status_code == 409 and used.json()["code"] in (
        "coupon_already_used",
        "member_code_used",
    )
    assert member.get(_url(shop.community, "/my-coupons")).json()[0]["state"] == "used"


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"kind": "percent", "discount_bp": 9_000}, 400, "coupon_invalid"),  # below 2折
        ({"kind": "threshold", "threshold_fen": 100, "off_fen": 100}, 400, "coupon_invalid"),
        ({"off_fen": -1}, 422, None),
        ({"off_fen": 10**20}, 422, None),
        ({"off_fen": "five"}, 422, None),
        ({"stock": 0}, 422, None),
        ({"kind": "nonsense"}, 422, None),
        ({"valid_days": None}, 400, "coupon_invalid"),  # no validity at all
        (
            {"kind": "exchange", "item_name": "豆浆", "item_value_fen": 400, "was_price_fen": 450},
            409,
            "was_price_not_honest",
        ),
    ],
)
def test_coupon_publishing_refuses_bad_terms(shop, body, status, code):
    response = _post(
        _client(shop.merchant.owner), _url(shop.community, "/merchant/coupons"), {**VOUCHER, **body}
    )
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
    assert not Coupon.objects.exists()


def test_honest_was_price_over_the_api(shop):
    owner = _client(shop.merchant.owner)
    recorded = _post(
        owner, _url(shop.community, "/merchant/prices"), {"item_name": "豆浆", "price_fen": 450}
    )
    assert recorded.status_code == 201 and recorded.json()["seven_day_low_fen"] == 450
    _publish(shop, kind="exchange", item_name="豆浆", item_value_fen=400, was_price_fen=450)
    assert (
        _post(
            owner, _url(shop.community, "/merchant/prices"), {"item_name": "", "price_fen": 1}
        ).status_code
        == 422
    )


@pytest.mark.parametrize("who", ["cashier", "member", "operator", "other_owner", "anonymous"])
def test_only_the_owner_publishes_coupons_and_records_prices(shop, who):
    users = {
        "cashier": shop.cashier,
        "member": shop.buyer.user,
        "other_owner": make_merchant(make_community("A"), "fruit").owner,
    }
    if who == "operator":
        users[who] = make_user()
        make_role(users[who], shop.community, Role.OPERATOR)
    client = Client() if who == "anonymous" else _client(users[who])
    created = _post(client, _url(shop.community, "/merchant/coupons"), VOUCHER)
    price = _post(
        client, _url(shop.community, "/merchant/prices"), {"item_name": "x", "price_fen": 1}
    )
    assert created.status_code in (401, 403) and price.status_code in (401, 403)
    assert not Coupon.objects.exists()


def test_claim_nasty_cases(shop):
    coupon = _publish(shop, stock=1)
    member = _client(shop.buyer.user)
    assert _post(member, _url(shop.community, "/coupons/abc/claim")).status_code == 422
    assert _post(member, _url(shop.community, "/coupons/999999/claim")).json()["code"] == (
        "coupon_not_found"
    )
    assert _post(member, _url(shop.community, f"/coupons/{10**30}/claim")).status_code in (404, 422)
    assert _post(_client(shop.cashier), _url(shop.community, "/coupons")).status_code == 405
    assert _client(shop.cashier).get(_url(shop.community, "/coupons")).status_code == 403
    far = build_shop("A")
    foreign = _post(_client(far.buyer.user), _url(far.community, f"/coupons/{coupon['id']}/claim"))
    assert foreign.status_code == 409 and foreign.json()["code"] == "coupon_other_community"
    outsider = _post(
        _client(far.buyer.user), _url(shop.community, f"/coupons/{coupon['id']}/claim")
    )
    assert outsider.status_code == 403
    assert _post(member, _url(shop.community, f"/coupons/{coupon['id']}/claim")).status_code == 201
    late = _post(
        _client(make_member(shop.community).user),
        _url(shop.community, f"/coupons/{coupon['id']}/claim"),
    )
    assert late.status_code == 409 and late.json()["code"] == "coupon_stock_exhausted"


def test_till_refuses_someone_elses_coupon_and_bad_ids(shop):
    coupon = _publish(shop)
    other = make_member(shop.community)
    theirs = _post(_client(other.user), _url(shop.community, f"/coupons/{coupon['id']}/claim"))
    till = _client(shop.cashier)
    base = {"code": code_of(shop.buyer), "amount_fen": 3_000}
    cases = [
        ([theirs.json()["id"]], 409, "coupon_not_yours"),
        ([0], 404, "coupon_not_found"),
        ([1, 2, 3, 4, 5, 6], 422, None),
        (["x"], 422, None),
        ([2**70], 404, "coupon_not_found"),
    ]
    for ids, status, code in cases:
        response = _post(till, _url(shop.community, "/sales/prepare"), {**base, "coupon_ids": ids})
        assert response.status_code == status, (ids, response.content)
        if code:
            assert response.json()["code"] == code


def test_operator_campaign_api_create_dry_run_switch(shop):
    operator = make_user()
    make_role(operator, shop.community, Role.OPERATOR)
    client = _client(operator)
    body = {
        "name": "面包换水果",
        "issuer_id": shop.referrer_shop.id,
        "redeemer_id": shop.merchant.id,
        "issuer_bp": 4_000,
        "valid_days": 30,
        "per_member_limit": 2,
        "budget_fen": 100_000,
    }
    created = _post(client, _url(shop.community, "/campaigns"), body)
    assert created.status_code == 201, created.content
    campaign = created.json()
    assert (campaign["value_fen"], campaign["platform_bp"], campaign["is_active"]) == (
        500,
        2_000,
        False,
    )
    dry = _post(
        client,
        _url(shop.community, f"/campaigns/{campaign['id']}/dry-run"),
        {"redemption_bp": 5_000},
    )
    assert dry.status_code == 200 and dry.json()["qualifying_sales"] == 0
    on = _post(client, _url(shop.community, f"/campaigns/{campaign['id']}/switch"), {"on": True})
    assert on.status_code == 200 and on.json()["is_active"]
    assert [c["id"] for c in client.get(_url(shop.community, "/campaigns")).json()] == [
        campaign["id"]
    ]
    bad = _post(client, _url(shop.community, "/campaigns"), {**body, "issuer_bp": 9_000})
    assert bad.status_code == 400 and bad.json()["code"] == "campaign_invalid"
    assert (
        _post(client, _url(shop.community, "/campaigns/999999/switch"), {"on": True}).status_code
        == 404
    )
    # another community's operator cannot see or touch it
    far = build_shop("A")
    far_operator = make_user()
    make_role(far_operator, far.community, Role.OPERATOR)
    stranger = _client(far_operator)
    assert (
        _post(
            stranger, _url(shop.community, f"/campaigns/{campaign['id']}/switch"), {"on": False}
        ).status_code
        == 403
    )
    assert (
        _post(
            stranger, _url(far.community, f"/campaigns/{campaign['id']}/switch"), {"on": False}
        ).status_code
        == 404
    )
    assert CrossStoreCampaign.objects.get().is_active


@pytest.mark.parametrize("who", ["owner", "cashier", "member", "auditor"])
def test_campaigns_are_for_operators_only(shop, who):
    users = {"owner": shop.merchant.owner, "cashier": shop.cashier, "member": shop.buyer.user}
    if who == "auditor":
        users[who] = make_user()
        make_role(users[who], shop.community, Role.AUDITOR)
    client = _client(users[who])
    assert client.get(_url(shop.community, "/campaigns")).status_code == 403
    assert client.get(f"/c/{shop.community.slug}/campaigns/").status_code == 404


def test_member_coupon_page_claims_and_lists(shop):
    coupon = _publish(shop)
    member = _client(shop.buyer.user)
    page = f"/c/{shop.community.slug}/coupons/"
    shown = member.get(page)
    assert shown.status_code == 200 and "5元无门槛" in shown.content.decode()
    assert member.post(page, {"coupon": str(coupon["id"])}).status_code == 302
    assert CouponClaim.objects.filter(member=shop.buyer).count() == 1
    refused = member.post(page, {"coupon": str(coupon["id"])})
    assert refused.status_code == 200 and refused.context["error"]
    assert member.post(page, {"coupon": "x"}).context["error"]
    assert _client(shop.cashier).get(page).status_code == 404


def test_operator_campaign_page_creates_dry_runs_and_switches(shop):
    operator = make_user()
    make_role(operator, shop.community, Role.OPERATOR)
    client = _client(operator)
    page = f"/c/{shop.community.slug}/campaigns/"
    form = {
        "action": "create",
        "name": "跨店券",
        "issuer": str(shop.referrer_shop.id),
        "redeemer": str(shop.merchant.id),
        "issuer_share": "40",
        "valid_days": "30",
        "per_member_limit": "2",
        "budget": "1000",
    }
    assert client.post(page, form).status_code == 302
    campaign = CrossStoreCampaign.objects.get()
    assert (campaign.issuer_bp, campaign.budget_fen) == (4_000, 100_000)
    dry = client.post(page, {"action": "dry_run", "campaign": campaign.id, "redemption": "50"})
    assert dry.status_code == 200 and dry.context["dry_run"]["result"].coupons_issued == 0
    bad = client.post(page, {**form, "budget": "abc"})
    assert bad.status_code == 200 and bad.context["error"]
    assert (
        client.post(page, {"action": "switch", "campaign": campaign.id, "on": "1"}).status_code
        == 302
    )
    campaign.refresh_from_db()
    assert campaign.is_active
    assert (
        client.post(page, {"action": "switch", "campaign": "999999", "on": "1"}).status_code == 404
    )


def test_till_page_takes_coupon_numbers_and_shows_the_discount(shop):
    coupon = _publish(shop)
    claim = _post(
        _client(shop.buyer.user), _url(shop.community, f"/coupons/{coupon['id']}/claim")
    ).json()
    till = _client(shop.cashier)
    page = f"/c/{shop.community.slug}/till/"
    form = {"action": "prepare", "code": code_of(shop.buyer), "amount": "30", "coupons": ""}
    preview = till.post(page, {**form, "coupons": f"{claim['id']}"})
    assert preview.status_code == 200, preview.content
    assert preview.context["preview"]["discount"] == "5.00"
    assert preview.context["preview"]["cash"] == "25.00"
    confirm = till.post(
        page,
        {
            **form,
            "coupons": f"{claim['id']}",
            "action": "consume",
            "request_no": preview.context["request_no"],
        },
    )
    assert confirm.status_code == 302
    for bad in ("abc", "1,2,3,4,5,6", "99999999999999"):
        refused = till.post(page, {**form, "coupons": bad})
        assert refused.status_code == 200 and refused.context["error"], bad


def test_shop_coupon_page_publishes_and_records_prices_for_the_owner_only(shop):
    owner = _client(shop.merchant.owner)
    page = f"/c/{shop.community.slug}/shop-coupons/"
    assert owner.get(page).status_code == 200
    form = {
        "action": "coupon",
        "kind": "percent",
        "title": "八五折",
        "zhe": "8.5",
        "stock": "10",
        "valid_days": "7",
        "per_member_limit": "1",
        "stackable": "0",
    }
    assert owner.post(page, form).status_code == 302
    assert Coupon.objects.get().discount_bp == 1_500
    for bad in (
        {"zhe": "1.5"},
        {"zhe": "sNaN"},
        {"zhe": "Infinity"},
        {"stock": "x"},
        {"cap": "1e400"},
        {"kind": "nope"},
    ):
        refused = owner.post(page, {**form, **bad})
        assert refused.status_code == 200 and refused.context["error"], bad
    assert owner.post(page, {"action": "price", "item": "豆浆", "price": "4.5"}).status_code == 302
    honest = {**form, "kind": "exchange", "item": "豆浆", "item_value": "4", "was": "4.5"}
    assert owner.post(page, honest).status_code == 302
    dishonest = owner.post(page, {**honest, "was": "6"})
    assert "4.50" in dishonest.context["error"]
    assert Coupon.objects.count() == 2
    for user in (shop.cashier, shop.buyer.user, shop.referrer_shop.owner):
        other = _client(user).get(page)
        if user == shop.referrer_shop.owner:  # their own shop's page, not this one's coupons
            assert other.status_code == 200 and other.context["merchant"] != shop.merchant
        else:
            assert other.status_code == 404
