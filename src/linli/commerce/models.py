"""Alliance commerce (消费核销): member cards, sales, refunds, flash sales (SPEC capability 4).

Money lives in the ledger only; these rows say *why* a journal exists (which sale, which
clerk, which till) and carry the limits the ledger cannot know (card steps, stock).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community, PolicyVersion
from linli.members.models import Member
from linli.merchants.models import Merchant


class MemberCard(models.Model):
    """A member's card: the secret behind the rotating code (stored encrypted) and, for
    members without a smartphone, a printed card number with a hashed PIN."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="card")
    # 8 random digits inside every rotating code: which card, not who (no personal data).
    code_id = models.CharField(max_length=8, unique=True)
    secret_cipher = models.TextField()
    # The last 30-second step whose code was used: a code of this step or older is a replay.
    last_step = models.BigIntegerField(default=0)
    card_number = models.CharField(max_length=12, unique=True, null=True, blank=True)
    pin_hash = models.CharField(max_length=128, blank=True, default="")
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_failed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("member card")
        verbose_name_plural = _("member cards")

    def __str__(self) -> str:
        return f"card {self.code_id}"


class SaleSource(models.TextChoices):
    POS = "pos", _("till")
    MOBILE = "mobile", _("clerk's phone")
    BACKOFFICE = "backoffice", _("back office")
    KIOSK = "kiosk", _("kiosk")


class SaleStatus(models.TextChoices):
    CONSUMED = "consumed", _("recorded")
    PARTLY_REFUNDED = "partly_refunded", _("partly refunded")
    UNDONE = "undone", _("undone")
    REFUNDED = "refunded", _("refunded")


class AuthMethod(models.TextChoices):
    CODE = "code", _("member code")
    PIN = "pin", _("card number and PIN")


class Sale(models.Model):
    """One 核销: the member, the till, and the one ledger journal that posted every leg."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="sales")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="purchases")
    request_no = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=SaleStatus.choices)
    amount_fen = models.PositiveBigIntegerField()
    cash_fen = models.PositiveBigIntegerField()
    coin_units = models.PositiveBigIntegerField(default=0)
    points = models.PositiveBigIntegerField(default=0)
    refunded_fen = models.PositiveBigIntegerField(default=0)
    legs = models.JSONField(default=list)  # what was posted, leg by leg, with its reason
    journal_id = models.UUIDField(unique=True)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=12, choices=SaleSource.choices)
    auth_method = models.CharField(max_length=4, choices=AuthMethod.choices)
    card_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The commission rate the shop's grade set (merchants.selectors.commission_grade);
    # empty on sales recorded before grading, which all paid the policy's lowest.
    commission_bp = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "request_no"], name="sale_request_once"),
            models.CheckConstraint(
                condition=Q(refunded_fen__lte=F("amount_fen")), name="sale_refund_le_amount"
            ),
            models.CheckConstraint(
                condition=Q(cash_fen__lte=F("amount_fen")), name="sale_cash_le_amount"
            ),
        ]
        indexes = [models.Index(fields=["member", "created_at"], name="sale_member_day_idx")]

    def __str__(self) -> str:
        return f"sale {self.request_no}"


class RefundKind(models.TextChoices):
    UNDO = "undo", _("undo")
    REFUND = "refund", _("refund")


class SaleRefund(models.Model):
    """An undo or a (partial) refund: a new journal referencing the sale's journal."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="refunds")
    request_no = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=RefundKind.choices)
    amount_fen = models.PositiveBigIntegerField()
    legs = models.JSONField(default=list)
    journal_id = models.UUIDField(unique=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=12, choices=SaleSource.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "request_no"], name="refund_request_once")
        ]

    def __str__(self) -> str:
        return f"refund {self.request_no}"


