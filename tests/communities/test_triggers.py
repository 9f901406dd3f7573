"""Policy versions and the audit log cannot be changed behind Django's back.

The triggers live in the database, so these run on PostgreSQL and on SQLite.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from linli.communities.models import AuditEntry, PolicyVersion
from tests.factories import make_community

pytestmark = [pytest.mark.django_db, pytest.mark.db_sensitive]


def test_policy_version_update_through_the_orm_is_rejected():
    community = make_community("A")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PolicyVersion.objects.filter(community=community).update(member_fee_fen=1)
    assert PolicyVersion.objects.get(community=community).member_fee_fen == 9_900


def test_policy_version_save_of_a_loaded_row_is_rejected():
    policy = PolicyVersion.objects.get(community=make_community("B"))
    policy.commission_max_bp = 10_000
    with pytest.raises(IntegrityError), transaction.atomic():
        policy.save()


def test_policy_version_delete_is_rejected():
    community = make_community("A")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PolicyVersion.objects.filter(community=community).delete()
    assert PolicyVersion.objects.filter(community=community).count() == 1


def test_raw_sql_update_is_rejected():
    community = make_community("A")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE communities_policyversion SET referral_reward_units = 5 "
            "WHERE community_id = %s",
            [community.id],
        )


def test_audit_entries_cannot_be_edited_or_deleted():
    community = make_community("A")
    entries = AuditEntry.objects.filter(community=community)
    assert entries.count() == 2  # community.create + policy.create
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        entries.update(action="nothing.happened")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        entries.delete()
    assert sorted(entries.values_list("action", flat=True)) == [
        "community.create",
        "policy.create",
    ]


def test_inserting_new_versions_still_works():
    """The triggers forbid change, not growth."""
    community = make_community("A")
    first = PolicyVersion.objects.get(community=community)
    values = {f.attname: getattr(first, f.attname) for f in PolicyVersion._meta.concrete_fields}
    values.pop("id")
    values["number"] = 2
    PolicyVersion.objects.create(**values)
    assert PolicyVersion.objects.filter(community=community).count() == 2


def test_a_role_is_held_once_per_person_and_community():
    from linli.communities.models import CommunityRole, Role
    from tests.factories import make_role, make_user

    community = make_community("A")
    user = make_user()
    make_role(user, community, Role.CASHIER)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityRole.objects.create(user=user, community=community, role=Role.CASHIER)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityRole.objects.create(user=user, community=community, role="mayor")
