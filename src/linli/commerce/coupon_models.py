"""Coupons (优惠券), cross-store campaigns (跨店券) and the price record behind honest offers.

Imported by `linli.commerce.models` so Django finds them; kept apart to say where the
coupon rules live (`linli.commerce.coupons`, docs/commerce.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.members.models import Member
from linli.merchants.models import Merchant

BP_MAX = 10_000
DISCOUNT_FLOOR_BP = 8_000  # 2折: a 折扣 coupon never takes more than 80% off


class CouponKind(models.TextChoices):
    THRESHOLD = "threshold", _("Spend and save (满减)")
    PER_THRESHOLD = "per_threshold", _("Save on every step (每满减)")
    PERCENT = "percent", _("Percentage off (折扣)")
    VOUCHER = "voucher", _("Voucher, no minimum (代金券)")
    EXCHANGE = "exchange", _("Exchange for an item (兑换券)")


class Coupon(models.Model):
    """A merchant's coupon: its discount is the merchant's own price reduction."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="coupons")
    kind = models.CharField(_("kind"), max_length=16, choices=CouponKind.choices)
    title = models.CharField(_("title"), max_length=100)
    threshold_fen = models.PositiveBigIntegerField(default=0)
    off_fen = models.PositiveBigIntegerField(default=0)
    cap_fen = models.PositiveBigIntegerField(default=0)  # 每满减 / 折扣: 0 = no cap
    discount_bp = models.PositiveIntegerField(default=0)  # 折扣: share taken off
    item_name = models.CharField(max_length=100, blank=True, default="")
    item_value_fen = models.PositiveBigIntegerField(default=0)
    was_price_fen = models.PositiveBigIntegerField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    valid_days = models.PositiveIntegerField(null=True, blank=True)  # after the claim
    per_member_limit = models.PositiveIntegerField(default=1)
    stock = models.PositiveIntegerField()
    claimed = models.PositiveIntegerField(default=0)
    stackable = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Set when the shop's exit notice switched the coupon off (claimable no more); a
    # withdrawn notice switches back on exactly these (`coupons.merchant_leaving`).
    exit_paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed__lte=F("stock")), name="coupon_never_overclaimed"
            ),
            models.CheckConstraint(
                condition=Q(discount_bp__lte=DISCOUNT_FLOOR_BP), name="coupon_floor_2zhe"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=False) | Q(valid_days__isnull=False),
                name="coupon_has_validity",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CrossStoreCampaign(models.Model):
    """A2.2 跨店券: spend >= min at the issuer, get a coupon for the redeemer. The value is
    paid to the redeemer from `coupon_cost`, funded by platform, issuer and redeemer."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    issuer = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    redeemer = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    min_spend_fen = models.PositiveBigIntegerField()
    value_fen = models.PositiveBigIntegerField()
    platform_bp = models.PositiveIntegerField()  # the policy's subsidy, fixed at creation
    issuer_bp = models.PositiveIntegerField()  # the issuer's share of the value
    valid_days = models.PositiveIntegerField()
    per_member_limit = models.PositiveIntegerField()
    budget_fen = models.PositiveBigIntegerField()
    issued_fen = models.PositiveBigIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    # Set when an exit notice (the issuer's or the redeemer's) switched it off; switched
    # back on when that notice is withdrawn and neither shop is leaving.
    exit_paused_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cross-store campaign")
        verbose_name_plural = _("cross-store campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_fen__lte=F("budget_fen")), name="campaign_within_budget"
            ),
            models.CheckConstraint(
                condition=Q(platform_bp__lte=BP_MAX - F("issuer_bp")), name="campaign_shares"
            ),
            models.CheckConstraint(
                condition=Q(value_fen__lte=F("min_spend_fen")), name="campaign_value_le_spend"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimStatus(models.TextChoices):
    AVAILABLE = "available", _("available")
    USED = "used", _("used")
    REVOKED = "revoked", _("withdrawn")


class CouponClaim(models.Model):
    """One coupon in a member's hands: a merchant coupon claimed, or a cross-store coupon
    issued by a campaign on a qualifying sale (then `hold_id` reserves the issuer's share)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="coupons")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    campaign = models.ForeignKey(
        CrossStoreCampaign, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    value_fen = models.PositiveBigIntegerField(default=0)  # cross-store coupons
    issued_by_sale = models.ForeignKey(
        "commerce.Sale", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold_id = models.UUIDField(null=True, blank=True)
    # A cross-store coupon whose issuer left the alliance: its share was settled when the
    # seat closed (paid to the subsidy account from the issuer's deposit, the subsidy
    # account covering what was missing), so the subsidy account funds it at redemption.
    issuer_settled_at = models.DateTimeField(null=True, blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ClaimStatus.choices)
    used_in = models.ForeignKey(
        "commerce.Sale", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("member's coupon")
        verbose_name_plural = _("members' coupons")
        ordering = ["valid_until", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(coupon__isnull=True) ^ Q(campaign__isnull=True),
                name="claim_one_origin",
            ),
            models.UniqueConstraint(
                fields=["campaign", "issued_by_sale"], name="claim_one_per_qualifying_sale"
            ),
        ]
        indexes = [models.Index(fields=["member", "status"], name="claim_member_status_idx")]

    def __str__(self) -> str:
        return f"claim {self.id}"


class CampaignMemberCount(models.Model):
    """How many coupons a campaign has issued to one member (withdrawn ones included, as
    the per-member limit always counted them). Issuing takes a slot with a conditional
    UPDATE of this one row (`issued < per_member_limit`), so concurrent qualifying sales
    cannot both slip under the limit — on PostgreSQL the second UPDATE waits for the
    first's row lock and then re-checks; SQLite serialises writers."""

    campaign = models.ForeignKey(
        CrossStoreCampaign, on_delete=models.PROTECT, related_name="member_counts"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    issued = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="campaign_member_once"),
        ]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} member {self.member_id}: {self.issued}"


class SaleCoupon(models.Model):
    """A coupon used in a sale: a discount (the merchant's price cut: the sale's amount is
    after it) or a payment (a cross-store coupon paid from `coupon_cost`)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey("commerce.Sale", on_delete=models.PROTECT, related_name="coupons")
    claim = models.ForeignKey(CouponClaim, on_delete=models.PROTECT, related_name="uses")
    gross_fen = models.PositiveBigIntegerField()  # the sale before any discount
    discount_fen = models.PositiveBigIntegerField(default=0)
    paid_fen = models.PositiveBigIntegerField(default=0)
    funding_journal_id = models.UUIDField(null=True, blank=True)
    hold_journal_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "claim"], name="sale_coupon_once"),
        ]

    def __str__(self) -> str:
        return f"coupon {self.claim_id} in sale {self.sale_id}"


class PriceRecord(models.Model):
    """A merchant's recorded price of an item: the 7-day low is the only honest "was"."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="prices")
    item_name = models.CharField(_("item"), max_length=100)
    price_fen = models.PositiveBigIntegerField(_("price (fen)"))
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "item_name", "recorded_at"], name="price_item_idx")
        ]
        constraints = [models.CheckConstraint(condition=Q(price_fen__gt=0), name="price_positive")]

    def __str__(self) -> str:
        return f"{self.item_name} {self.price_fen}"
