"""The back office shows policy versions and the audit log but cannot change them."""

import pytest

from linli.communities.models import AuditEntry, CommunityRole, PolicyVersion, Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["policyversion", "auditentry"])
def test_read_only_models(admin_client, community, model):
    row = (PolicyVersion if model == "policyversion" else AuditEntry).objects.first()
    base = f"/admin/communities/{model}/"
    assert admin_client.get(base).status_code == 200
    change = admin_client.get(f"{base}{row.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"{base}{row.pk}/change/", {}).status_code == 403


def test_a_role_granted_in_the_admin_is_audited(admin_client, admin_user, community):
    user = make_user()
    response = admin_client.post(
        "/admin/communities/communityrole/add/",
        {"user": user.pk, "community": community.pk, "role": Role.AUDITOR},
    )
    assert response.status_code == 302
    grant = CommunityRole.objects.get(user=user, community=community)
    assert grant.granted_by == admin_user
    assert AuditEntry.objects.filter(
        action="role.grant", actor=admin_user, target_id=str(grant.pk)
    ).exists()


def test_a_community_edited_in_the_admin_is_audited(admin_client, admin_user, community):
    response = admin_client.post(
        f"/admin/communities/community/{community.pk}/change/",
        {
            "name": "阳光社区（新）",
            "centre_lat": "31.230416",
            "centre_lng": "121.473701",
            "radius_m": "1200",
        },
    )
    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.name, community.radius_m) == ("阳光社区（新）", 1200)
    entry = AuditEntry.objects.get(action="community.update", actor=admin_user)
    assert entry.before["radius_m"] == 1000 and entry.after["radius_m"] == 1200
