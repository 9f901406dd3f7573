"""The merchant API: apply → admit, errors with codes and nothing posted, tenancy."""

import pytest
from django.test import Client

from linli.ledger.models import Journal
from linli.merchants.models import Industry, Merchant
from tests.factories import SHOP_LAT, SHOP_LNG, make_community, make_member, make_merchant

URL = "/api/v1/merchants/communities"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(community, code="fruit", **overrides):
    body = {
        "industry_id": Industry.objects.get(community=community, code=code).id,
        "business_name": "果园",
        "licence_no": "91310000MA1API0001",
        "address": "幸福路 9 号",
        "lat": str(SHOP_LAT),
        "lng": str(SHOP_LNG),
        "contact_phone": "13800000002",
        "exclusivity_accepted": True,
    }
    body.update(overrides)
    return body


def test_apply_then_operator_admits(community, resident, operator):
    client = _client(resident)
    response = client.post(
        f"{URL}/sunny/applications", _body(community), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    application_id = response.json()["id"]
    assert client.get(f"{URL}/sunny/applications").status_code == 403
    staff = _client(operator)
    listed = staff.get(f"{URL}/sunny/applications").json()
    assert [a["id"] for a in listed] == [application_id]
    admitted = staff.post(f"{URL}/sunny/applications/{application_id}/admit")
    assert admitted.status_code == 200 and admitted.json()["status"] == "active"
    public = Client().get(f"{URL}/sunny/merchants").json()
    assert [m["name"] for m in public] == ["果园"]
    industries = Client().get(f"{URL}/sunny/industries").json()
    assert any(i["code"] == "fruit" and i["holder"] == "果园" for i in industries)
    light = _client(resident).get(f"{URL}/sunny/merchants/{admitted.json()['id']}/light")
    assert light.status_code == 200 and light.json()["colour"] in ("green", "amber")


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"lat": "31.300000"}, 400, "address_outside_radius"),
        ({"exclusivity_accepted": False}, 400, "exclusivity_required"),
        ({"industry_id": 999999}, 404, "not_found"),
    ],
)
def test_bad_applications_answer_with_codes(community, resident, overrides, status, code):
    response = _client(resident).post(
        f"{URL}/sunny/applications", _body(community, **overrides), content_type="application/json"
    )
    assert response.status_code == status and response.json()["code"] == code


def test_taken_industry_and_reused_licence(community, resident):
    make_merchant(community, "fruit", name="老王水果")
    taken = _client(resident).post(
        f"{URL}/sunny/applications", _body(community), content_type="application/json"
    )
    assert taken.status_code == 409 and taken.json()["code"] == "industry_taken"
    assert "老王水果" in taken.json()["message"]["zh-hans"]
    first = _client(resident).post(
        f"{URL}/sunny/applications", _body(community, "barber"), content_type="application/json"
    )
    assert first.status_code == 201
    other = make_member(community).user
    reused = _client(other).post(
        f"{URL}/sunny/applications", _body(community, "pharmacy"), content_type="application/json"
    )
    assert reused.status_code == 409 and reused.json()["code"] == "licence_reused"


def test_negative_fine_and_other_communitys_ids_post_nothing(community, operator):
    merchant = make_merchant(community, "bakery")
    journals = Journal.objects.count()
    client = _client(operator)
    negative = client.post(
        f"{URL}/sunny/merchants/{merchant.id}/violations",
        {"description": "虚标折扣", "evidence": "照片", "fine_units": -100},
        content_type="application/json",
    )
    assert negative.status_code == 400 and negative.json()["code"] == "amount_invalid"
    other = make_community("A", slug="elsewhere")
    foreign = make_merchant(other, "bakery")
    wrong = client.post(
        f"{URL}/sunny/merchants/{foreign.id}/violations",
        {"description": "x", "evidence": "y", "fine_units": 0},
        content_type="application/json",
    )
    assert wrong.status_code == 404
    assert (
        client.post(
            f"{URL}/elsewhere/merchants/{foreign.id}/violations",
            {"description": "x", "evidence": "y", "fine_units": 0},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert Journal.objects.count() == journals + 2  # only the foreign admission's two journals
    assert Merchant.objects.count() == 2


def test_complaint_flow_over_the_api(community, resident, operator):
    merchant = make_merchant(community, "tutoring")
    filed = _client(resident).post(
        f"{URL}/sunny/merchants/{merchant.id}/complaints",
        {"text": "迟到"},
        content_type="application/json",
    )
    assert filed.status_code == 201
    complaint_id = filed.json()["id"]
    assert (
        _client(resident)
        .post(
            f"{URL}/sunny/complaints/{complaint_id}/answer",
            {"answer": "x"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    answered = _client(merchant.owner).post(
        f"{URL}/sunny/complaints/{complaint_id}/answer",
        {"answer": "抱歉"},
        content_type="application/json",
    )
    assert answered.json()["status"] == "answered"
    too_much = _client(operator).post(
        f"{URL}/sunny/complaints/{complaint_id}/decide",
        {"verified": True, "compensation_fen": 10**9},
        content_type="application/json",
    )
    # Above the largest award one complaint may carry (what the deposit cannot pay
    # becomes a debt, see test_debt.py, but not an unbounded one).
    assert too_much.status_code == 400
    assert too_much.json()["code"] == "amount_invalid"
    paid = _client(operator).post(
        f"{URL}/sunny/complaints/{complaint_id}/decide",
        {"verified": True, "compensation_fen": 3_000},
        content_type="application/json",
    )
    assert paid.json() == {"id": complaint_id, "status": "verified", "compensation_fen": 3_000}


def test_offer_rota_quarter_and_hearing_endpoints(community, operator):
    merchants = [
        make_merchant(community, code)
        for code in ("fruit", "barber", "pharmacy", "bakery", "tutoring")
    ]
    owner = _client(merchants[0].owner)
    offer = owner.post(
        f"{URL}/sunny/merchants/{merchants[0].id}/offers",
        {"title": "九折", "value_fen": 500},
        content_type="application/json",
    )
    assert offer.status_code == 201 and offer.json()["is_short"] is False
    other_owner = _client(merchants[1].owner)
    assert (
        other_owner.post(
            f"{URL}/sunny/merchants/{merchants[0].id}/offers",
            {"title": "x", "value_fen": 1},
            content_type="application/json",
        ).status_code
        == 403
    )
    staff = _client(operator)
    industry = Industry.objects.get(community=community, code="supermarket")
    day = staff.put(
        f"{URL}/sunny/rota",
        {"weekday": 2, "industry_id": industry.id, "joint_offer": "满100送券"},
        content_type="application/json",
    )
    assert day.status_code == 200
    assert Client().get(f"{URL}/sunny/rota").json()[0]["weekday"] == 2
    ranking = staff.post(f"{URL}/sunny/quarters/current/close").json()
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4, 5]
    assert sum(r["marked_for_replacement"] for r in ranking) == 1
    assert staff.post(f"{URL}/sunny/quarters/current/close").json()["code"] == "quarter_closed"
    from linli.merchants.models import Hearing

    hearing = Hearing.objects.get(community=community)
    kept = staff.post(
        f"{URL}/sunny/hearings/{hearing.id}/decide",
        {"replace": False},
        content_type="application/json",
    )
    assert kept.json()["status"] == "kept"
