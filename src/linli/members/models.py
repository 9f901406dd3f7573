"""People in a community: member profile, households, consents, membership fees, referrals.

Models hold data and constraints only; every write goes through `services/`. Personal data
(phone, real name, ID number) is stored encrypted (Fernet) with a keyed hash (HMAC-SHA256)
for lookup and uniqueness; see `pii.py`.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.communities.models import Building, Community, PolicyVersion


class Household(models.Model):
    """A flat (户) in a building: family package, household card, one gift pack per household."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="households")
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.PROTECT, related_name="households"
    )
    unit_label = models.CharField(_("flat"), max_length=30)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "building", "unit_label"], name="household_unique"
            )
        ]

    def __str__(self) -> str:
        return self.unit_label


class Member(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="members")
    display_name = models.CharField(_("display name"), max_length=50)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # None = follow the default (on for members 60+); True/False = the member's own choice.
    prefers_elderly_mode = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # --- identity (PIPL: encrypted, with a keyed hash for lookup; masked in views) ---
    phone_cipher = models.TextField(blank=True, default="")
    phone_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    phone_last4 = models.CharField(max_length=4, blank=True, default="")
    real_name_cipher = models.TextField(blank=True, default="")
    id_number_cipher = models.TextField(blank=True, default="")
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    identity_backend = models.CharField(max_length=30, blank=True, default="")

    # --- where they live ---
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )

    referral_code = models.CharField(max_length=12, null=True, blank=True, unique=True)
    is_founding = models.BooleanField(default=False)
    founding_reason = models.CharField(max_length=500, blank=True, default="")
    marketing_opt_in = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    tier = models.CharField(max_length=20, blank=True, default="")  # set by the tier job

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return self.display_name

    def age_years(self, *, today: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ApiToken(models.Model):
    """A bearer token for POS and mini-program clients; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=50)
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class SmsCode(models.Model):
    """A one-time code: only its keyed hash is stored; single use, expires, few attempts.

    The rows are also the rate limiter (per number and per IP), so limits hold across
    gunicorn workers."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"SmsCode {self.pk}"


class ConsoleSms(models.Model):
    """What the built-in console SMS backend "sent": shown on the operator console only.

    Development and pilot backend: a real SMS provider replaces it and writes nothing here."""

    community = models.ForeignKey(Community, null=True, on_delete=models.PROTECT, related_name="+")
    phone_masked = models.CharField(max_length=20)
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ConsoleSms {self.pk}"


class ConsentPurpose(models.TextChoices):
    TERMS = "terms", _("membership terms and the data needed to run them")
    REAL_NAME = "real_name", _("real name and ID number for paid membership")
    HOUSEHOLD = "household", _("building and flat")
    MARKETING = "marketing", _("offers and news from the alliance")
    FOUNDING = "founding", _("what I wrote in my founding-member application")


class Consent(models.Model):
    """One PIPL consent decision: granted or withdrawn, with the time; append-only by use."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=ConsentPurpose.values), name="consent_purpose_known"
            )
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk}"


class Charter(models.Model):
    """A version of the member charter (会员章程): the written prepayment contract."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="charters")
    version = models.PositiveIntegerField()
    body = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "version"], name="charter_version_unique")
        ]

    def __str__(self) -> str:
        return f"Charter {self.pk}"


class MembershipPlan(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    FAMILY = "family", _("family package")
    FOUNDING = "founding", _("founding member, first year free")
    WAIVED = "waived", _("fee waived for referrals")


class MembershipStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("awaiting payment")
    ACTIVE = "active", _("active")
    REFUNDED = "refunded", _("refunded")
    LAPSED = "lapsed", _("lapsed")
    CANCELLED = "cancelled", _("cancelled")


class Membership(models.Model):
    """One membership year of one member (and their household, for a family package)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="memberships")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    plan = models.CharField(max_length=20, choices=MembershipPlan.choices)
    status = models.CharField(max_length=20, choices=MembershipStatus.choices)
    fee_fen = models.PositiveBigIntegerField()
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    charter = models.ForeignKey(Charter, on_delete=models.PROTECT, related_name="+")
    charter_accepted_at = models.DateTimeField()
    payment_reference = models.CharField(max_length=12, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)  # exclusive
    recognised_fen = models.PositiveBigIntegerField(default=0)
    refunded_fen = models.PositiveBigIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(recognised_fen__lte=F("fee_fen") - F("refunded_fen")),
                name="membership_escrow_not_overdrawn",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values), name="membership_status_known"
            ),
            models.CheckConstraint(
                condition=Q(plan__in=MembershipPlan.values), name="membership_plan_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Membership {self.pk}"


class FeePayment(models.Model):
    """Cash or transfer received at the counter and confirmed by an operator."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    membership = models.OneToOneField(Membership, on_delete=models.PROTECT, related_name="payment")
    amount_fen = models.PositiveBigIntegerField()
    method = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=100)
    journal_id = models.UUIDField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"], name="fee_payment_key_unique"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fee_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"FeePayment {self.pk}"


