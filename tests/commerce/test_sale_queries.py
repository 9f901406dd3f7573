"""A till sale over the API stays cheap (issue 6 "Benchmark"): the number of SQL queries a
POS client's prepare and consume cost is pinned, so a change that adds round trips to the
hot path fails here instead of showing up weeks later in bench/sales.py. The one-query
lookups behind those budgets still answer exactly as before (404, 403, self-dealing)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.commerce.models import Sale
from linli.members.services import api_token_create
from linli.merchants.models import MerchantStaff, StaffRole
from tests.commerce.conftest import build_shop, code_of, fund
from tests.factories import make_community

# What one prepare and one consume ran when these budgets were set (bearer token, a
# referred silver member paying part in coins, preset A). Lower them when you save more.
PREPARE_QUERIES = 11  # was 9 before the household cover check and commission grading
CONSUME_QUERIES = 31  # was 28: consume re-runs the same checks


def _pos(user) -> Client:
    token = api_token_create(user=user, name="pos")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _url(slug: str, tail: str) -> str:
    return f"/api/v1/commerce/communities/{slug}{tail}"


def _body(shop, request_no: str = "q-1") -> dict:
    return {
        "request_no": request_no,
        "code": code_of(shop.buyer),
        "amount_fen": 10_000,
        "coin_units": 4_000,
    }


def _queries(client: Client, url: str, body: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, body, content_type="application/json")
    return response.status_code, len(captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_sale_over_the_api_stays_within_its_query_budget():
    shop = build_shop("A")
    fund(shop.buyer, "TIME", 10_000)
    pos = _pos(shop.cashier)
    slug = shop.community.slug
    status, prepared = _queries(pos, _url(slug, "/sales/prepare"), _body(shop))
    assert status == 200
    status, consumed = _queries(pos, _url(slug, "/sales"), _body(shop))
    assert status == 201
    assert Sale.objects.filter(merchant=shop.merchant, request_no="q-1").count() == 1
    assert prepared <= PREPARE_QUERIES, f"prepare ran {prepared} queries"
    assert consumed <= CONSUME_QUERIES, f"consume ran {consumed} queries"


@pytest.mark.django_db(transaction=True)
def test_a_preset_b_sale_with_frozen_cash_back_stays_within_its_query_budget():
    """Preset B pays its cash-back into the member's frozen points account: the sale's one
    account SELECT reads it with the wallets, so once it exists (the second sale on) the
    freeze costs no query. B's own rules cost 3 more than A at prepare (the member-price
    group, the interest-group discount and the daily points cap) and 2 more at consume."""
    shop = build_shop("B")
    fund(shop.buyer, "PTS", 1_000)
    pos = _pos(shop.cashier)
    slug = shop.community.slug
    first = {"code": code_of(shop.buyer), "amount_fen": 10_000, "points": 40}
    status, _ = _queries(pos, _url(slug, "/sales"), {**first, "request_no": "b-0"})
    assert status == 201  # opens the frozen points account
    later = timezone.now() + timedelta(minutes=2)
    body = {"code": code_of(shop.buyer, now=later), "amount_fen": 10_000, "points": 40}
    with mock.patch("django.utils.timezone.now", return_value=later):
        status, prepared = _queries(pos, _url(slug, "/sales/prepare"), body)
        assert status == 200
        status, consumed = _queries(pos, _url(slug, "/sales"), {**body, "request_no": "b-1"})
    assert status == 201
    assert prepared <= PREPARE_QUERIES + 3, f"prepare ran {prepared} queries"
    assert consumed <= CONSUME_QUERIES + 2, f"consume ran {consumed} queries"


def test_an_unknown_community_is_not_found_and_another_ones_till_is_forbidden(shop_a):
    pos = _pos(shop_a.cashier)
    body = {"code": code_of(shop_a.buyer), "amount_fen": 100}
    unknown = pos.post(_url("no-such-place", "/sales/prepare"), body, "application/json")
    assert unknown.status_code == 404
    elsewhere = make_community("A")
    other = pos.post(_url(elsewhere.slug, "/sales/prepare"), body, "application/json")
    assert other.status_code == 403
    home = pos.post(_url(shop_a.community.slug, "/sales/prepare"), body, "application/json")
    assert home.status_code == 200, home.content


def test_a_cashier_whose_job_ended_cannot_sell(shop_a):
    pos = _pos(shop_a.cashier)
    MerchantStaff.objects.filter(user=shop_a.cashier).update(is_active=False)
    body = {"code": code_of(shop_a.buyer), "amount_fen": 100}
    refused = pos.post(_url(shop_a.community.slug, "/sales/prepare"), body, "application/json")
    assert refused.status_code == 403


def test_staff_of_the_selling_shop_cannot_buy_there_over_the_api(shop_a):
    pos = _pos(shop_a.merchant.owner)
    buyer_login = shop_a.buyer.user
    MerchantStaff.objects.create(
        community=shop_a.community,
        merchant=shop_a.merchant,
        user=buyer_login,
        role=StaffRole.CASHIER,
    )
    body = {"code": code_of(shop_a.buyer), "amount_fen": 100}
    refused = pos.post(_url(shop_a.community.slug, "/sales/prepare"), body, "application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "self_dealing"
    MerchantStaff.objects.filter(user=buyer_login).update(is_active=False)
    allowed = pos.post(_url(shop_a.community.slug, "/sales/prepare"), body, "application/json")
    assert allowed.status_code == 200, allowed.content
