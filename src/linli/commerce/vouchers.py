"""Platform vouchers (美团/抖音 团购券) as a part of a sale's payment.

The member bought a voucher on Meituan or Douyin; the platform pays the shop for it outside
Linli, as a customer pays cash outside Linli. So a voucher part is posted exactly like cash:
from the community's `cash_in` account (money that entered from outside the ledger) to the
shop's CNY account, and the shop pays commission and the community fund on it like on
cash. Its payment leg carries the reason "voucher" (not "payment"), so the receipt and the
shop's settlement tell the two apart, and the row `SaleVoucher` records the platform, the
code and the value. A refund reverses the voucher leg in proportion like any other leg; the
member gets the voucher part back through the platform, not from Linli (docs/commerce.md).
"""

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from linli.commerce import errors
from linli.commerce.voucher_models import SaleVoucher, VoucherPlatform
from linli.merchants.models import Merchant

CODE_PATTERN = re.compile(r"^[0-9A-Z]{4,40}$")
VOUCHER_REASON = "voucher"


@dataclass(frozen=True)
class VoucherIn:
    """What the cashier typed: the platform, the code, and the value in fen."""

    platform: str
    code: str
    value_fen: int


def code_normalised(code: Any) -> str:
    """Codes are read out or typed with spaces and dashes ("1234 5678-90"): compare them
    without, in capitals, so one voucher cannot be recorded twice by spelling it differently."""
    if not isinstance(code, str):
        raise errors.VoucherInvalid()
    return re.sub(r"[\s\-]", "", code).upper()


def voucher_checked(
    *, merchant: Merchant, voucher: VoucherIn | None, left_fen: int
) -> VoucherIn | None:
    """The voucher, cleaned and checked against what is left to pay; refused when its code
    is already recorded at this shop. None when the sale has no voucher."""
    if voucher is None:
        return None
    value = voucher.value_fen
    code = code_normalised(voucher.code)
    if (
        voucher.platform not in VoucherPlatform.values
        or not CODE_PATTERN.match(code)
        or not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value <= left_fen
    ):
        raise errors.VoucherInvalid()
    if SaleVoucher.objects.filter(
        merchant=merchant, platform=voucher.platform, code=code, released=False
    ).exists():
        raise errors.VoucherUsed()
    return VoucherIn(platform=voucher.platform, code=code, value_fen=value)


def voucher_record(*, sale: Any, voucher: VoucherIn | None) -> SaleVoucher | None:
    """Record the voucher with the sale (inside the sale's transaction); a concurrent sale
    that recorded the same code first makes this one fail as a whole."""
    if voucher is None:
        return None
    try:
        with transaction.atomic():
            return SaleVoucher.objects.create(
                community_id=sale.community_id,
                merchant_id=sale.merchant_id,
                sale=sale,
                platform=voucher.platform,
                code=voucher.code,
                value_fen=voucher.value_fen,
                created_at=sale.created_at,
            )
    except IntegrityError:
        raise errors.VoucherUsed() from None


def voucher_release(*, sale: Any) -> None:
    """An undone sale never happened: its voucher code may be recorded again."""
    SaleVoucher.objects.filter(sale=sale).update(released=True)


def voucher_of(sale: Any) -> SaleVoucher | None:
    return SaleVoucher.objects.filter(sale=sale).first()


def masked_code(code: str) -> str:
    """On receipts the code is shown by its last four characters only."""
    return "****" + code[-4:]
