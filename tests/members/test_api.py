"""The members API, and the permission matrix as an explicit table over it."""

import json

import pytest
from django.test import Client

from linli.communities.models import Role
from linli.ledger.models import Journal
from linli.members.models import Membership
from linli.members.services import fee_payment_confirm
from tests.factories import make_role, make_user
from tests.members.conftest import code_for_latest, join, next_phone, valid_id
from tests.members.test_fees import apply, verified


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_join_flow_over_the_api(community):
    client = Client()
    phone = next_phone()
    base = f"/api/v1/members/communities/{community.slug}"
    sent = post(client, f"{base}/sms-codes", {"phone": phone})
    assert sent.status_code == 200, sent.content
    assert sent.json()["is_console"] and sent.json()["phone_masked"].startswith(phone[:3])
    wrong = post(
        client,
        f"{base}/join",
        {"phone": phone, "code": "x", "display_name": "a", "accepts_terms": True},
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "sms_code_invalid"
    joined = post(
        client,
        f"{base}/join",
        {"phone": phone, "code": code_for_latest(), "display_name": "李四", "accepts_terms": True},
    )
    assert joined.status_code == 201, joined.content
    auth = {"HTTP_AUTHORIZATION": f"Bearer {joined.json()['token']}"}
    me = client.get("/api/v1/members/me", **auth).json()
    assert me["phone"] == phone and me["membership"] is None
    number = valid_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    bad = post(
        client,
        "/api/v1/members/me/identity",
        {"real_name": "李四", "id_number": wrong, "consents": True},
        **auth,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_id_number"
    ok = post(
        client,
        "/api/v1/members/me/identity",
        {"real_name": "李四", "id_number": valid_id(), "consents": True},
        **auth,
    )
    assert ok.json()["id_masked"] == valid_id()[:3] + "*" * 11 + valid_id()[-4:]
    charter = client.get(f"{base}/charter").json()
    applied = post(
        client,
        "/api/v1/members/me/memberships",
        {"charter_version": charter["version"], "accepts_charter": True},
        **auth,
    )
    assert applied.status_code == 201 and applied.json()["status"] == "awaiting_payment"


def test_payment_twice_with_the_same_key_posts_once(community):
    operator = make_user()
    make_role(operator, community, Role.OPERATOR)
    membership = apply(verified(community))
    client = Client()
    client.force_login(operator)
    url = f"/api/v1/members/communities/{community.slug}/memberships/{membership.id}/payment"
    body = {"amount_fen": membership.fee_fen, "method": "cash", "idempotency_key": "abc"}
    first, second = post(client, url, body), post(client, url, body)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Journal.objects.filter(code="member.fee_paid").count() == 1


def _people(community):
    """member, other member, merchant owner, operator, auditor, and a membership."""
    member = verified(community)
    membership = apply(member)
    other = join(community)
    people = {"member": member.user, "other_member": other.user}
    for role in (Role.MERCHANT_OWNER, Role.OPERATOR, Role.AUDITOR):
        user = make_user()
        make_role(user, community, role)
        people[str(role)] = user
    return people, member, membership


# action: allowed for (member, other_member, merchant_owner, operator, auditor)
MATRIX = {
    "search_members": (False, False, False, True, True),
    "confirm_payment": (False, False, False, True, False),
    "refund": (False, False, False, True, False),
    "grant_founding": (False, False, False, True, False),
    "publish_charter": (False, False, False, True, False),
    "view_own_membership": (True, True, False, False, False),
}
WHO = ("member", "other_member", "merchant_owner", "operator", "auditor")


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(community, action, who):
    people, member, membership = _people(community)
    allowed = MATRIX[action][WHO.index(who)]
    client = Client()
    client.force_login(people[who])
    base = f"/api/v1/members/communities/{community.slug}"
    if action == "search_members":
        response = client.get(f"{base}/members")
    elif action == "confirm_payment":
        response = post(
            client,
            f"{base}/memberships/{membership.id}/payment",
            {"amount_fen": membership.fee_fen, "method": "cash", "idempotency_key": "m"},
        )
    elif action == "refund":
        fee_payment_confirm(
            membership=membership,
            amount_fen=membership.fee_fen,
            method="cash",
            idempotency_key="pre",
            actor=make_user(),
        )
        response = post(client, f"{base}/memberships/{membership.id}/refund", {"reason": ""})
    elif action == "grant_founding":
        response = post(client, f"{base}/members/{member.id}/founding", {"reason": "共创"})
    elif action == "publish_charter":
        response = post(client, f"{base}/charters", {"body": "章程 v2"})
    else:
        response = client.get("/api/v1/members/me")
    assert (response.status_code < 300) is allowed, (response.status_code, response.content)
    if not allowed:
        assert response.status_code in (403, 404)
    if action == "confirm_payment":
        membership.refresh_from_db()
        assert (membership.status == "active") is allowed
    if action == "refund":
        assert Membership.objects.get(pk=membership.pk).status == (
            "refunded" if allowed else "active"
        )


def test_search_is_masked(community):
    people, member, _membership = _people(community)
    client = Client()
    client.force_login(people["auditor"])
    phone_last4 = member.phone_last4
    rows = client.get(f"/api/v1/members/communities/{community.slug}/members").json()
    row = next(r for r in rows if r["id"] == member.id)
    assert row["phone_masked"].endswith(phone_last4) and "****" in row["phone_masked"]
    assert "*" * 11 in row["id_masked"]