class FeeRefund(models.Model):
    membership = models.OneToOneField(Membership, on_delete=models.PROTECT, related_name="refund")
    amount_fen = models.PositiveBigIntegerField()
    is_full = models.BooleanField()
    reason = models.CharField(max_length=500)
    journal_id = models.UUIDField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"FeeRefund {self.pk}"


class FeeRecognition(models.Model):
    """Fee moved from escrow to revenue as earned, once per membership per month."""

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="recognitions"
    )
    month = models.DateField()  # first day of the month
    amount_fen = models.PositiveBigIntegerField()
    journal_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "month"], name="recognition_monthly")
        ]

    def __str__(self) -> str:
        return f"FeeRecognition {self.pk}"


class Entitlement(models.Model):
    """A counted benefit of a membership year (A: 10 free community services a year)."""

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="entitlements"
    )
    kind = models.CharField(max_length=30)
    total = models.PositiveIntegerField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "kind"], name="entitlement_unique"),
            models.CheckConstraint(condition=Q(used__lte=F("total")), name="entitlement_not_over"),
        ]

    def __str__(self) -> str:
        return f"Entitlement {self.pk}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the new member's first real activity")
    REWARDED = "rewarded", _("qualified and rewarded")
    CAPPED = "capped", _("qualified; this year's reward cap was reached")
    REVERSED = "reversed", _("reward reversed after a refund")
    VOID = "void", _("cancelled")


class Referral(models.Model):
    """A direct referral, bound when the referee registers; one level, forever.

    Database guarantees: `referee` is unique (at most one referrer); referrer ≠ referee
    (CHECK); and no cycles by construction: the referral is bound at the referee's
    registration, so the referee is always the newer row, and CHECK referee_id > referrer_id
    makes "A refers B, B refers A" (or any longer loop) impossible in the database.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    referrer = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="referrals_made")
    referee = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="referred_by")
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    qualified_at = models.DateTimeField(null=True, blank=True)
    qualified_by = models.CharField(max_length=30, blank=True, default="")
    reward_journal_id = models.UUIDField(null=True, blank=True)
    reward_units = models.PositiveBigIntegerField(default=0)
    reward_asset = models.CharField(max_length=4, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("referee")), name="referral_not_self"),
            models.CheckConstraint(
                condition=Q(referee__gt=F("referrer")), name="referral_no_cycle"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"


class Notice(models.Model):
    """The in-app inbox: every notice about money and membership; marketing only if opted in."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=30)
    # Rendered in the reader's language from `kind` (see notices.py); no text is stored.
    params = models.JSONField(default=dict)
    is_marketing = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Notice {self.pk}"


class Tier(models.TextChoices):
    SILVER = "silver", _("silver")
    GOLD = "gold", _("gold")
    DIAMOND = "diamond", _("diamond")
    BASIC = "basic", _("basic")
    VIP = "vip", _("VIP")


class TierChange(models.Model):
    """History of tier changes with the reason for each (the tier job writes them)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="tier_changes")
    tier_from = models.CharField(max_length=20, blank=True)
    tier_to = models.CharField(max_length=20)
    reason = models.JSONField(default=dict)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.member_id}: {self.tier_from} -> {self.tier_to}"


class InterestGroup(models.Model):
    """An interest group (兴趣小组); at the policy's size it unlocks merchants' group offers."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=50)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="interest_group_name")
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(InterestGroup, on_delete=models.PROTECT, related_name="members")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="groups")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], name="group_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.member_id}"


class GiftPack(models.Model):
    """The new-member gift pack ("1 yuan swap", A§5): one per household, picked up in a
    named store. The UNIQUE household constraint is the guarantee."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.OneToOneField(Household, on_delete=models.PROTECT, related_name="gift")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    store_name = models.CharField(max_length=100)
    value_fen = models.PositiveBigIntegerField()
    price_fen = models.PositiveBigIntegerField()
    code = models.CharField(max_length=12, unique=True)
    claimed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code


class AdmissionStatus(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("not approved")


class AdmissionApplication(models.Model):
    """Preset B's admission review (B§1.1): a questionnaire and an operator's decision with
    a reason. The skills feed the time-bank profile."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="admissions")
    interests = models.CharField(max_length=500, blank=True)
    skills = models.JSONField(default=list)
    willing_to_serve = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=AdmissionStatus.choices, default=AdmissionStatus.PENDING
    )
    reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="pending"),
                name="admission_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AdmissionStatus.values), name="admission_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"admission {self.pk}"


