"""The electronic receipt as a PDF with CJK fonts (issue 6: "an electronic receipt for every
sale, refund and fee (page, PDF with CJK fonts, and a 58 mm layout) with every leg explained").

Two steps, so each can be checked on its own: `sale_receipt_lines` turns what the receipt
page shows into plain lines (the same translated words, every leg of the sale and of each
refund), and `pdf_render` lays lines out on A5 pages with reportlab.

Font: Noto Sans CJK from Debian's fonts-noto-cjk is tried first. reportlab embeds only
TrueType outlines, and the Debian .ttc carries PostScript (CFF) outlines, so on a stock
Debian machine reportlab refuses it and we fall back to Adobe's standard CID font
'STSong-Light' (UnicodeCIDFont): every PDF reader ships it or substitutes a Song face, the
file stays small, and the text stays searchable and copyable. A TrueType CJK font placed at
one of `TTF_CANDIDATES` (e.g. WenQuanYi Zen Hei) is embedded instead.
"""

from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
from reportlab.lib.pagesizes import A5
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

# (path, subfont index): index 2 of the Noto Sans CJK collection is Simplified Chinese.
TTF_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
CID_FALLBACK = "STSong-Light"
TTF_NAME = "LinliCJK"

MARGIN = 36  # points (half an inch)
SIZES = {"title": 16, "heading": 12, "text": 10, "leg": 9, "hint": 8}
LEADING = 1.45


@dataclass(frozen=True)
class PdfLine:
    """One line of the receipt as it will be printed; `style` picks the size."""

    text: str
    style: str = "text"


@lru_cache(maxsize=1)
def font_name() -> str:
    """Register the CJK font once per process and return its name."""
    for path, index in TTF_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(TTF_NAME, path, subfontIndex=index))
        except (TTFError, OSError, ValueError):  # CFF outlines, a broken file, no subfont
            continue
        return TTF_NAME
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


def _wrapped(text: str, font: str, size: int, width: float) -> list[str]:
    """Break a line by characters (Chinese has no spaces to break at) to fit `width`."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = char.lstrip() if char.isspace() else char
        else:
            current += char
    lines.append(current)
    return lines


def pdf_render(*, title: str, lines: list[PdfLine], compress: bool = True) -> bytes:
    """Lay the lines out top to bottom on A5 pages; a new page when one is full."""
    font = font_name()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A5, pageCompression=1 if compress else 0, invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor("Linli")
    canvas.setCreator("Linli")
    width, height = A5
    y = height - MARGIN
    for line in lines:
        size = SIZES.get(line.style, SIZES["text"])
        step = size * LEADING
        if line.style == "heading":
            y -= size * 0.5
        for piece in _wrapped(line.text, font, size, width - 2 * MARGIN):
            if y - step < MARGIN:
                canvas.showPage()
                y = height - MARGIN
            y -= step
            canvas.setFont(font, size)
            canvas.drawString(MARGIN, y, piece)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _leg_lines(lines: list[Any]) -> list[PdfLine]:  # selectors.ReceiptLine
    return [
        PdfLine(f"{line.reason}: {line.payer} → {line.payee}  {line.amount} {line.asset}", "leg")
        for line in lines
    ]


def sale_receipt_lines(context: dict[str, Any]) -> list[PdfLine]:
    """The receipt page's content (views.receipt's context) as printable lines, in the
    active language: the same words as the page, every leg of the sale and of each refund."""
    sale = context["sale"]
    lines = [
        PdfLine(str(context["community"].name), "title"),
        PdfLine(sale.merchant.name, "heading"),
        PdfLine(
            f"{gettext('Receipt')} {sale.request_no} · "
            f"{date_format(localtime(sale.created_at), 'Y-m-d H:i')} · "
            f"{sale.get_source_display()}"
        ),
        PdfLine(f"{gettext('Member')}: {context['member_name']}"),
        PdfLine(f"{gettext('Amount (yuan)')}: {context['amount']}"),
        PdfLine(
            f"{gettext('Paid in cash (yuan)')}: {context['cash']} · "
            f"{gettext('Time coins')}: {context['coins']} · {gettext('Points')}: {sale.points}"
        ),
    ]
    for extra in context.get("pdf_extra", []):
        lines.append(PdfLine(extra))
    status = f"{gettext('Status')}: {sale.get_status_display()}"
    if sale.refunded_fen:
        status += f" · {gettext('Refunded (yuan)')}: {context['refunded']}"
    lines.append(PdfLine(status))
    lines.append(PdfLine(gettext("Every leg of this sale"), "heading"))
    lines += _leg_lines(context["lines"])
    for refund, refund_lines in context["refunds"]:
        when = date_format(localtime(refund.created_at), "Y-m-d H:i")
        lines.append(PdfLine(f"{refund.get_kind_display()} · {when}", "heading"))
        lines.append(PdfLine(f"{gettext('Amount (yuan)')}: {context['refund_amounts'][refund.id]}"))
        lines += _leg_lines(refund_lines)
    lines.append(PdfLine(f"{gettext('Ledger journal')}: {sale.journal_id}", "hint"))
    return lines
