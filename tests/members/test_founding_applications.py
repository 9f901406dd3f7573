"""Founding places applied for online: a resident applies (text only with its consent),
sees the status; an operator reviews (search, paging) and approves through the grant
service or rejects with a reason; the applicant is told in the inbox; all audited."""

import json
import string

import pytest
from django.test import Client

from linli.communities.models import AuditEntry, Role
from linli.communities.services import policy_version_create
from linli.members import errors
from linli.members.models import Consent, FoundingApplication, Member, Notice
from linli.members.selectors import FOUNDING_PAGE_SIZE, founding_applications
from linli.members.services import (
    founding_apply,
    founding_decide,
    founding_grant,
    member_close,
)
from tests.factories import make_community, make_role, make_user
from tests.members.conftest import join
from tests.members.test_fees import apply, verified

API = "/api/v1/members"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _cap(community, most):
    policy_version_create(
        community=community, changes={"founding_members_max": most}, actor=None, reason="test"
    )


def test_apply_records_the_consent_and_approval_grants_the_place(community, operator):
    member = verified(community)
    application = founding_apply(
        member=member, motivation="想帮邻居", contribution="组织读书会", consents=True
    )
    assert application.status == "pending"
    assert Consent.objects.filter(member=member, purpose="founding", granted=True).count() == 1
    decided = founding_decide(
        application=application, approve=True, reason="读书会组织者", actor=operator
    )
    member.refresh_from_db()
    assert decided.status == "approved" and decided.decided_by == operator
    assert member.is_founding and member.founding_reason == "读书会组织者"
    notice = Notice.objects.get(member=member, kind="founding_approved")
    assert notice.params == {"reason": "读书会组织者"}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"founding.apply", "founding.decide", "member.founding_grant"} <= actions
    membership = apply(member)  # preset A: the founding year is free (A§5)
    assert membership.plan == "founding" and membership.fee_fen == 0


def test_an_application_without_text_needs_no_consent(community):
    member = join(community)
    founding_apply(member=member, motivation="", contribution="  ", consents=False)
    assert not Consent.objects.filter(member=member, purpose="founding").exists()


@pytest.mark.parametrize(
    ("motivation", "contribution", "consents", "error"),
    [
        ("想帮忙", "", False, errors.FoundingTextConsentRequired),
        ("x" * 501, "", True, errors.FoundingApplicationInvalid),
        ("", "a\x00b", True, errors.FoundingApplicationInvalid),
        (None, "", True, errors.FoundingApplicationInvalid),
        (["list"], "", True, errors.FoundingApplicationInvalid),
    ],
)
def test_bad_applications_change_nothing(community, motivation, contribution, consents, error):
    member = join(community)
    with pytest.raises(error):
        founding_apply(
            member=member, motivation=motivation, contribution=contribution, consents=consents
        )
    assert not FoundingApplication.objects.exists()
    assert not Consent.objects.filter(purpose="founding").exists()


def test_one_waiting_application_and_none_for_founders_or_when_full(community, operator):
    member = join(community)
    founding_apply(member=member, motivation="", contribution="", consents=False)
    with pytest.raises(errors.FoundingApplicationPending):
        founding_apply(member=member, motivation="", contribution="", consents=False)
    founder = join(community)
    founding_grant(member=founder, reason="楼长", actor=operator)
    with pytest.raises(errors.AlreadyFounding):
        founding_apply(member=founder, motivation="", contribution="", consents=False)
    _cap(community, 1)
    with pytest.raises(errors.FoundingPlacesTaken):
        founding_apply(member=join(community), motivation="", contribution="", consents=False)
    assert FoundingApplication.objects.count() == 1


