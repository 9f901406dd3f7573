"""A platform voucher (美团/抖音 团购券) as one recorded part of a sale's payment (issue 6:
"the member chooses the mix: cash, an external platform voucher (美团/抖音 code, recorded)").
The rule for the ledger is in `linli.commerce.vouchers`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.merchants.models import Merchant


class VoucherPlatform(models.TextChoices):
    MEITUAN = "meituan", _("Meituan")
    DOUYIN = "douyin", _("Douyin")
    OTHER = "other", _("another platform")


class SaleVoucher(models.Model):
    """The voucher a cashier recorded on a sale: which platform, its code, its value.

    One code is used once per shop (the partial unique constraint holds it under
    concurrency); an undone sale releases its code so the cashier can ring the sale again."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    sale = models.OneToOneField("commerce.Sale", on_delete=models.PROTECT, related_name="voucher")
    platform = models.CharField(_("platform"), max_length=10, choices=VoucherPlatform.choices)
    code = models.CharField(_("voucher code"), max_length=40)
    value_fen = models.PositiveBigIntegerField(_("voucher value (fen)"))
    released = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("platform voucher")
        verbose_name_plural = _("platform vouchers")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "platform", "code"],
                condition=Q(released=False),
                name="voucher_code_once_per_merchant",
            ),
            models.CheckConstraint(condition=Q(value_fen__gt=0), name="voucher_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.code}"
