"""/api/v1/communities/: public reads, operator-only writes, one error shape."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.communities.models import AuditEntry, PolicyVersion, Role
from tests.factories import make_community, make_member, make_role, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/communities"


def test_the_public_list_is_paged(client):
    for n in range(3):
        make_community("A", slug=f"c{n}")
    body = client.get(f"{BASE}/?limit=2&offset=1").json()
    assert body["count"] == 3
    assert (body["limit"], body["offset"]) == (2, 1)
    assert [c["slug"] for c in body["items"]] == ["c1", "c2"]
    assert body["items"][0]["radius_m"] == 1000
    assert body["items"][0]["centre_lat"] == pytest.approx(31.230416)


@pytest.mark.parametrize("query", ["limit=101", "limit=0", "offset=-1", "limit=ten"])
def test_paging_limits_are_enforced(client, query):
    response = client.get(f"{BASE}/?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_community_detail_and_unknown_slug(client, community):
    assert client.get(f"{BASE}/sunny").json()["name"] == community.name
    for path in ("nowhere", "nowhere/policy", "nowhere/policy/history", "nowhere/audit"):
        response = client.get(f"{BASE}/{path}")
        if path.endswith("audit"):
            assert response.status_code == 401  # private: log in first
            continue
        assert response.status_code == 404, path
        body = response.json()
        assert body["code"] == "not_found"
        assert set(body["message"]) == {"zh-hans", "en"}


@pytest.mark.parametrize("slug", ["%00", "a%00b/policy", "x" * 51, "semi;colon/policy/history"])
def test_slugs_no_community_can_have_are_404_not_500(client, slug):
    response = client.get(f"{BASE}/{slug}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_policy_in_force_is_public(client):
    make_community("B", slug="xf")
    body = client.get(f"{BASE}/xf/policy").json()
    assert body["community"] == "xf"
    assert body["number"] == 1
    assert body["member_fee_fen"] == 100_000
    assert body["daily_redemption_cap_points"] == 5_000
    assert body["spend_reward_asset"] == "PTS"
    assert "created_by" not in body


def _post(client, slug, payload):
    return client.post(f"{BASE}/{slug}/policy", payload, content_type="application/json")


CHANGE = {"changes": {"member_fee_fen": 12_900}, "reason": "会员大会表决"}


def test_anonymous_callers_cannot_change_policy(client, community):
    response = _post(client, "sunny", CHANGE)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.AUDITOR, Role.MERCHANT_OWNER, Role.CASHIER])
def test_only_operators_change_policy(client, community, role):
    user = make_user()
    make_role(user, community, role)
    client.force_login(user)
    response = _post(client, "sunny", CHANGE)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert PolicyVersion.objects.filter(community=community).count() == 1


def test_a_superuser_without_a_role_is_refused(client, community):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert _post(client, "sunny", CHANGE).status_code == 403


def test_an_operator_of_another_community_is_refused(client, community, operator):
    make_community("B", slug="elsewhere")
    client.force_login(operator)
    assert _post(client, "elsewhere", CHANGE).status_code == 403


def test_an_operator_creates_version_two(client, community, operator):
    client.force_login(operator)
    response = _post(client, "sunny", CHANGE)
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["member_fee_fen"], body["reason"]) == (2, 12_900, "会员大会表决")
    assert client.get(f"{BASE}/sunny/policy").json()["number"] == 2
    entry = AuditEntry.objects.get(action="policy.create", actor=operator)
    assert entry.ip == "127.0.0.1"


def test_a_scheduled_version_shows_in_history_but_not_yet_in_force(client, community, operator):
    client.force_login(operator)
    start = (timezone.now() + timedelta(days=7)).isoformat()
    response = _post(client, "sunny", {**CHANGE, "effective_from": start})
    assert response.status_code == 201
    assert client.get(f"{BASE}/sunny/policy").json()["number"] == 1
    history = client.get(f"{BASE}/sunny/policy/history").json()
    assert history["count"] == 2
    assert [v["number"] for v in history["items"]] == [1, 2]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"changes": {"commission_max_bp": 10_001}, "reason": "r"}, 400, "policy_invalid"),
        ({"changes": {"commission_min_bp": 900}, "reason": "r"}, 400, "policy_invalid"),
        ({"changes": {"referral_depth": 2}, "reason": "r"}, 400, "policy_invalid"),
        ({"changes": {"member_fee_fen": -5}, "reason": "r"}, 400, "policy_invalid"),
        ({"changes": {"made_up": 5}, "reason": "r"}, 400, "policy_invalid"),
        ({"changes": {"member_fee_fen": 99.5}, "reason": "r"}, 422, "invalid_input"),
        ({"changes": {"member_fee_fen": 1}}, 422, "invalid_input"),  # no reason
        ({"changes": {"member_fee_fen": 1}, "reason": "r", "effective_from": "soon"}, 422,
         "invalid_input"),
        ({"changes": {"member_fee_fen": 1}, "reason": "r",
          "effective_from": "2001-01-01T00:00:00+08:00"}, 400, "policy_invalid"),
        ({"changes": {"member_fee_fen": 1}, "reason": "r",
          "effective_from": "9999-12-31T23:59:59-14:00"}, 400, "policy_invalid"),
        ({"changes": {"member_fee_fen": 1}, "reason": "nul\u0000"}, 400, "policy_invalid"),
        ({"changes": {"member_fee_fen": 10**20}, "reason": "r"}, 400, "policy_invalid"),
        ({"changes": {"early_bird_window_days": 2**31}, "reason": "r"}, 400, "policy_invalid"),
    ],
)  # fmt: skip
def test_invalid_policy_input_is_a_4xx_with_a_code(client, community, operator, payload, status,
                                                   code):  # fmt: skip
    client.force_login(operator)
    response = _post(client, "sunny", payload)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["message"]["en"]
    assert PolicyVersion.objects.filter(community=community).count() == 1


def test_posting_to_an_unknown_community_is_404(client, operator):
    client.force_login(operator)
    response = _post(client, "nowhere", CHANGE)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_audit_log_is_for_operators_and_auditors(client, community, operator, auditor):
    member = make_member(community)
    client.force_login(member.user)
    assert client.get(f"{BASE}/sunny/audit").status_code == 403

    client.force_login(auditor)
    body = client.get(f"{BASE}/sunny/audit?limit=2").json()
    # community.create, policy.create, and three role grants (operator, auditor, member)
    assert body["count"] == 5
    assert len(body["items"]) == 2
    assert body["items"][0]["action"] == "role.grant"  # newest first
    assert "ip" not in body["items"][0]  # personal data stays out of the API

    client.force_login(operator)
    assert client.get(f"{BASE}/sunny/audit").status_code == 200
