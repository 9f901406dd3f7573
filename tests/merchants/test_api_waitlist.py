"""The waiting list and debt settlement over the API: join, see one's place, answer the
offer; other people's entries are invisible; bad input is a 4xx with a code."""

from datetime import timedelta

from linli.ledger.models import Journal
from linli.merchants.models import WaitStatus
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from linli.merchants.trust import complaint_decide, complaint_file
from tests.factories import make_community, make_member, make_merchant
from tests.merchants.test_api import URL, _body, _client


def _queue(community, client, n):
    return client.post(
        f"{URL}/sunny/applications",
        _body(community, licence_no=f"91310000MA1WAIT00{n}", join_waiting_list=True),
        content_type="application/json",
    )


def test_join_see_place_and_take_the_reopened_seat(community, operator):
    holder = make_merchant(community, "fruit", name="老王水果")
    alice, bob = (_client(make_member(community).user) for _ in range(2))
    refused = alice.post(
        f"{URL}/sunny/applications",
        _body(community, licence_no="91310000MA1WAIT000"),
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "industry_taken"
    assert "老王水果" in refused.json()["message"]["zh-hans"]
    first = _queue(community, alice, 1)
    second = _queue(community, bob, 2)
    assert first.status_code == 201, first.content
    assert (first.json()["status"], first.json()["waiting_position"]) == ("waiting", 1)
    assert second.json()["waiting_position"] == 2
    mine = bob.get(f"{URL}/sunny/waiting-list/mine").json()
    assert [(e["position"], e["status"]) for e in mine] == [(2, "waiting")]
    bob_entry = mine[0]["id"]
    alice_entry = alice.get(f"{URL}/sunny/waiting-list/mine").json()[0]["id"]
    # Nobody answers for someone else, and the whole list is the committee's.
    assert bob.post(f"{URL}/sunny/waiting-list/{alice_entry}/accept").status_code == 404
    assert bob.get(f"{URL}/sunny/waiting-list").status_code == 404
    listed = _client(operator).get(f"{URL}/sunny/waiting-list").json()
    assert [(e["business_name"], e["position"]) for e in listed] == [("果园", 1), ("果园", 2)]
    # No offer yet.
    early = alice.post(f"{URL}/sunny/waiting-list/{alice_entry}/accept")
    assert early.status_code == 409 and early.json()["code"] == "no_offer"

    merchant_exit_request(merchant=holder, actor=holder.owner)
    holder.refresh_from_db()
    merchant_exit_complete(
        merchant=holder, actor=operator, now=holder.exit_effective_at + timedelta(seconds=1)
    )
    offered = alice.get(f"{URL}/sunny/waiting-list/mine").json()[0]
    assert offered["status"] == WaitStatus.OFFERED and offered["offer_expires_at"]
    declined = alice.post(f"{URL}/sunny/waiting-list/{alice_entry}/leave")
    assert declined.json()["status"] == "declined" and declined.json()["position"] is None
    taken = bob.post(f"{URL}/sunny/waiting-list/{bob_entry}/accept")
    assert taken.status_code == 200 and taken.json()["status"] == "accepted"
    pending = _client(operator).get(f"{URL}/sunny/applications").json()
    assert [a["id"] for a in pending] == [second.json()["id"]]


def test_waiting_list_endpoints_refuse_bad_ids_and_other_communities(community):
    member = _client(make_member(community).user)
    for bad in ("0", "-1", "abc", str(2**63)):
        response = member.post(f"{URL}/sunny/waiting-list/{bad}/accept")
        assert response.status_code in (404, 422), (bad, response.status_code)
    other = make_community("A", slug="elsewhere")
    stranger = _client(make_member(other).user)
    make_merchant(community, "fruit")
    entry = _queue(community, member, 3)
    entry_id = member.get(f"{URL}/sunny/waiting-list/mine").json()[0]["id"]
    assert entry.status_code == 201
    assert stranger.post(f"{URL}/elsewhere/waiting-list/{entry_id}/accept").status_code == 404
    assert stranger.post(f"{URL}/sunny/waiting-list/{entry_id}/accept").status_code == 403


def test_operator_settles_a_debt_at_the_counter(community, operator, resident):
    merchant = make_merchant(community, "barber")
    complaint = complaint_file(merchant=merchant, complainant=resident, text="剪坏了")
    complaint_decide(complaint=complaint, verified=True, compensation_fen=50_250, actor=operator)
    url = f"{URL}/sunny/merchants/{merchant.id}/debt/settle"
    owner = _client(merchant.owner)
    assert (
        owner.post(url, {"idempotency_key": "a"}, content_type="application/json").status_code
        == 403
    )
    journals = Journal.objects.count()
    for bad in ({}, {"idempotency_key": ""}, {"idempotency_key": 5}, {"idempotency_key": "x" * 81}):
        response = _client(operator).post(url, bad, content_type="application/json")
        assert response.status_code in (400, 422), bad
    assert Journal.objects.count() == journals
    paid = _client(operator).post(url, {"idempotency_key": "a"}, content_type="application/json")
    assert paid.json() == {
        "merchant_id": merchant.id,
        "settled_fen": 250,
        "owed_fen": 0,
        "status": "active",
    }
    again = _client(operator).post(url, {"idempotency_key": "b"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "no_debt"
