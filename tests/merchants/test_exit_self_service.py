"""A shop owner's own way out of the alliance (issue 5): what leaving means, notice after
a confirm step, refusals with codes, withdrawal before the seat closes, the committee's
inbox, the audit log, and the daily job that closes seats once the notice has run."""

from datetime import timedelta

import pytest
from django.test import Client

from linli.communities.models import AuditEntry, Role
from linli.ledger.verification import ledger_verify
from linli.members.models import Notice
from linli.merchants.models import MerchantStatus
from linli.merchants.selectors import chair_for_month
from linli.merchants.services import merchant_exits_complete_due, staff_add
from linli.merchants.trust import complaint_decide, complaint_file
from tests.factories import make_community, make_member, make_merchant, make_role
from tests.merchants.helpers import commerce_sale, record_sale

URL = "/api/v1/merchants/communities/sunny/merchants"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shop(community):
    """Three shops (so the chair is another one), the fruit shop's cashier, an operator
    who lives here (so has an inbox), a buyer of the fruit shop."""
    shops = [make_merchant(community, code) for code in ("fruit", "barber", "pharmacy")]
    chair = chair_for_month(community=community)
    mine = next(m for m in shops if m.id != chair.id)
    other = next(m for m in shops if m.id not in (chair.id, mine.id))
    cashier = staff_add(merchant=mine, username="till-1", password="a-long-pass-42", actor=None)
    operator = make_member(community, "op-resident")
    make_role(operator.user, community, Role.OPERATOR)
    buyer = make_member(community)
    commerce_sale(mine, buyer, 1)
    return {
        "mine": mine,
        "other": other,
        "chair": chair,
        "cashier": cashier.user,
        "operator": operator,
        "buyer": buyer,
    }


def _post(user, merchant_id, body=None, suffix=""):
    return _client(user).post(
        f"{URL}/{merchant_id}/exit{suffix}", body or {}, content_type="application/json"
    )


def test_owner_reads_what_leaving_means_then_gives_notice(community, shop):
    mine = shop["mine"]
    record_sale(mine, 1_234)
    shown = _client(mine.owner).get(f"{URL}/{mine.id}/exit")
    assert shown.status_code == 200, shown.content
    figures = shown.json()
    assert figures["exiting"] is False and figures["notice_days"] == 30
    assert figures["deposit_held_fen"] == 50_000
    # the commerce sale: 5000 − 1% commission − 0.5% fund = 4925, plus the 1234 cash sale
    assert figures["balance_fen"] == 4_925 + 1_234
    assert figures["return_fen"] == 50_000 + 4_925 + 1_234
    assert (figures["debt_fen"], figures["debt_left_fen"]) == (0, 0)

    unconfirmed = _post(mine.owner, mine.id, {"confirm": "yes"})
    assert unconfirmed.status_code == 400
    assert unconfirmed.json()["code"] == "exit_confirm_required"
    assert set(unconfirmed.json()["message"]) == {"zh-hans", "en"}
    mine.refresh_from_db()
    assert mine.status == MerchantStatus.ACTIVE

    given = _post(mine.owner, mine.id, {"confirm": True})
    assert given.status_code == 200, given.content
    assert given.json()["status"] == "exiting" and given.json()["exiting"] is True
    mine.refresh_from_db()
    assert (mine.exit_effective_at - mine.exit_requested_at) == timedelta(days=30)
    entry = AuditEntry.objects.get(action="merchant.exit_request")
    assert entry.actor_id == mine.owner_id
    told = Notice.objects.filter(kind="merchant_exit_given")
    assert {n.member.user_id for n in told} == {shop["operator"].user_id, shop["chair"].owner_id}
    assert Notice.objects.filter(kind="merchant_leaving", member=shop["buyer"]).exists()

    again = _post(mine.owner, mine.id, {"confirm": True})
    assert again.status_code == 409 and again.json()["code"] == "exit_already_given"
    assert mine.exit_effective_at.date().isoformat()[:4] in again.json()["message"]["en"]


def test_owner_withdraws_the_notice_and_everyone_told_hears_it(community, shop):
    mine = shop["mine"]
    assert _post(mine.owner, mine.id, suffix="/withdraw").json()["code"] == "exit_not_given"
    assert _post(mine.owner, mine.id, {"confirm": True}).status_code == 200

    withdrawn = _post(mine.owner, mine.id, suffix="/withdraw")
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "active"
    mine.refresh_from_db()
    assert (mine.exit_requested_at, mine.exit_effective_at) == (None, None)
    assert Notice.objects.get(kind="merchant_staying").member_id == shop["buyer"].id
    assert Notice.objects.filter(kind="merchant_exit_withdrawn").count() == 2
    assert AuditEntry.objects.filter(action="merchant.exit_withdraw", actor=mine.owner).count() == 1
    again = _post(mine.owner, mine.id, suffix="/withdraw")
    assert again.status_code == 409 and again.json()["code"] == "exit_not_given"
    # notice can be given again, and the daily job leaves it alone until it has run
    assert _post(mine.owner, mine.id, {"confirm": True}).status_code == 200
    assert merchant_exits_complete_due() == 0


