"""The committee's side of leaving (issue 5): operators and the chair list the shops
serving notice (closing day, what blocks the closing), paged; an operator records a
shop's notice on its behalf with a reason — the owner's own steps, audited with the
reason; refusals with codes; nobody else may."""

import pytest
from django.test import Client

from linli.communities.models import AuditEntry, Role
from linli.members.models import Notice
from linli.merchants import leaving
from linli.merchants.models import MerchantStatus
from linli.merchants.selectors import chair_for_month
from linli.merchants.services import industries_ensure, merchant_exit_request, staff_add
from linli.merchants.trust import complaint_decide, complaint_file
from tests.factories import make_community, make_member, make_merchant, make_role
from tests.merchants.helpers import commerce_sale

BASE = "/api/v1/merchants/communities/sunny"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _record(user, merchant_id, body):
    return _client(user).post(
        f"{BASE}/merchants/{merchant_id}/exit/record", body, content_type="application/json"
    )


@pytest.fixture
def street(community, operator):
    shops = [make_merchant(community, code) for code in ("fruit", "barber", "pharmacy", "bakery")]
    chair = chair_for_month(community=community)
    others = [m for m in shops if m.id != chair.id]
    buyer = make_member(community)
    commerce_sale(others[0], buyer, 1)
    cashier = staff_add(
        merchant=others[0], username="till-x", password="a-long-pass-42", actor=None
    )
    return {"chair": chair, "shops": others, "buyer": buyer, "cashier": cashier.user}


def test_operator_records_notice_with_a_reason_audited_and_members_told(
    community, operator, street
):
    shop = street["shops"][0]
    response = _record(operator, shop.id, {"reason": "店主在服务台口头提出退出"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "exiting" and response.json()["notice_days"] == 30
    shop.refresh_from_db()
    assert shop.status == MerchantStatus.EXITING
    entry = AuditEntry.objects.get(action="merchant.exit_request", target_id=str(shop.id))
    assert entry.actor_id == operator.id
    assert entry.after["reason"] == "店主在服务台口头提出退出"
    assert Notice.objects.filter(member=street["buyer"], kind="merchant_leaving").exists()
    replay = _record(operator, shop.id, {"reason": "again"})
    assert replay.status_code == 409 and replay.json()["code"] == "exit_already_given"


@pytest.mark.parametrize("reason", [None, "", "   ", 123, ["x"], "x" * 501, "a\x00b"])
def test_a_reason_is_required(community, operator, street, reason):
    shop = street["shops"][0]
    response = _record(operator, shop.id, {"reason": reason} if reason is not None else {})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "exit_reason_required"
    assert set(response.json()["message"]) == {"zh-hans", "en"}
    shop.refresh_from_db()
    assert shop.status == MerchantStatus.ACTIVE
    assert not AuditEntry.objects.filter(action="merchant.exit_request").exists()


def test_recording_refusals(community, operator, street):
    shop = street["shops"][1]
    complaint = complaint_file(merchant=shop, complainant=street["buyer"].user, text="坏了")
    complaint_decide(complaint=complaint, verified=True, compensation_fen=60_000, actor=operator)
    refused = _record(operator, shop.id, {"reason": "r"})
    assert refused.status_code == 409 and refused.json()["code"] == "debt_outstanding"
    far = make_community("A", slug="far")
    industries_ensure(community=far)
    far_shop = make_merchant(far, "fruit")
    for missing in (10**9, far_shop.id):
        response = _record(operator, missing, {"reason": "r"})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    far_shop.refresh_from_db()
    assert far_shop.status == MerchantStatus.ACTIVE
    other_op = make_member(far).user
    make_role(other_op, far, Role.OPERATOR)
    assert _record(other_op, street["shops"][0].id, {"reason": "r"}).status_code == 403
    for user in (street["chair"].owner, street["shops"][0].owner, street["buyer"].user):
        response = _record(user, street["shops"][0].id, {"reason": "r"})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    street["shops"][0].refresh_from_db()
    assert street["shops"][0].status == MerchantStatus.ACTIVE


def test_exits_list_shows_closing_day_and_blockers_paged(community, operator, street, monkeypatch):
    first, second, third = street["shops"]
    merchant_exit_request(merchant=first, actor=first.owner)
    merchant_exit_request(merchant=second, actor=second.owner)
    complaint_file(merchant=first, complainant=street["buyer"].user, text="还没处理")
    debt = complaint_file(merchant=second, complainant=street["buyer"].user, text="赔")
    complaint_decide(complaint=debt, verified=True, compensation_fen=60_000, actor=operator)
    monkeypatch.setattr(leaving, "EXITS_PER_PAGE", 1)

    page1 = _client(operator).get(f"{BASE}/exits").json()
    assert (page1["count"], page1["page"], page1["pages"]) == (2, 1, 2)
    row = page1["results"][0]
    first.refresh_from_db()
    assert row["merchant_id"] == first.id
    assert row["blockers"] == ["complaints_open"] and row["open_complaints"] == 1
    assert row["closes_on"] == leaving.exit_preview(merchant=first).closes_on.isoformat()
    assert row["overdue"] is False
    page2 = _client(street["chair"].owner).get(f"{BASE}/exits?page=2").json()
    assert page2["results"][0]["merchant_id"] == second.id
    assert page2["results"][0]["blockers"] == ["debt_outstanding"]
    assert page2["results"][0]["debt_left_fen"] > 0
    beyond = _client(operator).get(f"{BASE}/exits?page=99").json()
    assert beyond["page"] == 2
    assert _client(operator).get(f"{BASE}/exits?page=0").status_code in (400, 422)
    assert _client(operator).get(f"{BASE}/exits?page=abc").status_code in (400, 422)
    assert third.id not in [r["merchant_id"] for r in page1["results"] + page2["results"]]


def test_exits_list_for_operators_and_the_chair_only(community, operator, auditor, street):
    for user in (street["shops"][0].owner, street["cashier"], street["buyer"].user, auditor):
        response = _client(user).get(f"{BASE}/exits")
        assert response.status_code == 403, user
        assert _client(user).get("/c/sunny/merchants/exits/").status_code == 403
    assert _client(street["chair"].owner).get("/c/sunny/merchants/exits/").status_code == 200
    assert _client(operator).get("/api/v1/merchants/communities/nowhere/exits").status_code == 404


def test_exits_page_records_notice_and_refuses_bad_input(community, operator, street):
    shop = street["shops"][2]
    client = _client(operator)
    page = "/c/sunny/merchants/exits/"
    assert "exit-record" in client.get(page).content.decode()
    missing = client.post(page, {"merchant": str(shop.id), "reason": ""})
    assert missing.status_code == 400
    for bad in ("abc", "-1", "9" * 40, "", "²", "１２"):
        assert client.post(page, {"merchant": bad, "reason": "r"}).status_code == 400
    done = client.post(page, {"merchant": str(shop.id), "reason": "店主电话告知"}, follow=True)
    assert done.status_code == 200
    assert shop.name in done.content.decode()
    shop.refresh_from_db()
    assert shop.status == MerchantStatus.EXITING
    chair_page = _client(street["chair"].owner)
    assert chair_page.post(page, {"merchant": str(shop.id), "reason": "r"}).status_code == 403
    assert "exit-record" not in chair_page.get(page).content.decode()
