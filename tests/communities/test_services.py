"""Communities, compounds, buildings and roles: created through audited services."""

from decimal import Decimal

import pytest

from linli.communities.audit import audit_ip, audit_record
from linli.communities.errors import (
    CommunityInvalid,
    GeographyInvalid,
    LastOperator,
    NameTaken,
    RoleInvalid,
    SlugTaken,
    UnknownPreset,
)
from linli.communities.models import (
    AuditEntry,
    Building,
    Community,
    CommunityRole,
    PolicyVersion,
    Role,
)
from linli.communities.selectors import community_get_for_actor
from linli.communities.services import (
    building_create,
    community_create,
    community_update,
    neighbourhood_create,
    role_grant,
    role_revoke,
)
from linli.errors import Forbidden, NotFound
from tests.factories import make_community, make_member, make_role, make_user

pytestmark = pytest.mark.django_db


def _open(**overrides):
    arguments = {
        "name": "阳光社区",
        "slug": "yg",
        "preset": "A",
        "centre_lat": "31.230416",
        "centre_lng": "121.473701",
        "radius_m": 1000,
        "actor": None,
    }
    return community_create(**{**arguments, **overrides})


def test_community_create_opens_policy_v1_and_writes_two_audit_rows():
    founder = make_user("founder")
    community = _open(actor=founder)
    assert community.centre_lat == Decimal("31.230416")
    assert PolicyVersion.objects.get(community=community).created_by == founder
    actions = list(
        AuditEntry.objects.filter(community=community)
        .order_by("id")
        .values_list("action", "actor_id", "target_type")
    )
    assert actions == [
        ("community.create", founder.id, "communities.community"),
        ("policy.create", founder.id, "communities.policyversion"),
    ]
    after = AuditEntry.objects.get(action="community.create", community=community).after
    assert after["slug"] == "yg" and after["name"] == "阳光社区"


def test_a_slug_is_taken_once():
    _open()
    with pytest.raises(SlugTaken) as caught:
        _open(name="另一个")
    assert (caught.value.code, caught.value.status) == ("slug_taken", 409)
    assert Community.objects.filter(slug="yg").count() == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"preset": "C"}, UnknownPreset),
        ({"slug": "Has Space"}, CommunityInvalid),
        ({"slug": "大写"}, CommunityInvalid),
        ({"slug": "x"}, CommunityInvalid),
        ({"name": "   "}, CommunityInvalid),
        ({"name": "名" * 101}, CommunityInvalid),
        ({"centre_lat": "91"}, CommunityInvalid),
        ({"centre_lng": "-180.5"}, CommunityInvalid),
        ({"centre_lat": "north"}, CommunityInvalid),
        ({"centre_lat": "NaN"}, CommunityInvalid),
        ({"radius_m": 0}, CommunityInvalid),
        ({"radius_m": 50_001}, CommunityInvalid),
        ({"radius_m": 1.5}, CommunityInvalid),
    ],
)
def test_bad_community_details_create_nothing(overrides, error):
    with pytest.raises(error):
        _open(**overrides)
    assert Community.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_community_update_is_audited_and_validated(operator, community):
    community_update(community=community, changes={"radius_m": 1500}, actor=operator)
    community.refresh_from_db()
    assert community.radius_m == 1500
    entry = AuditEntry.objects.get(action="community.update")
    assert (entry.before["radius_m"], entry.after["radius_m"]) == (1000, 1500)
    with pytest.raises(CommunityInvalid):
        community_update(community=community, changes={"slug": "other"}, actor=operator)
    with pytest.raises(CommunityInvalid):
        community_update(community=community, changes={"radius_m": -3}, actor=operator)
    community.refresh_from_db()
    assert (community.slug, community.radius_m) == ("sunny", 1500)


def test_compounds_and_buildings(operator, community):
    compound = neighbourhood_create(community=community, name=" 阳光花园 ", actor=operator)
    building = building_create(neighbourhood=compound, name="1号楼", actor=operator)
    assert compound.name == "阳光花园"
    assert building.community_id == community.id  # tenancy key follows the compound
    assert (
        AuditEntry.objects.filter(
            community=community, action__in=["neighbourhood.create", "building.create"]
        ).count()
        == 2
    )
    with pytest.raises(NameTaken):
        neighbourhood_create(community=community, name="阳光花园", actor=operator)
    with pytest.raises(NameTaken):
        building_create(neighbourhood=compound, name="1号楼", actor=operator)
    with pytest.raises(GeographyInvalid):
        building_create(neighbourhood=compound, name="", actor=operator)
    with pytest.raises(GeographyInvalid):
        neighbourhood_create(community=community, name="阳光\x00花园", actor=operator)
    # The same names are free in another community.
    other = neighbourhood_create(community=make_community("B"), name="阳光花园", actor=None)
    building_create(neighbourhood=other, name="1号楼", actor=None)
    assert Building.objects.count() == 2


def test_role_grant_is_idempotent_and_audited(operator, community):
    user = make_user()
    first = role_grant(user=user, community=community, role=Role.CASHIER, actor=operator)
    again = role_grant(user=user, community=community, role=Role.CASHIER, actor=operator)
    assert first == again
    assert first.granted_by == operator
    grants = AuditEntry.objects.filter(action="role.grant", target_id=str(first.pk))
    assert grants.count() == 1
    with pytest.raises(RoleInvalid):
        role_grant(user=user, community=community, role="mayor", actor=operator)


def test_role_revoke_keeps_one_operator(operator, community):
    second = make_user()
    make_role(second, community, Role.OPERATOR)
    role_revoke(user=second, community=community, role=Role.OPERATOR, actor=operator)
    assert not CommunityRole.objects.filter(user=second).exists()
    entry = AuditEntry.objects.get(action="role.revoke")
    assert entry.before["user_id"] == second.id and entry.after is None
    with pytest.raises(LastOperator):
        role_revoke(user=operator, community=community, role=Role.OPERATOR, actor=operator)
    with pytest.raises(NotFound):
        role_revoke(user=second, community=community, role=Role.OPERATOR, actor=operator)


def test_make_member_builds_a_resident_with_the_member_role(community):
    member = make_member(community, "zhang")
    assert member.community == community
    assert CommunityRole.objects.filter(
        user=member.user, community=community, role=Role.MEMBER
    ).exists()


def test_audit_record_takes_the_ip_from_the_request_context(operator, community):
    with audit_ip("203.0.113.7"):
        entry = audit_record(actor=operator, action="test.touch", target=community)
    assert (entry.ip, entry.actor_label, entry.community) == ("203.0.113.7", "op", community)
    outside = audit_record(actor=None, action="test.touch", target=community)
    assert (outside.ip, outside.actor, outside.actor_label) == (None, None, "")
    with pytest.raises(ValueError):
        audit_record(actor=None, action="", target=community)
    with pytest.raises(ValueError):
        audit_record(actor=None, action="x.y", target=Community(slug="unsaved"))


def test_community_get_for_actor(operator, community):
    assert community_get_for_actor(slug="sunny", actor=operator, action="policy.create")
    with pytest.raises(NotFound):
        community_get_for_actor(slug="nowhere", actor=operator)
    stranger = make_user()
    with pytest.raises(Forbidden):
        community_get_for_actor(slug="sunny", actor=stranger, action="audit.view")