def test_only_the_owner_may_give_or_withdraw(community, shop):
    mine = shop["mine"]
    refusals = {
        "cashier": (shop["cashier"], 403, "forbidden"),
        "other owner": (shop["other"].owner, 403, "not_your_merchant"),
        "chair": (shop["chair"].owner, 403, "not_your_merchant"),
        "member": (shop["buyer"].user, 403, "forbidden"),
        "operator": (shop["operator"].user, 403, "forbidden"),
    }
    for who, (user, status, code) in refusals.items():
        for response in (
            _client(user).get(f"{URL}/{mine.id}/exit"),
            _post(user, mine.id, {"confirm": True}),
            _post(user, mine.id, suffix="/withdraw"),
        ):
            assert (response.status_code, response.json()["code"]) == (status, code), who
    assert Client().post(f"{URL}/{mine.id}/exit").status_code == 401
    mine.refresh_from_db()
    assert mine.status == MerchantStatus.ACTIVE
    assert not AuditEntry.objects.filter(action__startswith="merchant.exit").exists()


def test_nasty_ids_and_bodies(community, shop):
    mine = shop["mine"]
    elsewhere = make_merchant(make_community("A", slug="elsewhere"), "fruit")
    assert _post(mine.owner, elsewhere.id, {"confirm": True}).status_code == 404
    for bad in ("0", "-1", str(2**63), "abc"):
        response = _post(mine.owner, bad, {"confirm": True})
        assert response.status_code in (404, 422), bad
    for body in ({"confirm": 1}, {"confirm": "true"}, {"confirm": None}, {}, {"confirm": [True]}):
        response = _post(mine.owner, mine.id, body)
        assert response.status_code == 400 and response.json()["code"] == "exit_confirm_required"
    raw = _client(mine.owner).post(
        f"{URL}/{mine.id}/exit", "not json", content_type="application/json"
    )
    assert 400 <= raw.status_code < 500
    mine.refresh_from_db()
    assert mine.status == MerchantStatus.ACTIVE


def test_a_debt_the_deposit_cannot_repay_refuses_notice(community, shop, operator):
    mine = shop["mine"]
    complaint = complaint_file(merchant=mine, complainant=shop["buyer"].user, text="坏了")
    complaint_decide(complaint=complaint, verified=True, compensation_fen=56_000, actor=operator)
    shown = _client(mine.owner).get(f"{URL}/{mine.id}/exit").json()
    assert (shown["deposit_held_fen"], shown["debt_fen"], shown["debt_left_fen"]) == (
        0,
        1_075,
        1_075,
    )
    assert shown["return_fen"] == 0
    refused = _post(mine.owner, mine.id, {"confirm": True})
    assert refused.status_code == 409 and refused.json()["code"] == "debt_outstanding"
    mine.refresh_from_db()
    assert mine.status == MerchantStatus.SUSPENDED


def test_a_suspended_shop_that_withdraws_is_suspended_again(community, shop, operator):
    mine = shop["mine"]
    complaint = complaint_file(merchant=mine, complainant=shop["buyer"].user, text="坏了")
    complaint_decide(complaint=complaint, verified=True, compensation_fen=100, actor=operator)
    mine.refresh_from_db()
    mine.status, mine.suspended_reason = MerchantStatus.SUSPENDED, "deposit"
    mine.save(update_fields=["status", "suspended_reason"])
    assert _post(mine.owner, mine.id, {"confirm": True}).status_code == 200
    assert _post(mine.owner, mine.id, suffix="/withdraw").json()["status"] == "suspended"


def test_the_daily_job_closes_seats_whose_notice_has_run(community, shop, operator):
    mine, other = shop["mine"], shop["other"]
    assert _post(mine.owner, mine.id, {"confirm": True}).status_code == 200
    assert _post(other.owner, other.id, {"confirm": True}).status_code == 200
    complaint_file(merchant=other, complainant=shop["buyer"].user, text="还没处理")
    mine.refresh_from_db()
    later = mine.exit_effective_at + timedelta(minutes=1)
    assert merchant_exits_complete_due(now=later - timedelta(days=2)) == 0
    assert merchant_exits_complete_due(now=later) == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, other.status) == (MerchantStatus.EXITED, MerchantStatus.EXITING)
    assert ledger_verify(community=community).problem is None


def test_leave_page_for_the_owner_only(community, shop):
    mine = shop["mine"]
    page = "/c/sunny/merchants/console/leave/"
    owner = _client(mine.owner)
    shown = owner.get(page, HTTP_ACCEPT_LANGUAGE="en")
    assert shown.status_code == 200
    assert b'data-testid="exit-give"' in shown.content
    assert _client(shop["cashier"]).get(page).status_code == 403
    assert _client(shop["cashier"]).post(page, {"confirm": "on"}).status_code == 403
    console = _client(shop["cashier"]).get("/c/sunny/merchants/console/")
    assert b"console-leave" not in console.content
    assert b"console-leave" in owner.get("/c/sunny/merchants/console/").content
    refused = owner.post(page, {"action": "notice"})
    assert refused.status_code == 400 and b"form-error" in refused.content
    assert owner.post(page, {"action": "notice", "confirm": "on"}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == MerchantStatus.EXITING
    assert b'data-testid="exit-withdraw"' in owner.get(page).content
    assert owner.post(page, {"action": "withdraw"}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == MerchantStatus.ACTIVE
