"""Receipts as PDF with CJK fonts (issue 6): every leg of the sale and of each refund, and
the same viewers as the receipt page (the member, the shop's staff, oversight)."""

import base64
import re
import zlib

import pytest
from django.test import Client

from linli.commerce import receipt_pdf
from linli.commerce.models import Sale
from linli.commerce.services import sale_consume, sale_refund
from linli.communities.models import Role
from tests.commerce.conftest import code_of, fund
from tests.factories import make_community, make_member, make_merchant, make_role, make_user


def _client(user, language: str = "zh-hans") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def _streams(pdf: bytes) -> list[bytes]:
    """Every stream of the PDF, decoded (reportlab writes ASCII85 + Flate, or nothing)."""
    out = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        header, data = match.group(1), match.group(2).strip()
        if b"/ASCII85Decode" in header:
            data = base64.a85decode(data.removesuffix(b"~>"))
        if b"/FlateDecode" in header:
            data = zlib.decompress(data)
        out.append(data)
    return out


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes with its escapes undone (octal, \\n, \\(, \\\\ …)."""
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            nxt = raw[i + 1 : i + 2]
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += raw[i : i + 1]
        i += 1
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """The text drawn with the CJK CID font (UTF-16BE strings shown with Tj), in drawing
    order and without line breaks, so a line the layout wrapped reads as one."""
    shown = []
    for stream in _streams(pdf):
        for match in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            shown.append(_literal(match.group(1)).decode("utf-16-be"))
    return "".join(shown)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?![s\w])", pdf))


def _sale_with_refund(shop) -> Sale:
    fund(shop.buyer, "TIME", 10_000)
    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="R-100",
        code=code_of(shop.buyer),
        amount_fen=10_000,
        coin_units=4_000,
    )
    sale_refund(sale=sale, actor=shop.merchant.owner, request_no="rf-1", amount_fen=2_500)
    sale.refresh_from_db()
    return sale


def _pdf_url(sale) -> str:
    return f"/c/{sale.community.slug}/receipts/{sale.id}/pdf/"


def test_the_pdf_explains_every_leg_of_the_sale_and_its_refund_in_chinese(shop_a):
    sale = _sale_with_refund(shop_a)
    member = _client(shop_a.buyer.user)
    page = member.get(f"/c/{shop_a.community.slug}/receipts/{sale.id}/")
    assert _pdf_url(sale).encode() in page.content  # the download link on the receipt page

    response = member.get(_pdf_url(sale))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert page_count(body) == 1
    if receipt_pdf.font_name() != receipt_pdf.CID_FALLBACK:  # a TrueType CJK font: embedded
        assert b"/FontFile2" in body
        return
    assert b"/BaseFont /STSong-Light" in body and b"/UniGB-UCS2-H" in body
    text = pdf_text(body)
    assert "小票 R-100" in text and "王**" in text and "100.00" in text
    sale_lines = page.context["lines"]
    ((_refund, refund_lines),) = page.context["refunds"]
    assert len(sale_lines) == 9 and len(refund_lines) >= 8  # every leg, both journals
    for line in [*sale_lines, *refund_lines]:
        assert f"{line.reason}: {line.payer} → {line.payee}  {line.amount} {line.asset}" in text
    assert "平台佣金" in text and "您的钱包" in text
    assert "25.00" in text  # the refund's amount
    assert str(sale.journal_id) in text


def test_the_pdf_follows_the_viewers_language(shop_a):
    sale = _sale_with_refund(shop_a)
    body = _client(shop_a.buyer.user, "en").get(_pdf_url(sale)).content
    if receipt_pdf.font_name() == receipt_pdf.CID_FALLBACK:
        text = pdf_text(body)
        assert "Receipt R-100" in text and "platform commission" in text


def test_a_long_receipt_runs_onto_more_pages_and_wraps_long_lines():
    lines = [receipt_pdf.PdfLine(f"第{i}行 line {i}") for i in range(100)]
    assert page_count(receipt_pdf.pdf_render(title="t", lines=lines)) == 3  # 36 lines a page
    assert page_count(receipt_pdf.pdf_render(title="t", lines=lines[:1])) == 1
    long = "很长的一行" * 40  # 200 characters: more than one A5 line can hold
    pieces = receipt_pdf._wrapped(long, receipt_pdf.font_name(), 10, 348)
    assert len(pieces) > 1 and "".join(pieces) == long


# The receipt's permission table: page and PDF answer the same to every viewer.
@pytest.mark.parametrize(
    "who, status",
    [
        ("member", 200),  # their own sale
        ("cashier", 200),  # of the shop that sold
        ("owner", 200),
        ("operator", 200),  # oversight: receipt.view_any
        ("auditor", 200),
        ("other_member", 404),
        ("other_shop_owner", 404),
        ("other_community_operator", 404),
        ("anonymous", 302),  # to the login page
    ],
)
def test_who_may_download_the_receipt(shop_a, who, status):
    sale = _sale_with_refund(shop_a)
    users = {
        "member": shop_a.buyer.user,
        "cashier": shop_a.cashier,
        "owner": shop_a.merchant.owner,
        "other_member": make_member(shop_a.community).user,
        "other_shop_owner": make_merchant(shop_a.community, "pharmacy").owner,
    }
    if who in ("operator", "auditor", "other_community_operator"):
        users[who] = make_user()
        where = make_community("A") if who == "other_community_operator" else shop_a.community
        make_role(users[who], where, Role.AUDITOR if who == "auditor" else Role.OPERATOR)
    client = Client() if who == "anonymous" else _client(users[who])
    pdf = client.get(_pdf_url(sale))
    page = client.get(f"/c/{shop_a.community.slug}/receipts/{sale.id}/")
    assert (pdf.status_code, page.status_code) == (status, status)
    if status == 200:
        assert pdf.content.startswith(b"%PDF-")
    api = client.get(
        f"/api/v1/commerce/communities/{shop_a.community.slug}/sales/{sale.id}/receipt.pdf"
    )
    assert (api.status_code == 200) == (status == 200)
    if status == 200:
        assert api["Content-Type"] == "application/pdf" and api.content.startswith(b"%PDF-")


def test_nasty_receipt_ids_are_not_found(shop_a):
    sale = _sale_with_refund(shop_a)
    member = _client(shop_a.buyer.user)
    for tail in ("0/pdf/", "99999999999/pdf/", f"{sale.id + 1000}/pdf/"):
        assert member.get(f"/c/{shop_a.community.slug}/receipts/{tail}").status_code == 404
    api = f"/api/v1/commerce/communities/{shop_a.community.slug}/sales/abc/receipt.pdf"
    assert member.get(api).status_code in (400, 404, 422)