def test_rejection_needs_a_reason_and_tells_the_applicant(community, operator):
    member = join(community)
    application = founding_apply(member=member, motivation="", contribution="", consents=False)
    for reason in ("", "  ", "x" * 501, None):
        with pytest.raises(errors.FoundingApplicationInvalid):
            founding_decide(application=application, approve=False, reason=reason, actor=operator)
    decided = founding_decide(
        application=application, approve=False, reason="名额留给楼长", actor=operator
    )
    member.refresh_from_db()
    assert decided.status == "rejected" and not member.is_founding
    assert Notice.objects.get(member=member, kind="founding_rejected").params == {
        "reason": "名额留给楼长"
    }
    with pytest.raises(errors.FoundingApplicationDecided):
        founding_decide(application=application, approve=True, reason="改主意", actor=operator)
    member.refresh_from_db()
    assert not member.is_founding
    # after a rejection the member may apply again
    founding_apply(member=member, motivation="", contribution="", consents=False)


def test_approving_when_the_places_are_gone_changes_nothing(community, operator):
    _cap(community, 1)
    first, second = join(community), join(community)
    a = founding_apply(member=first, motivation="", contribution="", consents=False)
    b = founding_apply(member=second, motivation="", contribution="", consents=False)
    founding_decide(application=a, approve=True, reason="先到", actor=operator)
    with pytest.raises(errors.FoundingPlacesTaken):
        founding_decide(application=b, approve=True, reason="后到", actor=operator)
    b.refresh_from_db()
    second.refresh_from_db()
    assert b.status == "pending" and not second.is_founding
    assert not Notice.objects.filter(member=second, kind="founding_approved").exists()


def test_closing_the_account_wipes_the_application_text(community):
    member = join(community)
    founding_apply(member=member, motivation="私事", contribution="修电脑", consents=True)
    member_close(member=member)
    application = FoundingApplication.objects.get(member=member)
    assert application.motivation == "" and application.contribution == ""


def test_the_queue_searches_filters_and_pages(community, operator):
    names = [f"Neighbour-{letter}" for letter in string.ascii_lowercase]
    people = [join(community, display_name=names[i]) for i in range(FOUNDING_PAGE_SIZE + 2)]
    for person in people:
        founding_apply(member=person, motivation="", contribution="", consents=False)
    first = founding_applications(community=community)
    assert first.count == FOUNDING_PAGE_SIZE + 2 and first.pages == 2 and first.page == 1
    assert len(first.items) == FOUNDING_PAGE_SIZE
    second = founding_applications(community=community, page=99)  # clamped to the last
    assert second.page == 2 and len(second.items) == 2
    by_number = founding_applications(community=community, query=str(people[3].id))
    assert [a.member_id for a in by_number.items] == [people[3].id]
    by_name = founding_applications(community=community, query="NEIGHBOUR-B")
    assert [a.member_id for a in by_name.items] == [people[1].id]
    assert founding_applications(community=community, status="approved").count == 0
    assert founding_applications(community=community, status="nonsense").count == len(people)
    other = make_community("B")
    assert founding_applications(community=other).count == 0


