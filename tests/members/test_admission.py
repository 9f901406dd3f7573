"""Preset B admission review; family package size; audit trail on the desk."""

import pytest
from django.test import Client
from django.utils import timezone

from linli.communities.models import Building, Neighbourhood
from linli.communities.selectors import policy_in_force
from linli.members.models import AdmissionApplication, Notice
from linli.members.selectors import membership_current
from linli.members.services import (
    admission_apply,
    admission_decide,
    fee_payment_confirm,
    member_skills,
)
from linli.members.services.admission import AdmissionDecided, AdmissionRequired
from tests.factories import make_role, make_user
from tests.members.conftest import join
from tests.members.test_fees import apply, verified


def test_preset_b_needs_review_before_paying(community_b):
    assert policy_in_force(community=community_b).admission_review_required
    operator = make_user()
    make_role(operator, community_b, "operator")
    member = verified(community_b, approve=False)
    with pytest.raises(AdmissionRequired):
        apply(member)
    application = admission_apply(
        member=member, interests="书法", skills=["修电脑", " 做饭 ", ""], willing_to_serve=True
    )
    with pytest.raises(AdmissionDecided):
        admission_apply(member=member, interests="", skills=[], willing_to_serve=False)
    admission_decide(application=application, approve=True, reason="欢迎", actor=operator)
    with pytest.raises(AdmissionDecided):
        admission_decide(application=application, approve=False, reason="x", actor=operator)
    assert member_skills(member=member) == ["修电脑", "做饭"]
    assert Notice.objects.filter(member=member, kind="admission_decided").exists()
    assert apply(member).status == "awaiting_payment"


def test_review_through_the_desk(community_b):
    operator = make_user()
    make_role(operator, community_b, "operator")
    member = verified(community_b, approve=False)
    client = Client()
    client.force_login(member.user)
    client.post(
        "/me/membership/",
        {"action": "admission", "interests": "跳舞", "skills": "理发，按摩", "willing": "on"},
    )
    application = AdmissionApplication.objects.get()
    assert application.skills == ["理发", "按摩"]
    desk = Client()
    desk.force_login(operator)
    url = f"/c/{community_b.slug}/ops/members/"
    page = desk.post(url, {"action": "decline", "application": application.id, "reason": ""})
    assert b'data-testid="error"' in page.content  # a reason is required
    desk.post(url, {"action": "decline", "application": application.id, "reason": "名额已满"})
    application.refresh_from_db()
    assert application.status == "rejected" and application.decided_by == operator
    assert b"admission.decide" in desk.get(url).content  # the audit trail shows it


def test_family_package_covers_up_to_its_size(community_b):
    operator = make_user()
    make_role(operator, community_b, "operator")
    hood = Neighbourhood.objects.create(community=community_b, name="园")
    building = Building.objects.create(community=community_b, neighbourhood=hood, name="1")
    payer = verified(community_b, approve=False, building=building, unit_label="9")
    size = policy_in_force(community=community_b).family_package_max_members
    others = [join(community_b, building=building, unit_label="9") for _ in range(size)]
    application = admission_apply(member=payer, interests="", skills=[], willing_to_serve=False)
    admission_decide(application=application, approve=True, reason="ok", actor=operator)
    membership = apply(payer, plan="family")
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key="f",
        actor=operator,
    )
    today = timezone.localdate()
    covered = [membership_current(member=m, today=today) is not None for m in others]
    assert covered == [True] * (size - 1) + [False]