class FlashSale(models.Model):
    """积分秒杀: an item for points with a stock counter that can never pass the stock."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="flash_sales")
    title = models.CharField(_("title"), max_length=100)
    price_points = models.PositiveBigIntegerField(_("price (points)"))
    stock = models.PositiveIntegerField(_("stock"))
    sold = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("flash sale")
        verbose_name_plural = _("flash sales")
        constraints = [
            models.CheckConstraint(condition=Q(sold__lte=F("stock")), name="flash_never_oversold"),
            models.CheckConstraint(condition=Q(price_points__gt=0), name="flash_price_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class FlashOrder(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    flash_sale = models.ForeignKey(FlashSale, on_delete=models.PROTECT, related_name="orders")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    journal_id = models.UUIDField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flash_sale", "member"], name="flash_one_per_member")
        ]

    def __str__(self) -> str:
        return f"order {self.id}"


# --- group buying (团购预购, A§2.2 供应链共融) and merchant ad slots (A§4.2) ----------------


class GroupBuyStatus(models.TextChoices):
    OPEN = "open", _("open for pledges")
    SETTLED = "settled", _("reached its threshold")
    VOIDED = "voided", _("did not reach its threshold")


class GroupBuy(models.Model):
    """A group-buy: price tiers by units pledged, a threshold and a deadline.

    `tiers` is a list of {"min_units", "price_fen"}, min_units rising and prices falling;
    pledges are held at the first (highest) tier's price and settled at the final one."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="group_buys")
    title = models.CharField(_("item"), max_length=100)
    tiers = models.JSONField(default=list)
    threshold_units = models.PositiveIntegerField(_("minimum units"))
    deadline = models.DateTimeField(_("deadline"))
    pickup_point = models.CharField(_("pickup point"), max_length=200)
    margin_bp = models.PositiveIntegerField(_("supplier margin (bp)"))
    status = models.CharField(
        max_length=8, choices=GroupBuyStatus.choices, default=GroupBuyStatus.OPEN
    )
    final_price_fen = models.PositiveBigIntegerField(null=True, blank=True)
    settled_units = models.PositiveIntegerField(default=0)
    margin_fen = models.PositiveBigIntegerField(default=0)
    margin_journal_id = models.UUIDField(null=True, blank=True, unique=True)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("group-buy")
        verbose_name_plural = _("group-buys")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_units__gte=1), name="groupbuy_threshold_positive"
            ),
            models.CheckConstraint(
                condition=Q(margin_bp__lte=10_000), name="groupbuy_margin_le_100pct"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="groupbuy_due_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def first_price_fen(self) -> int:
        return int(self.tiers[0]["price_fen"])


class PledgeStatus(models.TextChoices):
    HELD = "held", _("pledged (money held)")
    WITHDRAWN = "withdrawn", _("withdrawn")
    SETTLED = "settled", _("paid")
    VOIDED = "voided", _("released")


class Pledge(models.Model):
    """A member's pledge: a ledger hold at the first tier's price until the deadline."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.PROTECT, related_name="pledges")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="pledges")
    units = models.PositiveIntegerField()
    held_fen = models.PositiveBigIntegerField()
    paid_fen = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=PledgeStatus.choices)
    hold_id = models.UUIDField(unique=True, null=True, blank=True)
    resolve_journal_id = models.UUIDField(unique=True, null=True, blank=True)
    pickup_code = models.CharField(max_length=12, unique=True, null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_buy", "member"],
                condition=Q(status="held"),
                name="pledge_one_open_per_member",
            ),
            models.CheckConstraint(condition=Q(units__gte=1), name="pledge_units_positive"),
            models.CheckConstraint(
                condition=Q(paid_fen__lte=F("held_fen")), name="pledge_paid_le_held"
            ),
        ]

    def __str__(self) -> str:
        return f"pledge {self.id}"


class AdSlot(models.Model):
    """A merchant ad slot defined by an operator (A§4.2: 300–500 CNY per slot per month)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    position = models.CharField(_("position"), max_length=100)
    price_fen = models.PositiveBigIntegerField(_("monthly price (fen)"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ad slot")
        verbose_name_plural = _("ad slots")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="adslot_name_once"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="adslot_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class AdBookingStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    CANCELLED = "cancelled", _("cancelled")


class AdBooking(models.Model):
    """One slot for one calendar month (`month` is its first day), paid through the ledger.

    The partial unique constraint is what stops double booking under concurrency."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(AdSlot, on_delete=models.PROTECT, related_name="bookings")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="ad_bookings")
    month = models.DateField()
    price_fen = models.PositiveBigIntegerField()
    status = models.CharField(
        max_length=10, choices=AdBookingStatus.choices, default=AdBookingStatus.BOOKED
    )
    journal_id = models.UUIDField(unique=True, null=True, blank=True)
    refund_journal_id = models.UUIDField(unique=True, null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ad booking")
        verbose_name_plural = _("ad bookings")
        ordering = ["month", "slot_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "month"],
                condition=Q(status="booked"),
                name="adbooking_slot_month_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot_id}:{self.month:%Y-%m}"


class RetiredCardNumber(models.Model):
    """A printed card number suspended as lost (household page): the card got a new number,
    and the till refuses the old one with a coded reason instead of "wrong number"."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(MemberCard, on_delete=models.PROTECT, related_name="retired_numbers")
    number = models.CharField(max_length=12, unique=True)
    retired_at = models.DateTimeField(default=timezone.now)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"retired {self.number[:2]}…{self.number[-4:]}"


class RetiredCardCode(models.Model):
    """A card id whose secret was replaced (phone lost, account closed): the card got a new
    id and secret, and the till refuses codes with the old id as `member_code_rotated`
    instead of "wrong code", so the cashier can tell the member what happened."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(MemberCard, on_delete=models.PROTECT, related_name="retired_codes")
    code_id = models.CharField(max_length=8, unique=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    retired_at = models.DateTimeField(default=timezone.now)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"retired code {self.code_id}"


# Bundles live in their own module (parallel work on sales); imported for the app registry.
from linli.commerce.bundle_models import (  # noqa: E402, F401
    Bundle,
    BundleItem,
    BundleOrder,
    BundlePiece,
)

# Coupons and cross-store campaigns live in their own module (issue 6, coupons).
from linli.commerce.coupon_models import (  # noqa: E402, F401
    CampaignMemberCount,
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponKind,
    CrossStoreCampaign,
    PriceRecord,
    SaleCoupon,
)
from linli.commerce.price_models import GroupTrade, MemberPrice, SalePrice  # noqa: E402, F401


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the member")
    APPROVED = "approved", _("approved by the member")
    DECLINED = "declined", _("declined by the member")
    USED = "used", _("sale recorded")


class SaleConfirmation(models.Model):
    """The member's approval on their own phone before coins or points worth more than
    the threshold are spent (issue 6): one row per attempted sale, matched by shop, member
    and the exact amounts, valid for a few minutes, used by at most one sale."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    amount_fen = models.PositiveBigIntegerField()
    coin_units = models.PositiveBigIntegerField(default=0)
    points = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ConfirmationStatus.choices, default=ConfirmationStatus.PENDING
    )
    sale = models.OneToOneField(
        Sale, null=True, blank=True, on_delete=models.PROTECT, related_name="confirmation"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member confirmation")
        verbose_name_plural = _("member confirmations")
        indexes = [models.Index(fields=["member", "status"], name="confirmation_member_idx")]

    def __str__(self) -> str:
        return f"confirmation {self.id}"


# Fraud-type refusals at the till, for the anomaly view (issue 6, tillfix); platform vouchers
# (美团/抖音) recorded as part of a sale's payment (issue 6, receipts); points lots derived
# from the ledger (issue 6 "Points": freeze, expiry, FIFO by expiry).
from linli.commerce.points_models import (  # noqa: E402, F401
    LotUseKind,
    PointsBook,
    PointsLot,
    PointsLotUse,
)
from linli.commerce.refusal_models import TillRefusal, TillStep  # noqa: E402, F401
from linli.commerce.voucher_models import SaleVoucher, VoucherPlatform  # noqa: E402, F401
