"""Membership fee receipts as PDF (issue 6: "an electronic receipt for every sale, refund
and fee … PDF with CJK fonts … with every leg explained"). The layout and the CJK font are
the sale receipts' (`linli.commerce.receipt_pdf`); this module says what a fee receipt
holds: the payment, any refund, and every leg of their ledger journals in words."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.commerce.receipt_pdf import PdfLine, pdf_render
from linli.communities.permissions import has_permission
from linli.ledger.display import amount_display
from linli.ledger.models import Account, AccountKind, Transfer
from linli.members.models import FeePayment, FeeRefund, Membership
from linli.members.selectors import member_for_user
from linli.members.services.fees import POINTS_METHOD

JOURNAL_TITLES = {
    "member.fee_paid": _("Membership fee paid"),
    "member.fee_paid_points": _("Membership fee paid with points"),
    "member.fee_refund": _("Membership fee refunded"),
}


def membership_for_receipt(*, user: Any, membership_id: int) -> Membership:
    """The member's own paid membership, or for oversight (operators, auditors) any paid
    membership of their community; anyone else: 404, as if there were none."""
    membership = (
        Membership.objects.filter(id=membership_id, payment__isnull=False)
        .select_related("community", "member", "payment")
        .first()
    )
    if membership is None or not getattr(user, "is_authenticated", False):
        raise Http404
    own = member_for_user(user=user)
    if own is not None and own.id == membership.member_id:
        return membership
    if has_permission(user=user, community=membership.community, action="member.view_all"):
        return membership
    raise Http404


def _account_name(account: Account, member_id: int) -> str:
    if account.owner_type == "member":
        return gettext("your wallet") if account.owner_id == member_id else gettext("a member")
    return str(AccountKind(account.kind).label) if account.kind in AccountKind.values else ""


def _journal_lines(journal_id: Any, member_id: int) -> list[PdfLine]:
    transfers = list(
        Transfer.objects.filter(journal_id=journal_id)
        .select_related("debit_account", "credit_account")
        .order_by("leg_no")
    )
    return [
        PdfLine(
            f"{_account_name(t.debit_account, member_id)} → "
            f"{_account_name(t.credit_account, member_id)}  "
            f"{amount_display(t.amount, t.asset_id)} {t.asset_id}",
            "leg",
        )
        for t in transfers
    ]


def _when(moment: Any) -> str:
    return date_format(localtime(moment), "Y-m-d H:i")


def fee_receipt_lines(membership: Membership) -> list[PdfLine]:
    payment: FeePayment = membership.payment
    lines = [
        PdfLine(membership.community.name, "title"),
        PdfLine(gettext("Membership fee receipt"), "heading"),
        PdfLine(f"{gettext('Member')}: {membership.member.display_name}"),
        PdfLine(f"{gettext('Plan')}: {membership.get_plan_display()}"),
        PdfLine(f"{gettext('Payment reference')}: {membership.payment_reference}"),
    ]
    if membership.starts_on and membership.ends_on:
        period = f"{membership.starts_on:%Y-%m-%d} – {membership.ends_on:%Y-%m-%d}"
        lines.append(PdfLine(f"{gettext('Membership year')}: {period}"))
    lines.append(PdfLine(f"{gettext('Status')}: {membership.get_status_display()}"))
    paid_by_points = payment.method == POINTS_METHOD
    title = JOURNAL_TITLES["member.fee_paid_points" if paid_by_points else "member.fee_paid"]
    lines.append(PdfLine(str(title), "heading"))
    lines.append(
        PdfLine(
            f"{gettext('Amount (yuan)')}: {amount_display(payment.amount_fen, 'CNY')} · "
            f"{payment.method} · {_when(payment.confirmed_at)}"
        )
    )
    lines += _journal_lines(payment.journal_id, membership.member_id)
    lines.append(PdfLine(f"{gettext('Ledger journal')}: {payment.journal_id}", "hint"))
    refund = FeeRefund.objects.filter(membership=membership).first()
    if refund is not None:
        lines.append(PdfLine(str(JOURNAL_TITLES["member.fee_refund"]), "heading"))
        lines.append(
            PdfLine(
                f"{gettext('Amount (yuan)')}: {amount_display(refund.amount_fen, 'CNY')} · "
                f"{_when(refund.at)}"
            )
        )
        if refund.journal_id is not None:
            lines += _journal_lines(refund.journal_id, membership.member_id)
            lines.append(PdfLine(f"{gettext('Ledger journal')}: {refund.journal_id}", "hint"))
    return lines


@login_required
def fee_receipt_pdf(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_for_receipt(user=request.user, membership_id=membership_id)
    title = f"{gettext('Membership fee receipt')} {membership.payment_reference}"
    body = pdf_render(title=title, lines=fee_receipt_lines(membership))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="linli-fee-receipt-{membership.id}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
