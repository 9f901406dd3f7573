"""Group-buys and ad slots over HTTP: the API a mini-program uses, nasty input, and pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.commerce.ads import month_add, month_start
from linli.commerce.groupbuys import group_buy_close
from linli.commerce.models import AdBooking, AdSlot, GroupBuy, Pledge
from tests.commerce.groupbuy_helpers import (
    available,
    build_town,
    cny_wallet,
    eggs,
    member_with_cash,
    shop_takings,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _api(town, tail):
    return f"/api/v1/commerce/communities/{town.community.slug}{tail}"


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _create_body(**overrides):
    body = {
        "title": "大米 5kg",
        "tiers": [{"min_units": 10, "price_fen": 3800}, {"min_units": 30, "price_fen": 3500}],
        "threshold_units": 10,
        "deadline": (timezone.now() + timedelta(days=2)).isoformat(),
        "pickup_point": "社区服务站",
        "margin_bp": 600,
    }
    body.update(overrides)
    return body


def test_create_pledge_withdraw_over_the_api():
    town = build_town("A")
    owner = _client(town.merchant.owner)
    created = _post(owner, _api(town, "/group-buys"), _create_body())
    assert created.status_code == 201, created.content
    gb_id = created.json()["id"]
    buyer = member_with_cash(town, 20_000)
    member = _client(buyer.user)
    pledged = _post(member, _api(town, f"/group-buys/{gb_id}/pledges"), {"units": 3})
    assert pledged.status_code == 201 and pledged.json()["held_fen"] == 11_400
    detail = member.get(_api(town, f"/group-buys/{gb_id}"))
    assert detail.json()["units_pledged"] == 3 and detail.json()["my_pledge"]["units"] == 3
    again = _post(member, _api(town, f"/group-buys/{gb_id}/pledges"), {"units": 1})
    assert again.status_code == 409 and again.json()["code"] == "already_pledged"
    pledge_id = pledged.json()["id"]
    stranger = _client(make_member(town.community).user)
    theirs = _post(stranger, _api(town, f"/pledges/{pledge_id}/withdraw"))
    assert theirs.status_code == 404
    withdrawn = _post(member, _api(town, f"/pledges/{pledge_id}/withdraw"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert available(cny_wallet(buyer)) == 20_000


@pytest.mark.parametrize(
    "body",
    [
        {"units": 0},
        {"units": -3},
        {"units": 100},
        {"units": 10**40},
        {"units": "lots"},
        {"units": 1.5},
        {},
        {"units": None},
    ],
)
def test_nasty_pledges_are_4xx(body):
    town = build_town("A")
    gb = eggs(town)
    member = _client(member_with_cash(town, 20_000).user)
    response = _post(member, _api(town, f"/group-buys/{gb.id}/pledges"), body)
    assert 400 <= response.status_code < 500 and "code" in response.json()
    assert not Pledge.objects.exists()


def test_nasty_ids_and_other_communities():
    town, elsewhere = build_town("A"), build_town("A")
    gb = eggs(elsewhere)
    member = _client(member_with_cash(town, 20_000).user)
    for tail in (f"/group-buys/{gb.id}", "/group-buys/99999999999999999999", "/group-buys/-1"):
        assert 400 <= member.get(_api(town, tail)).status_code < 500
    foreign = _post(member, _api(town, f"/group-buys/{gb.id}/pledges"), {"units": 1})
    assert foreign.status_code == 404
    # A member of this community cannot act in another community's URL either.
    other = _post(member, _api(elsewhere, f"/group-buys/{gb.id}/pledges"), {"units": 1})
    assert other.status_code == 403
    anonymous = Client().post(
        _api(town, f"/group-buys/{gb.id}/pledges"), {"units": 1}, content_type="application/json"
    )
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    "overrides",
    [
        {"margin_bp": 2_000},
        {"margin_bp": -1},
        {"tiers": []},
        {"tiers": [{"min_units": 10, "price_fen": 3800}, {"min_units": 9, "price_fen": 3500}]},
        {"tiers": [{"min_units": 1, "price_fen": 10**20}]},
        {"threshold_units": 0},
        {"deadline": "yesterday"},
        {"deadline": "2001-01-01T00:00:00+08:00"},
        {"deadline": "2099-01-01T00:00:00"},  # no time zone
        {"deadline": (timezone.now() + timedelta(days=2)).replace(tzinfo=None).isoformat()},
        {"title": ""},
        {"merchant_id": 10**30},
    ],
)
def test_nasty_group_buys_are_4xx(overrides):
    town = build_town("A")
    response = _post(
        _client(town.merchant.owner), _api(town, "/group-buys"), _create_body(**overrides)
    )
    assert 400 <= response.status_code < 500 and "code" in response.json(), response.content
    assert not GroupBuy.objects.exists()


def test_only_owners_and_operators_create_and_only_operators_close():
    town = build_town("A")
    member = _client(make_member(town.community).user)
    assert _post(member, _api(town, "/group-buys"), _create_body()).status_code == 403
    operator = _client(town.operator)
    supplier = _post(
        operator, _api(town, "/group-buys"), _create_body(merchant_id=town.other_merchant.id)
    )
    assert supplier.status_code == 201 and supplier.json()["merchant"] == town.other_merchant.name
    gb_id = supplier.json()["id"]
    early = _post(operator, _api(town, f"/group-buys/{gb_id}/close"))
    assert early.status_code == 409 and early.json()["code"] == "group_buy_not_due"
    by_owner = _post(_client(town.merchant.owner), _api(town, f"/group-buys/{gb_id}/close"))
    assert by_owner.status_code == 403


def test_pickup_and_top_up_over_the_api():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 0)
    operator = _client(town.operator)
    body = {"member_id": buyer.id, "amount_fen": 50_000, "idempotency_key": "desk-1"}
    first = _post(operator, _api(town, "/wallet-top-ups"), body)
    assert first.status_code == 201 and first.json()["backend"] == "operator-confirmed cash"
    replay = _post(operator, _api(town, "/wallet-top-ups"), body)
    assert replay.status_code == 200 and replay.json()["replayed"]
    assert available(cny_wallet(buyer)) == 50_000
    for bad in (
        {**body, "amount_fen": 0},
        {**body, "amount_fen": 10**12},
        {**body, "member_id": 10**30},
        {**body, "idempotency_key": ""},
    ):
        assert 400 <= _post(operator, _api(town, "/wallet-top-ups"), bad).status_code < 500
    by_member = _post(
        _client(buyer.user), _api(town, "/wallet-top-ups"), {**body, "idempotency_key": "x"}
    )
    assert by_member.status_code == 403
    _post(_client(buyer.user), _api(town, f"/group-buys/{gb.id}/pledges"), {"units": 10})
    group_buy_close(group_buy=gb, now=gb.deadline)
    code = Pledge.objects.get().pickup_code
    owner = _client(town.merchant.owner)
    done = _post(owner, _api(town, "/pickups"), {"code": code})
    assert done.status_code == 200 and done.json()["units"] == 10
    used = _post(owner, _api(town, "/pickups"), {"code": code})
    assert used.status_code == 409 and used.json()["code"] == "pickup_code_used"
    assert _post(owner, _api(town, "/pickups"), {"code": "x" * 500}).status_code == 422


def test_ad_slots_over_the_api():
    town = build_town("A")
    operator, owner = _client(town.operator), _client(town.merchant.owner)
    slot = _post(
        operator,
        _api(town, "/ad-slots"),
        {"name": "电梯海报", "position": "lift", "price_fen": 35_000},
    )
    assert slot.status_code == 201
    cheap = _post(
        operator, _api(town, "/ad-slots"), {"name": "x", "position": "y", "price_fen": 100}
    )
    assert cheap.status_code == 400 and cheap.json()["code"] == "ad_slot_price_out_of_policy"
    assert (
        _post(
            owner, _api(town, "/ad-slots"), {"name": "x", "position": "y", "price_fen": 35_000}
        ).status_code
        == 403
    )
    month = f"{month_add(month_start(timezone.localdate()), 1):%Y-%m}"
    url = _api(town, f"/ad-slots/{slot.json()['id']}/bookings")
    short = _post(owner, url, {"month": month})
    assert short.status_code == 409 and short.json()["code"] == "ad_funds_insufficient"
    shop_takings(town.merchant, 40_000)
    for bad in ("2026-13", "1999-01", "soon", ""):
        assert 400 <= _post(owner, url, {"month": bad}).status_code < 500
    booked = _post(owner, url, {"month": month})
    assert booked.status_code == 201 and booked.json()["price_fen"] == 35_000
    calendar = owner.get(_api(town, "/ad-slots")).json()
    assert [c["month"] for c in calendar[0]["months"] if c["mine"]] == [month]
    shop_takings(town.other_merchant, 40_000)
    taken = _post(_client(town.other_merchant.owner), url, {"month": month})
    assert taken.status_code == 409 and taken.json()["code"] == "ad_slot_taken"
    member = _client(make_member(town.community).user)
    assert member.get(_api(town, "/ad-slots")).status_code == 403
    cancel = _api(town, f"/ad-bookings/{booked.json()['id']}/cancel")
    assert _post(_client(town.other_merchant.owner), cancel).status_code == 404
    refunded = _post(owner, cancel)
    assert refunded.status_code == 200 and refunded.json()["refund_journal_id"]


# --- pages --------------------------------------------------------------------------------


def test_member_pages_pledge_and_withdraw_in_chinese():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 20_000)
    client = _client(buyer.user, language="zh-hans")
    listing = client.get(f"/c/{town.community.slug}/group-buys/")
    assert listing.status_code == 200 and "土鸡蛋" in listing.content.decode()
    page = f"/c/{town.community.slug}/group-buys/{gb.id}/"
    for junk in ("abc", "²", "-1", "1e3", "9" * 40, ""):
        bad = client.post(page, {"action": "pledge", "units": junk})
        assert bad.status_code == 400 and "请认购 1 至 99 份" in bad.content.decode()
    foreign = client.post(page, {"action": "withdraw", "pledge": "99999999999"})
    assert foreign.status_code == 400
    assert client.post(page, {"action": "pledge", "units": "2"}).status_code == 302
    pledge = Pledge.objects.get()
    shown = client.get(page).content.decode()
    assert "76.00" in shown and 'data-testid="withdraw"' in shown
    assert client.post(page, {"action": "withdraw", "pledge": str(pledge.id)}).status_code == 302
    assert available(cny_wallet(buyer)) == 20_000
    assert client.get(f"/c/{town.community.slug}/group-buys/999999999/").status_code == 404


def test_desk_and_ad_pages_for_each_role():
    town = build_town("A")
    slug = town.community.slug
    member = _client(make_member(town.community).user)
    assert member.get(f"/c/{slug}/group-buy-desk/").status_code == 403
    assert member.get(f"/c/{slug}/ad-slots/").status_code == 403
    owner = _client(town.merchant.owner)
    deadline = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    created = owner.post(
        f"/c/{slug}/group-buy-desk/",
        {
            "action": "create",
            "title": "橙子 10 斤",
            "tier1_units": "5",
            "tier1_price": "49.9",
            "tier2_units": "20",
            "tier2_price": "45",
            "threshold": "5",
            "deadline": deadline,
            "pickup_point": "南门",
            "margin": "7.5",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    gb = GroupBuy.objects.get()
    assert gb.tiers == [{"min_units": 5, "price_fen": 4990}, {"min_units": 20, "price_fen": 4500}]
    assert gb.margin_bp == 750
    wrong = owner.post(f"/c/{slug}/group-buy-desk/", {"action": "pickup", "code": "nope"})
    assert wrong.status_code == 400
    top_up = owner.post(
        f"/c/{slug}/group-buy-desk/", {"action": "top_up", "member": "1", "amount": "5"}
    )
    assert top_up.status_code == 403
    operator = _client(town.operator)
    buyer = make_member(town.community)
    ok = operator.post(
        f"/c/{slug}/group-buy-desk/",
        {"action": "top_up", "member": str(buyer.id), "amount": "88.8", "request_no": "r1"},
    )
    assert ok.status_code == 302 and available(cny_wallet(buyer)) == 8_880
    made = operator.post(
        f"/c/{slug}/ad-slots/",
        {"action": "slot", "name": "公告栏", "position": "board", "price": "300"},
    )
    assert made.status_code == 302
    shop_takings(town.merchant, 30_000)
    month = month_add(month_start(timezone.localdate()), 1)
    slot_id = str(AdSlot.objects.get().id)
    booked = owner.post(
        f"/c/{slug}/ad-slots/", {"action": "book", "slot": slot_id, "month": month.isoformat()}
    )
    assert booked.status_code == 302 and AdBooking.objects.filter(status="booked").count() == 1
    page = owner.get(f"/c/{slug}/ad-slots/").content.decode()
    assert "booked by you" in page and 'data-testid="ad-cancel"' in page
