"""Membership pages through Django's test client; the template grep for unfair clauses."""

from pathlib import Path

import pytest
from django.test import Client

import linli
from linli.communities.models import Role
from linli.ledger.models import Journal
from linli.members.models import Membership
from tests.factories import make_role, make_user
from tests.members.conftest import code_for_latest, next_phone, valid_id


def test_no_template_says_no_refunds_or_final_interpretation():
    """法释〔2025〕4号: 收款不退 is void; "最终解释权" clauses are unfair (SPEC Compliance)."""
    root = Path(linli.__file__).parent
    templates = list(root.rglob("templates/**/*.html"))
    assert templates
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for banned in ("概不退款", "最终解释权"):
            assert banned not in text, f"{template} says {banned}"


def test_resident_joins_applies_and_operator_confirms(community):
    client = Client()
    phone = next_phone()
    url = f"/c/{community.slug}/join/"
    page = client.post(url, {"step": "phone", "phone": phone})
    assert page.status_code == 200 and b"console-note" in page.content
    wrong = client.post(
        url,
        {
            "step": "join",
            "phone": phone,
            "code": "000000",
            "display_name": "王五",
            "accepts_terms": "on",
        },
    )
    assert b'data-testid="error"' in wrong.content
    joined = client.post(
        url,
        {
            "step": "join",
            "phone": phone,
            "code": code_for_latest(),
            "display_name": "王五",
            "accepts_terms": "on",
        },
    )
    assert joined.status_code == 302 and joined["Location"] == "/me/membership/"
    mine = client.get("/me/membership/")
    assert phone.encode() in mine.content  # the owner sees their own number
    client.post(
        "/me/membership/",
        {"action": "identity", "real_name": "王五", "id_number": valid_id(), "consents": "on"},
    )
    client.post(
        "/me/membership/", {"action": "apply", "charter_version": "1", "accepts_charter": "on"}
    )
    membership = Membership.objects.get()
    assert membership.status == "awaiting_payment"
    assert membership.payment_reference.encode() in client.get("/me/membership/").content

    operator = make_user()
    make_role(operator, community, Role.OPERATOR)
    desk = Client()
    desk.force_login(operator)
    page = desk.get(f"/c/{community.slug}/ops/members/")
    assert phone.encode() not in page.content and phone[-4:].encode() in page.content
    body = {"action": "confirm", "membership": membership.id, "method": "cash", "key": "k"}
    assert desk.post(f"/c/{community.slug}/ops/members/", body).status_code == 302
    desk.post(f"/c/{community.slug}/ops/members/", body)  # a double click
    assert Journal.objects.filter(code="member.fee_paid").count() == 1
    membership.refresh_from_db()
    assert membership.status == "active"


def test_desk_is_not_for_members(community):
    client = Client()
    user = make_user()
    make_role(user, community, Role.MEMBER)
    client.force_login(user)
    assert client.get(f"/c/{community.slug}/ops/members/").status_code == 404


@pytest.mark.parametrize("path", ["charter/", "charter/?download=1", "join/"])
def test_public_pages(community, path):
    response = Client().get(f"/c/{community.slug}/{path}")
    assert response.status_code == 200


def test_groups_export_gift_and_close_pages(community):
    import json

    from linli.communities.models import Building, Neighbourhood
    from linli.members.models import GiftPack, InterestGroup
    from tests.members.conftest import join

    hood = Neighbourhood.objects.create(community=community, name="园")
    building = Building.objects.create(community=community, neighbourhood=hood, name="1")
    member = join(community, building=building, unit_label="101")
    client = Client()
    client.force_login(member.user)
    assert client.post("/me/groups/", {"action": "create", "name": "书法"}).status_code == 302
    group = InterestGroup.objects.get()
    assert b'data-testid="group"' in client.get("/me/groups/").content
    client.post("/me/groups/", {"action": "leave", "group": group.id})
    assert group.members.count() == 0
    client.post("/me/membership/", {"action": "gift", "store": "好邻居超市"})
    assert GiftPack.objects.get().household_id == member.household_id
    data = json.loads(client.get("/me/membership/my-data.json").content)
    assert data["member"]["id"] == member.id and data["member"]["flat"] == "101"
    client.post("/me/membership/", {"action": "close"})  # not confirmed: nothing happens
    member.refresh_from_db()
    assert member.closed_at is None
    assert client.post("/me/membership/", {"action": "close", "confirm": "on"}).status_code == 302
    member.refresh_from_db()
    assert member.closed_at is not None and member.phone_hash is None


def test_points_button_shows_an_inline_error_without_points(community_b):
    from tests.members.test_fees import apply, verified

    member = verified(community_b)
    apply(member)
    client = Client()
    client.force_login(member.user)
    page = client.get("/me/membership/")
    assert b'name="action" value="points"' in page.content
    answer = client.post("/me/membership/", {"action": "points", "key": "k1"})
    assert b'data-testid="error"' in answer.content
    assert Membership.objects.get().status == "awaiting_payment"


def test_my_page_shows_tier_questionnaire_and_gift(community_b, community):
    from linli.communities.models import Building, Neighbourhood
    from linli.members.services import tiers_evaluate
    from tests.members.conftest import join

    reviewed = join(community_b)
    client = Client()
    client.force_login(reviewed.user)
    from linli.members.services import member_verify_identity

    member_verify_identity(member=reviewed, real_name="赵六", id_number=valid_id(), consents=True)
    tiers_evaluate(community=community_b)
    page = client.get("/me/membership/").content
    assert b'data-testid="tier"' in page and b'value="admission"' in page
    assert b'value="apply"' not in page  # B: review first

    hood = Neighbourhood.objects.create(community=community, name="园")
    building = Building.objects.create(community=community, neighbourhood=hood, name="1")
    resident = join(community, building=building, unit_label="5")
    client.force_login(resident.user)
    assert b'value="gift"' in client.get("/me/membership/").content
    client.post("/me/membership/", {"action": "gift", "store": "好邻居超市"})
    assert "好邻居超市".encode() in client.get("/me/membership/").content
