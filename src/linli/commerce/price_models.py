"""Member prices at the till (会员价, A§2.1 "95折起", B§1.3 "低于市场价10%-30%") and the
interest groups tied to a trade (B§2.3 "小组满10人享额外折扣"). Imported by `models.py`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.members.models import InterestGroup
from linli.merchants.models import Industry, Merchant


class MemberPrice(models.Model):
    """The member discount a merchant chose, inside the policy's range when it was set (the
    till re-checks the range in force, so a narrowed policy applies at once)."""

    merchant = models.OneToOneField(Merchant, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    discount_bp = models.PositiveIntegerField(_("member discount (bp)"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("member price")
        verbose_name_plural = _("member prices")
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_bp__lte=10_000), name="member_price_bp_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.discount_bp} bp"


class GroupTrade(models.Model):
    """An interest group tied to a trade: its members get the policy's extra discount at
    that trade's merchants once the group is large enough."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(InterestGroup, on_delete=models.PROTECT, related_name="+")
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "industry"], name="group_trade_once")
        ]

    def __str__(self) -> str:
        return f"{self.group_id} → {self.industry_id}"


class SalePrice(models.Model):
    """What a sale's amount was before the member and group discounts (the receipt and a
    retry with the same request_no both need the amount the cashier typed)."""

    sale = models.OneToOneField("commerce.Sale", on_delete=models.PROTECT, related_name="price")
    list_fen = models.PositiveBigIntegerField()
    member_discount_fen = models.PositiveBigIntegerField()
    group_discount_fen = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(member_discount_fen__lte=models.F("list_fen")),
                name="sale_price_discount_le_list",
            )
        ]

    def __str__(self) -> str:
        return f"sale {self.sale_id} list {self.list_fen}"
