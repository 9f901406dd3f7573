"""What the receipt shows beyond the legs (issue 6, receipts): the platform voucher that
paid part of the sale and the commission rate the shop's grade set. Shared by the receipt
page, its 58 mm layout and its PDF."""

from typing import Any

from django.utils.translation import gettext

from linli.commerce.vouchers import masked_code, voucher_of
from linli.ledger.display import amount_display


def rate_display(bp: int) -> str:
    """Basis points as a percentage with two decimals: 250 → "2.50%"."""
    return f"{bp // 100}.{bp % 100:02d}%"


def receipt_extra_context(*, sale: Any) -> dict[str, Any]:
    voucher = voucher_of(sale)
    extras: dict[str, Any] = {"voucher": None, "commission_rate": ""}
    pdf_lines: list[str] = []
    if voucher is not None:
        extras["voucher"] = {
            "platform": voucher.get_platform_display(),
            "code": masked_code(voucher.code),
            "amount": amount_display(voucher.value_fen, "CNY"),
        }
        pdf_lines.append(
            f"{gettext('Paid by platform voucher (yuan)')}: {extras['voucher']['amount']} · "
            f"{extras['voucher']['platform']} {extras['voucher']['code']}"
        )
    if sale.commission_bp is not None:
        extras["commission_rate"] = rate_display(sale.commission_bp)
        pdf_lines.append(f"{gettext('Platform commission rate')}: {extras['commission_rate']}")
    extras["pdf_extra"] = pdf_lines
    return extras