class FoundingApplication(models.Model):
    """A resident asks online for a founding / co-creation place (A§5, B§2.2): an optional
    short motivation and what they would contribute (stored only with the FOUNDING consent),
    then an operator approves (through `founding_grant`, capped by the policy) or rejects
    with a reason. At most one application per member waits at a time."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="founding_applications"
    )
    motivation = models.CharField(max_length=500, blank=True, default="")
    contribution = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=AdmissionStatus.choices, default=AdmissionStatus.PENDING
    )
    reason = models.CharField(max_length=500, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="pending"),
                name="founding_application_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AdmissionStatus.values),
                name="founding_application_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"founding application {self.pk}"


class DiamondDividend(models.Model):
    """One quarter's diamond-tier share of the platform's realised revenue (A§3.2 理事
    "参与平台分红"), posted after the member assembly approved it (SPEC compliance:
    distributions need approval; the pool is never more than the realised revenue).
    The UNIQUE quarter is the guarantee that a quarter is paid once."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=6)  # e.g. 2026Q3
    pool_fen = models.PositiveBigIntegerField()
    residue_fen = models.PositiveBigIntegerField()  # to the rounding account
    approval_ref = models.CharField(max_length=200)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "quarter"], name="diamond_dividend_once_per_quarter"
            ),
            models.CheckConstraint(condition=Q(pool_fen__gt=0), name="diamond_dividend_positive"),
            models.CheckConstraint(
                condition=Q(residue_fen__lte=F("pool_fen")), name="diamond_dividend_residue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.quarter}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("waiting for a second operator")
    PAID = "paid", _("approved and paid")
    REJECTED = "rejected", _("rejected")
    STALE = "stale", _("refused: the numbers changed after it was proposed")


class DiamondDividendProposal(models.Model):
    """Maker-checker for the diamond dividend: one operator proposes a quarter's payout with
    the dry run frozen in (`shares`, the revenue balance it was computed on); a different
    operator approves, and only then is it paid. The CHECK makes "the same person approved"
    impossible in the database; the partial UNIQUE allows one open proposal per quarter."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=6)
    pool_fen = models.PositiveBigIntegerField()
    residue_fen = models.PositiveBigIntegerField()
    shares = models.JSONField(default=list)  # [[member_id, amount_fen], …] as proposed
    revenue_fen = models.BigIntegerField()  # platform revenue balance when proposed
    approval_ref = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    dividend = models.OneToOneField(
        DiamondDividend, null=True, blank=True, on_delete=models.PROTECT, related_name="proposal"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "quarter"],
                condition=Q(status="proposed"),
                name="dividend_proposal_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="dividend_proposal_status"
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="dividend_proposal_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.quarter} proposal {self.pk}"


class DiamondDividendShare(models.Model):
    dividend = models.ForeignKey(DiamondDividend, on_delete=models.PROTECT, related_name="shares")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    amount_fen = models.PositiveBigIntegerField()
    journal_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dividend", "member"], name="diamond_share_once")
        ]

    def __str__(self) -> str:
        return f"{self.dividend_id}:{self.member_id}"


class CoverStatus(models.TextChoices):
    INVITED = "invited", _("waiting for the member to confirm")
    COVERED = "covered", _("covered")
    DECLINED = "declined", _("declined")
    REMOVED = "removed", pgettext_lazy("household cover", "removed")


class HouseholdCover(models.Model):
    """Who a family package covers besides its holder (issue 4 "family package", issue 6
    "household cards"). The holder invites a resident of the same flat; the resident
    confirms on their own login (PIPL: their consent), and is then covered until removed or
    the package ends. One row per package and member: a re-invitation reopens the row."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="covers")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="household_covers")
    status = models.CharField(max_length=10, choices=CoverStatus.choices)
    invited_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Ever covered: the till then refuses their card once the cover ends (a declined or
    # still-pending invitation does not count: such a member never relied on the package).
    covered_once = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "member"], name="household_cover_once"),
            models.CheckConstraint(
                condition=Q(status__in=CoverStatus.values), name="household_cover_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}:{self.member_id}"