def test_the_api_applies_shows_the_status_reviews_and_decides(community, operator):
    member = verified(community)
    mine = Client()
    mine.force_login(member.user)
    assert mine.get(f"{API}/me/founding-application").status_code == 404
    refused = _post(mine, f"{API}/me/founding-application", {"motivation": "想帮忙"})
    assert refused.status_code == 400 and refused.json()["code"] == "consent_required"
    assert set(refused.json()["message"]) == {"zh-hans", "en"}
    for bad in ({"motivation": 5}, {"motivation": "x" * 501}, {"consents": "maybe"}):
        assert _post(mine, f"{API}/me/founding-application", bad).status_code in (400, 422)
    sent = _post(
        mine,
        f"{API}/me/founding-application",
        {"motivation": "想帮忙", "contribution": "修自行车", "consents": True},
    )
    assert sent.status_code == 201, sent.content
    again = _post(mine, f"{API}/me/founding-application", {})
    assert again.status_code == 409 and again.json()["code"] == "founding_application_pending"
    assert mine.get(f"{API}/me/founding-application").json()["status"] == "pending"

    staff = Client()
    staff.force_login(operator)
    base = f"{API}/communities/{community.slug}/founding-applications"
    queue = staff.get(f"{base}?q={member.id}").json()
    assert queue["count"] == 1 and queue["items"][0]["contribution"] == "修自行车"
    assert staff.get(f"{base}?page=0").status_code == 422
    assert staff.get(f"{base}?status=other").status_code == 422
    application_id = queue["items"][0]["id"]
    no_reason = _post(staff, f"{base}/{application_id}/decision", {"approve": True, "reason": ""})
    assert no_reason.status_code == 422
    unknown = _post(staff, f"{base}/999999/decision", {"approve": True, "reason": "x"})
    assert unknown.status_code == 404
    done = _post(staff, f"{base}/{application_id}/decision", {"approve": True, "reason": "热心"})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    replay = _post(staff, f"{base}/{application_id}/decision", {"approve": False, "reason": "x"})
    assert replay.status_code == 409 and replay.json()["code"] == "founding_application_decided"
    assert mine.get(f"{API}/me/founding-application").json()["reason"] == "热心"
    assert mine.get(f"{API}/me").json()["is_founding"]


def test_the_api_keeps_communities_and_roles_apart(community, operator):
    member = join(community)
    application = founding_apply(member=member, motivation="", contribution="", consents=False)
    elsewhere = make_community("B")
    other_operator = make_user()
    make_role(other_operator, elsewhere, Role.OPERATOR)
    client = Client()
    client.force_login(other_operator)
    url = f"{API}/communities/{elsewhere.slug}/founding-applications/{application.id}/decision"
    assert _post(client, url, {"approve": True, "reason": "x"}).status_code == 404
    own = f"{API}/communities/{community.slug}/founding-applications"
    assert client.get(own).status_code == 403
    for role in (Role.MEMBER, Role.AUDITOR, Role.MERCHANT_OWNER, Role.CASHIER):
        user = make_user()
        make_role(user, community, role)
        client.force_login(user)
        assert client.get(own).status_code == 403
        yes = {"approve": True, "reason": "x"}
        decision = _post(client, f"{own}/{application.id}/decision", yes)
        assert decision.status_code == 403
    assert not Member.objects.get(pk=member.pk).is_founding
    anonymous = _post(Client(), f"{API}/me/founding-application", {})
    assert anonymous.status_code in (401, 403)


def test_the_page_applies_shows_the_status_and_reviews(community, operator):
    member = join(community)
    mine = Client()
    mine.force_login(member.user)
    url = f"/c/{community.slug}/founding/"
    page = mine.get(url).content.decode()
    assert 'data-testid="founding-apply"' in page and 'data-testid="founding-review"' not in page
    no_consent = mine.post(url, {"action": "apply", "motivation": "想帮忙"}).content.decode()
    assert 'data-testid="error"' in no_consent and "想帮忙" in no_consent  # kept in the form
    sent = mine.post(
        url, {"action": "apply", "motivation": "想帮忙", "consents": "on"}, follow=True
    )
    assert 'data-testid="application-status"' in sent.content.decode()
    # a member cannot review, even by posting the form
    application = FoundingApplication.objects.get(member=member)
    mine.post(url, {"action": "approve", "application": application.id, "reason": "me"})
    application.refresh_from_db()
    assert application.status == "pending"

    staff = Client()
    staff.force_login(operator)
    review = staff.get(url).content.decode()
    assert review.count('data-testid="founding-application"') == 1 and "想帮忙" in review
    staff.post(url, {"action": "reject", "application": application.id, "reason": "暂不"})
    page = mine.get(url).content.decode()
    assert "暂不" in page and 'data-testid="founding-apply"' in page  # may apply again
    missing = staff.post(url, {"action": "approve", "application": "abc", "reason": "x"})
    assert 'data-testid="error"' in missing.content.decode()
