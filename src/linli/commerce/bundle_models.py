"""Bundles (打包套餐, A§2.2): several merchants' items sold together below their total.

Imported by `models.py` so the app registry sees them; kept apart so parallel work on the
sale models does not collide. Money lives in the ledger only: an order is ONE journal of
holds on the member's wallet (one hold per piece, member → that piece's merchant), each
posted when its piece is redeemed and voided at expiry (docs/bundles.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community, PolicyVersion
from linli.members.models import Member
from linli.merchants.models import Merchant


class ShareRule(models.TextChoices):
    PROPORTIONAL = "proportional", _("in proportion to list prices")
    FIXED = "fixed", _("fixed shares set by the operator")


class Bundle(models.Model):
    """What the operator composed: a price, the items, how long a bought bundle is valid."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    price_fen = models.PositiveBigIntegerField(_("bundle price (fen)"))
    list_total_fen = models.PositiveBigIntegerField(_("items' total (fen)"))
    share_rule = models.CharField(max_length=16, choices=ShareRule.choices)
    valid_days = models.PositiveSmallIntegerField(_("days to redeem after purchase"))
    on_sale = models.BooleanField(default=True)
    # Set when a merchant's exit notice stopped the sale (issue 5), so a withdrawn notice
    # puts back on sale these bundles and only these (not one the operator withdrew).
    exit_paused_at = models.DateTimeField(null=True, blank=True)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_fen__gte=1) & Q(price_fen__lt=F("list_total_fen")),
                name="bundle_price_below_total",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BundleItem(models.Model):
    """One merchant's piece of a bundle; `share_weight` is its list price (proportional
    rule) or its share in basis points (fixed rule)."""

    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="items")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("item"), max_length=100)
    list_price_fen = models.PositiveBigIntegerField(_("list price (fen)"))
    share_weight = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "position"], name="bundle_item_position"),
            models.CheckConstraint(
                condition=Q(list_price_fen__gte=1), name="bundle_item_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OrderStatus(models.TextChoices):
    OPEN = "open", _("open")
    COMPLETED = "completed", _("all redeemed")
    EXPIRED = "expired", _("expired")


class BundleOrder(models.Model):
    """A member's purchase: the asset paid, the one journal of holds, when it expires."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="orders")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="bundle_orders")
    request_no = models.CharField(max_length=64)
    asset = models.CharField(max_length=4)
    units = models.PositiveBigIntegerField()
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    journal_id = models.UUIDField(unique=True)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bundle order")
        verbose_name_plural = _("bundle orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "request_no"], name="bundle_order_once"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="bundle_order_expiry_idx")]

    def __str__(self) -> str:
        return f"bundle order {self.id}"


class PieceStatus(models.TextChoices):
    OPEN = "open", _("to redeem")
    REDEEMED = "redeemed", _("redeemed")
    REFUNDED = "refunded", _("expired, returned to you")


class BundlePiece(models.Model):
    """One piece of an order, redeemable once, at its merchant only, with its code."""

    order = models.ForeignKey(BundleOrder, on_delete=models.PROTECT, related_name="pieces")
    item = models.ForeignKey(BundleItem, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=12)
    units = models.PositiveBigIntegerField()
    hold_id = models.UUIDField(unique=True)
    status = models.CharField(max_length=10, choices=PieceStatus.choices)
    resolved_journal_id = models.UUIDField(null=True, blank=True, unique=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="bundle_piece_code"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(resolved_journal_id__isnull=False),
                name="bundle_piece_resolved_by_journal",
            ),
        ]

    def __str__(self) -> str:
        return f"piece {self.id}"
