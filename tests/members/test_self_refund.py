"""A member's own no-reason refund: service, page (with its confirm step) and API."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from linli.communities.audit import AuditEntry
from linli.ledger.models import AccountKind, Journal
from linli.members import errors
from linli.members.models import FeeRefund, Membership, MembershipStatus, Notice
from linli.members.services import membership_refund_self, self_refund_quote
from tests.members.test_fees import _paid, balance


def _paid_long_ago(community, operator):
    """Paid eight days ago: the no-reason window (7 days in preset A) is over."""
    membership = _paid(community, operator)
    Membership.objects.filter(pk=membership.pk).update(
        paid_at=membership.paid_at - timedelta(days=8)
    )
    membership.refresh_from_db()
    return membership


def test_the_payer_gets_the_whole_fee_back_from_escrow(community, operator):
    membership = _paid(community, operator)
    member = membership.member
    assert self_refund_quote(member=member, membership=membership) == membership.fee_fen
    refund = membership_refund_self(member=member, membership=membership)
    assert refund.is_full and refund.amount_fen == membership.fee_fen
    assert balance(community, AccountKind.FEE_ESCROW) == 0
    assert balance(community, AccountKind.CASH_OUT) == membership.fee_fen
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REFUNDED
    audit = AuditEntry.objects.get(action="membership.refund")
    assert audit.actor_id == member.user_id
    assert Notice.objects.filter(member=member, kind="fee_refunded").exists()
    with pytest.raises(errors.NotRefundable):  # a second click posts nothing
        membership_refund_self(member=member, membership=membership)
    assert Journal.objects.filter(code="member.fee_refund").count() == 1


def test_after_the_window_the_member_is_sent_to_the_counter(community, operator):
    membership = _paid(community, operator)
    later = membership.paid_at + timedelta(days=7)
    with pytest.raises(errors.RefundWindowClosed):
        membership_refund_self(member=membership.member, membership=membership, now=later)
    assert not FeeRefund.objects.exists()
    assert not Journal.objects.filter(code="member.fee_refund").exists()


def test_nobody_refunds_another_members_fee(community, operator):
    mine, theirs = _paid(community, operator), _paid(community, operator)
    with pytest.raises(errors.NotYourMembership):
        membership_refund_self(member=mine.member, membership=theirs)
    theirs.refresh_from_db()
    assert theirs.status == MembershipStatus.ACTIVE


def test_free_and_unpaid_memberships_are_not_refunded(community, operator):
    from tests.members.test_fees import apply, verified

    awaiting = apply(verified(community))
    with pytest.raises(errors.NotRefundable):
        membership_refund_self(member=awaiting.member, membership=awaiting)


def test_the_page_asks_before_it_refunds(community, operator):
    membership = _paid(community, operator)
    client = Client()
    client.force_login(membership.member.user)
    page = client.get("/me/membership/").content.decode()
    assert 'data-testid="refund-ask"' in page and 'value="refund"' not in page
    confirm = client.get("/me/membership/?confirm=refund").content.decode()
    assert 'data-testid="refund-confirm"' in confirm
    assert f"{membership.fee_fen // 100}.{membership.fee_fen % 100:02d}" in confirm
    done = client.post(
        "/me/membership/", {"action": "refund", "membership": membership.id}, follow=True
    )
    assert "会员费" in done.content.decode() and "已退还" in done.content.decode()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REFUNDED
    assert 'data-testid="refund-ask"' not in client.get("/me/membership/").content.decode()


@pytest.mark.parametrize("membership_field", ["other", "9" * 30, "-1", "x", ""])
def test_the_page_refuses_a_membership_that_is_not_mine(community, operator, membership_field):
    mine, theirs = _paid(community, operator), _paid(community, operator)
    value = theirs.id if membership_field == "other" else membership_field
    client = Client()
    client.force_login(mine.member.user)
    answer = client.post("/me/membership/", {"action": "refund", "membership": value})
    assert answer.status_code == 200 and 'data-testid="error"' in answer.content.decode()
    assert not FeeRefund.objects.exists()


def test_the_page_shows_why_when_the_window_is_over(community, operator):
    membership = _paid_long_ago(community, operator)
    client = Client()
    client.force_login(membership.member.user)
    page = client.get("/me/membership/").content.decode()
    assert 'data-testid="refund-closed"' in page and 'data-testid="refund-ask"' not in page
    answer = client.post("/me/membership/", {"action": "refund", "membership": membership.id})
    assert "无理由退款期已过" in answer.content.decode()
    assert not FeeRefund.objects.exists()


def test_the_api_refunds_mine_once_and_never_theirs(community, operator):
    mine, theirs = _paid(community, operator), _paid(community, operator)
    client = Client()
    client.force_login(mine.member.user)
    url = "/api/v1/members/me/memberships/{}/refund"
    other = client.post(url.format(theirs.id), "{}", content_type="application/json")
    assert other.status_code == 404
    done = client.post(url.format(mine.id), "{}", content_type="application/json")
    assert done.status_code == 200, done.content
    assert json.loads(done.content) == {
        "membership_id": mine.id,
        "amount_fen": mine.fee_fen,
        "is_full": True,
    }
    again = client.post(url.format(mine.id), "{}", content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "not_refundable"
    assert client.post(url.format(2**63), "{}", content_type="application/json").status_code in (
        404,
        422,
    )


def test_the_api_says_when_the_window_is_over(community, operator):
    membership = _paid_long_ago(community, operator)
    client = Client()
    client.force_login(membership.member.user)
    answer = client.post(
        f"/api/v1/members/me/memberships/{membership.id}/refund",
        "{}",
        content_type="application/json",
    )
    assert answer.status_code == 409 and answer.json()["code"] == "refund_window_closed"
