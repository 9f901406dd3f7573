"""Membership fee receipts as PDF (issue 6: a receipt for every fee): the payment and the
refund with every ledger leg, for the member and oversight only."""

import pytest
from django.test import Client

from linli.commerce import receipt_pdf
from linli.communities.models import Role
from linli.communities.selectors import policy_in_force
from linli.members.services import fee_payment_confirm, membership_refund
from tests.commerce.test_receipts import page_count, pdf_text
from tests.factories import make_community, make_role, make_user
from tests.members.test_fees import apply, verified


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    client.force_login(user)
    return client


@pytest.fixture
def paid(community, operator):
    member = verified(community)
    membership = apply(member)
    fee_payment_confirm(
        membership=membership,
        amount_fen=policy_in_force(community=community).member_fee_fen,
        method="cash",
        idempotency_key="fee-1",
        actor=operator,
    )
    membership.refresh_from_db()
    return membership


def test_the_member_downloads_a_fee_receipt_with_payment_and_refund_legs(paid, operator):
    membership_refund(membership=paid, reason="搬家", actor=operator)
    member = _client(paid.member.user)
    mine = member.get("/me/membership/")
    url = f"/me/membership/{paid.id}/receipt.pdf"
    assert url.encode() in mine.content

    response = member.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-") and page_count(body) == 1
    if receipt_pdf.font_name() != receipt_pdf.CID_FALLBACK:
        assert b"/FontFile2" in body
        return
    text = pdf_text(body)
    fee = f"{paid.fee_fen // 100}.{paid.fee_fen % 100:02d}"
    assert paid.payment_reference in text and fee in text
    assert str(paid.payment.journal_id) in text
    assert text.count(" → ") >= 2  # the payment's leg and the refund's leg(s)
    assert paid.refund.journal_id is not None and str(paid.refund.journal_id) in text


@pytest.mark.parametrize(
    "who, status",
    [
        ("member", 200),
        ("operator", 200),
        ("auditor", 200),
        ("other_member", 404),
        ("other_community_operator", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_download_a_fee_receipt(paid, operator, community, who, status):
    users = {"member": paid.member.user, "operator": operator}
    if who == "other_member":
        users[who] = verified(community).user
    if who == "auditor":
        users[who] = make_user()
        make_role(users[who], community, Role.AUDITOR)
    if who == "other_community_operator":
        users[who] = make_user()
        make_role(users[who], make_community("B"), Role.OPERATOR)
    client = Client() if who == "anonymous" else _client(users[who])
    assert client.get(f"/me/membership/{paid.id}/receipt.pdf").status_code == status


def test_an_unpaid_membership_has_no_receipt(community):
    membership = apply(verified(community))
    response = _client(membership.member.user).get(f"/me/membership/{membership.id}/receipt.pdf")
    assert response.status_code == 404
