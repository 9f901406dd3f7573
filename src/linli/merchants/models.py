"""The merchant alliance on BNI chapter rules (SPEC.md capability 3).

Models hold data and constraints only; every write goes through `services.py`. The BNI
rule "one member per classification" (A§3.1 一行业一代表) is a partial unique index over
the seats that are held (`merchant_one_per_industry`), not only a check in a service.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community


class Industry(models.Model):
    """A trade in the two-level taxonomy (e.g. 零售 › 水果). Seats are claimed on leaves."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="industries")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["community_id", "parent_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="industry_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    ADMITTED = "admitted", _("admitted")
    REJECTED = "rejected", _("rejected")
    WAITING = "waiting", _("on the waiting list")
    WITHDRAWN = "withdrawn", _("withdrawn")


class MerchantApplication(models.Model):
    """An application to join the alliance (A§3.1 准入规则), reviewed by the committee."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchant_applications"
    )
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="applications")
    business_name = models.CharField(_("business name"), max_length=100)
    licence_no = models.CharField(_("business licence number"), max_length=32)
    address = models.CharField(_("address"), max_length=200)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    exclusivity_accepted = models.BooleanField(_("exclusivity agreement accepted"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("merchant application")
        verbose_name_plural = _("merchant applications")
        ordering = ["-id"]
        constraints = [
            # The exclusivity agreement (排他协议, A§5) is part of every application.
            models.CheckConstraint(
                condition=Q(exclusivity_accepted=True), name="application_exclusivity"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status"
            ),
        ]

    def __str__(self) -> str:
        return self.business_name


class MerchantStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    EXITING = "exiting", _("leaving (notice period)")
    EXITED = "exited", _("left")
    REMOVED = "removed", _("removed")


# A seat is held while the merchant is active, suspended or serving its exit notice.
SEAT_HOLDING = (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED, MerchantStatus.EXITING)


class Merchant(models.Model):
    """An admitted merchant (老板会员) holding one industry seat in one community."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="merchants")
    application = models.OneToOneField(
        MerchantApplication, on_delete=models.PROTECT, related_name="merchant"
    )
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="merchants")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchants_owned"
    )
    name = models.CharField(_("name"), max_length=100)
    licence_no = models.CharField(_("business licence number"), max_length=32)
    address = models.CharField(_("address"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=MerchantStatus.choices, default=MerchantStatus.ACTIVE
    )
    admitted_at = models.DateTimeField(_("admitted at"), default=timezone.now)
    annual_fee_fen = models.PositiveBigIntegerField(_("admission fee (fen)"))
    deposit_required_fen = models.PositiveBigIntegerField(_("deposit required (fen)"))
    fee_months_recognised = models.PositiveSmallIntegerField(default=0)
    top_up_due_at = models.DateTimeField(_("deposit top-up due"), null=True, blank=True)
    red_listed_at = models.DateTimeField(_("red-listed at"), null=True, blank=True)
    suspended_reason = models.CharField(max_length=20, blank=True)
    exit_requested_at = models.DateTimeField(null=True, blank=True)
    exit_effective_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["community_id", "admitted_at", "id"]
        constraints = [
            # BNI: one member per classification (A§3.1, A§6.1 一行业一代表).
            models.UniqueConstraint(
                fields=["community", "industry"],
                condition=Q(status__in=[s.value for s in SEAT_HOLDING]),
                name="merchant_one_per_industry",
            ),
            models.UniqueConstraint(
                fields=["community", "licence_no"],
                condition=Q(status__in=[s.value for s in SEAT_HOLDING]),
                name="merchant_licence_one_seat",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MerchantStatus.values), name="merchant_status"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING


class HoldStatus(models.TextChoices):
    OPEN = "open", _("held")
    CLOSED = "closed", _("closed")


class DepositHold(models.Model):
    """One ledger hold (merchant CNY → deposit escrow) that makes up the deposit (A§3.3)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="deposit_holds")
    transfer_id = models.UUIDField(unique=True)
    amount_fen = models.PositiveBigIntegerField()
    status = models.CharField(max_length=6, choices=HoldStatus.choices, default=HoldStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["merchant_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="deposit_hold_positive")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.amount_fen}"


class StaffRole(models.TextChoices):
    OWNER = "owner", _("owner")
    CASHIER = "cashier", _("cashier")


class MerchantStaff(models.Model):
    """A login that works for a merchant: the owner, or a cashier with fewer rights."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchant_jobs"
    )
    role = models.CharField(_("role"), max_length=8, choices=StaffRole.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["merchant_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="merchant_staff_unique"),
            models.CheckConstraint(condition=Q(role__in=StaffRole.values), name="staff_role"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.user_id}:{self.role}"


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("open")
    ANSWERED = "answered", _("answered by the merchant")
    VERIFIED = "verified", _("verified")
    DISMISSED = "dismissed", _("dismissed")


class Complaint(models.Model):
    """A member's complaint about a sale (A§3.3 投诉核实后先行赔付)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="complaints")
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sale_journal_id = models.UUIDField(null=True, blank=True)
    text = models.TextField(_("complaint"), max_length=2000)
    answer = models.TextField(_("merchant's answer"), max_length=2000, blank=True)
    status = models.CharField(
        max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    compensation_fen = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["merchant", "status"], name="complaint_merchant_idx")]

    def __str__(self) -> str:
        return f"complaint {self.pk}"


class Rating(models.Model):
    """1–5 stars after a sale, one per sale: the member's own commerce `Sale`, named by its
    `journal_id` (neither undone nor refunded in full)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sale_journal_id = models.UUIDField()
    stars = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["sale_journal_id"], name="rating_one_per_sale"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.stars}"


class BlacklistedLicence(models.Model):
    """A licence number that may not apply again (B§3.2 红黑榜: black list)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    licence_no = models.CharField(max_length=32)
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "licence_no"], name="blacklist_unique")
        ]

    def __str__(self) -> str:
        return self.licence_no


class Violation(models.Model):
    """A rule broken (e.g. a fake discount, A§3.1 虚标折扣), fined in time coins, published."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="violations")
    description = models.CharField(_("what happened"), max_length=500)
    evidence = models.TextField(_("evidence"), max_length=4000)
    fine_units = models.PositiveBigIntegerField(_("fine (1/100 time coin)"))
    journal_id = models.UUIDField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.description


class MonthlyOffer(models.Model):
    """The member offer a merchant publishes each month (A§2.1: worth 1–3 % of revenue)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="offers")
    month = models.DateField(_("month"))  # the first day of the month
    title = models.CharField(_("offer"), max_length=100)
    description = models.CharField(_("details"), max_length=500, blank=True)
    value_fen = models.PositiveBigIntegerField(_("estimated value to members (fen)"))
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "merchant_id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "month"], name="offer_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="offer_month_first_day"),
        ]

    def __str__(self) -> str:
        return self.title


class MerchantDay(models.Model):
    """The merchant-day rota (A§5 商家日轮值: e.g. Wednesday = supermarket day)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday … 6 = Sunday
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="+")
    joint_offer = models.CharField(_("joint offer"), max_length=200, blank=True)

    class Meta:
        ordering = ["community_id", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["community", "weekday"], name="merchant_day_unique"),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="merchant_day_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday}:{self.industry_id}"


class DutyReminder(models.Model):
    """A weekly reminder of a duty not yet met (shown on the merchant's dashboard)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="reminders")
    week = models.DateField()  # the Monday of the ISO week
    kind = models.CharField(max_length=20)  # "referrals" | "offer" | "offer_short"
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "week", "kind"], name="duty_reminder_once_a_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.week}:{self.kind}"


class QuarterlyScore(models.Model):
    """One merchant's score in a closed quarter (A§6.1 季度评分, 末位淘汰)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="scores")
    quarter = models.CharField(max_length=7)  # "2026Q3"
    score = models.IntegerField()
    rank = models.PositiveIntegerField()  # 1 = best
    components = models.JSONField(default=dict)
    marked_for_replacement = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["quarter", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "quarter"], name="score_once_a_quarter"),
            models.UniqueConstraint(
                fields=["community", "quarter", "rank"], name="score_rank_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quarter} #{self.rank}"


class HearingStatus(models.TextChoices):
    OPEN = "open", _("to be heard")
    KEPT = "kept", _("merchant kept")
    REPLACED = "replaced", _("merchant replaced")


class Hearing(models.Model):
    """A hearing before a merchant is put out (A§6.1 bottom 20 %, B§3.2 red list)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="hearings")
    reason = models.CharField(max_length=20)  # "quarterly_bottom" | "red_list"
    quarter = models.CharField(max_length=7, blank=True)
    status = models.CharField(
        max_length=10, choices=HearingStatus.choices, default=HearingStatus.OPEN
    )
    decision_note = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "reason", "quarter"], name="hearing_once_per_reason"
            )
        ]

    def __str__(self) -> str:
        return f"hearing {self.pk}"


class WaitStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("seat offered")
    ACCEPTED = "accepted", _("offer accepted")
    DECLINED = "declined", _("offer declined")
    LAPSED = "lapsed", _("offer lapsed")
    WITHDRAWN = "withdrawn", _("left the list")


# Entries still in the queue for a seat (their position is counted among these).
WAIT_QUEUED = (WaitStatus.WAITING, WaitStatus.OFFERED)


class WaitingListEntry(models.Model):
    """An applicant queued for a trade whose seat is taken (issue 5: "or goes to a waiting
    list"). First come, first served by `id`; when the seat reopens the first in line is
    offered it until `offer_expires_at`, then the next. At most one live offer per trade is
    a partial unique index (`waitlist_one_offer_per_trade`), so two jobs that reopen the
    same seat at once cannot offer it twice."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="waiting")
    application = models.OneToOneField(
        MerchantApplication, on_delete=models.PROTECT, related_name="waiting_entry"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=WaitStatus.choices, default=WaitStatus.WAITING
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("answer by"), null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        ordering = ["community_id", "industry_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "industry"],
                condition=Q(status="offered"),
                name="waitlist_one_offer_per_trade",
            ),
            models.CheckConstraint(
                condition=Q(status__in=WaitStatus.values), name="waitlist_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.industry_id}:{self.application_id}:{self.status}"


class MerchantDebt(models.Model):
    """What a merchant owes after a compensation larger than its deposit (and its free
    balance): the platform's subsidy account advanced it to the member (journal
    `merchant_compensation_advance`); the merchant is suspended until it is settled."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="debts")
    complaint = models.OneToOneField(
        "Complaint", on_delete=models.PROTECT, related_name="debt", null=True, blank=True
    )
    amount_fen = models.PositiveBigIntegerField(_("owed (fen)"))
    advance_journal_id = models.UUIDField()
    settled_at = models.DateTimeField(null=True, blank=True)
    settle_journal_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("merchant debt")
        verbose_name_plural = _("merchant debts")
        ordering = ["merchant_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="merchant_debt_positive")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.amount_fen}"
