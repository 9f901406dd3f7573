"""The till API and pages: three verbs over HTTP, receipts, and who may do what."""

import pytest
from django.test import Client

from linli.commerce.models import Sale
from linli.communities.models import Role
from tests.commerce.conftest import code_of, fund
from tests.factories import make_member, make_merchant, make_role, make_user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(shop, tail: str) -> str:
    return f"/api/v1/commerce/communities/{shop.community.slug}{tail}"


def _sale_body(shop, request_no="api-1"):
    return {
        "request_no": request_no,
        "code": code_of(shop.buyer),
        "amount_fen": 10_000,
        "coin_units": 4_000,
        "source": "pos",
    }


def test_prepare_consume_retry_undo_over_the_api(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    till = _client(shop_a.cashier)
    body = _sale_body(shop_a)
    preview = till.post(_url(shop_a, "/sales/prepare"), body, content_type="application/json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["member"] == "王**" and preview.json()["cash_fen"] == 6_000
    first = till.post(_url(shop_a, "/sales"), body, content_type="application/json")
    assert first.status_code == 201 and not first.json()["replayed"]
    again = till.post(_url(shop_a, "/sales"), body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    replay = till.post(
        _url(shop_a, "/sales"), {**body, "request_no": "api-2"}, content_type="application/json"
    )
    assert replay.status_code == 409 and replay.json()["code"] == "member_code_used"
    undone = till.post(_url(shop_a, "/sales/api-1/undo"), {}, content_type="application/json")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"


def test_refund_is_for_the_owner_only(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    till = _client(shop_a.cashier)
    till.post(_url(shop_a, "/sales"), _sale_body(shop_a), content_type="application/json")
    refund = {"request_no": "rf1", "amount_fen": 1_000}
    by_cashier = till.post(_url(shop_a, "/sales/api-1/refunds"), refund, "application/json")
    assert by_cashier.status_code == 403
    by_owner = _client(shop_a.merchant.owner).post(
        _url(shop_a, "/sales/api-1/refunds"), refund, "application/json"
    )
    assert by_owner.status_code == 200 and by_owner.json()["refunded_fen"] == 1_000


# role × action: who may record a sale at which till (the permission table, as a test).
@pytest.mark.parametrize(
    "who, allowed",
    [
        ("cashier", True),
        ("owner", True),
        ("other_shop_owner", True),  # records at their own till, never at this one
        ("member", False),
        ("operator", False),
        ("auditor", False),
        ("anonymous", False),
    ],
)
def test_who_may_use_a_till(shop_a, who, allowed):
    users = {
        "cashier": shop_a.cashier,
        "owner": shop_a.merchant.owner,
        "other_shop_owner": shop_a.referrer_shop.owner,
        "member": make_member(shop_a.community).user,
    }
    if who in ("operator", "auditor"):
        users[who] = make_user()
        make_role(
            users[who], shop_a.community, Role.OPERATOR if who == "operator" else Role.AUDITOR
        )
    client = Client() if who == "anonymous" else _client(users[who])
    response = client.get(f"/c/{shop_a.community.slug}/till/")
    if allowed:
        assert response.status_code == 200
        assert response.context["merchant"].owner_id in (
            shop_a.merchant.owner_id,
            shop_a.referrer_shop.owner_id,
        )
    else:
        assert response.status_code in (302, 403)
    api = client.post(
        _url(shop_a, "/sales/prepare"),
        {"code": "1", "amount_fen": 1},
        content_type="application/json",
    )
    assert (api.status_code not in (401, 403)) == allowed


def test_till_page_three_steps_then_receipt_for_member_not_for_others(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    till = _client(shop_a.cashier)
    page = f"/c/{shop_a.community.slug}/till/"
    form = {"action": "prepare", "code": code_of(shop_a.buyer), "amount": "100", "coins": "40"}
    preview = till.post(page, form)
    assert preview.status_code == 200 and "王**" in preview.content.decode()
    assert "60.00" in preview.content.decode()
    confirm = till.post(
        page, {**form, "action": "consume", "request_no": preview.context["request_no"]}
    )
    sale = Sale.objects.get()
    assert confirm.status_code == 302 and confirm.url.endswith(f"/receipts/{sale.id}/")
    mine = _client(shop_a.buyer.user).get(confirm.url)
    assert mine.status_code == 200 and mine.context["viewer"] == "member"
    assert len(mine.context["lines"]) == 9
    thermal = _client(shop_a.buyer.user).get(confirm.url + "?layout=58mm")
    assert b"receipt58" in thermal.content
    stranger = _client(make_member(shop_a.community).user).get(confirm.url)
    assert stranger.status_code == 404
    other_shop = _client(make_merchant(shop_a.community, "pharmacy").owner)
    assert other_shop.get(confirm.url).status_code == 404


def test_member_card_page_and_api(shop_a):
    member = _client(shop_a.buyer.user)
    page = member.get(f"/c/{shop_a.community.slug}/card/")
    assert page.status_code == 200 and b"<svg" in page.content
    code = member.get(_url(shop_a, "/card")).json()["code"]
    assert code.startswith("88") and len(code) == 18
    assert _client(shop_a.cashier).get(_url(shop_a, "/card")).status_code == 403
