"""Tenants: communities, their geography, roles of people in them, policy versions, audit log.

Models hold data and constraints only; every write goes through `services.py`.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BP_MAX = 10_000  # basis points: 10 000 bp = 100 %
RADIUS_MAX_M = 50_000  # a "community" wider than 50 km is a typo, not a neighbourhood


class Community(models.Model):
    """One neighbourhood alliance (A§2.2: a 1 km service radius around a centre point)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    centre_lat = models.DecimalField(
        _("centre latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    centre_lng = models.DecimalField(
        _("centre longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    radius_m = models.PositiveIntegerField(
        _("service radius (m)"),
        default=1000,
        validators=[MinValueValidator(1), MaxValueValidator(RADIUS_MAX_M)],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(centre_lat__gte=-90, centre_lat__lte=90)
                & Q(centre_lng__gte=-180, centre_lng__lte=180),
                name="community_centre_on_earth",
            ),
            models.CheckConstraint(
                condition=Q(radius_m__gte=1, radius_m__lte=RADIUS_MAX_M),
                name="community_radius_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Neighbourhood(models.Model):
    """A residential compound (小区) inside a community; matching prefers the same one (A§2.3)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="neighbourhoods"
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["community_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="neighbourhood_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) in a neighbourhood. `community` repeats the neighbourhood's, because
    every business row carries its tenant (DESIGN.md "Tenancy"); services keep them equal."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="buildings")
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=50)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["neighbourhood_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "name"], name="building_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OPERATOR = "operator", _("operator")
    # 居委会/业委会: read-only over finances and the ledger (B§3.1).
    AUDITOR = "auditor", _("auditor")
    MEMBER = "member", _("member")
    MERCHANT_OWNER = "merchant_owner", _("merchant owner")
    CASHIER = "cashier", _("cashier")


class CommunityRole(models.Model):
    """What one person may do in one community. Superusers get no implicit role (tenancy)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="community_roles"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("community role")
        verbose_name_plural = _("community roles")
        ordering = ["community_id", "role", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community", "role"], name="community_role_unique"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="community_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.community_id}:{self.role}"


class Asset(models.TextChoices):
    """Asset codes shared with the ledger. TIME is stored at scale 2: 1 coin = 100 units."""

    CNY = "CNY", _("yuan")
    TIME = "TIME", _("time coins")
    PTS = "PTS", _("points")


class TierScheme(models.TextChoices):
    SILVER_GOLD_DIAMOND = "silver_gold_diamond", _("silver / gold / diamond")  # A§3.2
    BASIC_VIP = "basic_vip", _("basic / VIP")  # B§1.1


# --- field helpers: the unit is in the name (`*_fen`, `*_bp`, `*_days`) -----------------


def _bp(verbose: "StrOrPromise", *, help_text: str = "") -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        verbose, validators=[MaxValueValidator(BP_MAX)], help_text=help_text
    )


def _fen(verbose: "StrOrPromise", *, help_text: str = "") -> models.PositiveBigIntegerField:
    return models.PositiveBigIntegerField(verbose, help_text=help_text)


def _count(
    verbose: "StrOrPromise", *, minimum: int = 0, maximum: int | None = None, help_text: str = ""
) -> models.PositiveIntegerField:
    validators: list[Any] = [MinValueValidator(minimum)]
    if maximum is not None:
        validators.append(MaxValueValidator(maximum))
    return models.PositiveIntegerField(verbose, validators=validators, help_text=help_text)


def _asset(verbose: "StrOrPromise") -> models.CharField:
    return models.CharField(verbose, max_length=4, choices=Asset.choices)


# (low, high) pairs that must satisfy low <= high.
POLICY_MIN_MAX_PAIRS = (
    ("member_discount_min_bp", "member_discount_max_bp"),
    ("commission_min_bp", "commission_max_bp"),
    ("merchant_offer_min_bp", "merchant_offer_max_bp"),
    ("group_buy_margin_min_bp", "group_buy_margin_max_bp"),
    ("ad_slot_price_min_fen", "ad_slot_price_max_fen"),
    ("member_fee_early_bird_fen", "member_fee_fen"),
    ("new_member_gift_price_fen", "new_member_gift_value_fen"),
    # A reminder before renewing is possible would send members to a closed counter.
    ("renewal_reminder_days", "renewal_window_days"),
)

# Percentages that are a share of something, hence 0..10 000 bp.
POLICY_SHARE_BP_FIELDS = (
    "member_discount_min_bp",
    "member_discount_max_bp",
    "spend_reward_bp",
    "commission_min_bp",
    "commission_max_bp",
    "cross_referral_rebate_bp",
    "merchant_offer_min_bp",
    "merchant_offer_max_bp",
    "merchant_profit_pledge_bp",
    "complaint_rate_red_bp",
    "quarterly_replace_bottom_bp",
    "cross_store_coupon_platform_subsidy_bp",
    "bundle_min_discount_bp",
    "group_buy_margin_min_bp",
    "group_buy_margin_max_bp",
    "coupon_max_discount_bp",
    "interest_group_discount_bp",
    "shortage_threshold_bp",
    "shortage_platform_share_bp",
    "gold_team_spend_bp",
    "member_profit_share_bp",
    "profit_share_spend_weight_bp",
    "community_fund_sale_bp",
    "community_fund_profit_bp",
)


def _policy_constraints() -> list[models.BaseConstraint]:
    checks: list[models.BaseConstraint] = [
        models.UniqueConstraint(fields=["community", "number"], name="policy_number_unique"),
        models.CheckConstraint(condition=Q(number__gte=1), name="policy_number_positive"),
        # Compliance, not a setting: rewards go to the direct referrer only (B§3.1).
        models.CheckConstraint(condition=Q(referral_depth=1), name="policy_referral_direct_only"),
        models.CheckConstraint(
            condition=Q(referral_reward_yearly_cap__gte=1), name="policy_referral_capped"
        ),
        models.CheckConstraint(
            condition=Q(service_hour_reward_units__gte=1), name="policy_hour_reward_positive"
        ),
        models.CheckConstraint(condition=Q(coin_value_fen__gte=1), name="policy_coin_value"),
        models.CheckConstraint(condition=Q(point_value_fen__gte=1), name="policy_point_value"),
        # Work and spending are rewarded in coins or points, never in cash (SPEC compliance).
        models.CheckConstraint(
            condition=Q(service_hour_reward_asset__in=[Asset.TIME, Asset.PTS])
            & Q(spend_reward_asset__in=[Asset.TIME, Asset.PTS])
            & Q(referral_reward_asset__in=Asset.values),
            name="policy_reward_assets",
        ),
        models.CheckConstraint(
            condition=Q(member_tier_scheme__in=TierScheme.values), name="policy_tier_scheme"
        ),
        models.CheckConstraint(
            condition=(Q(family_package_fee_fen=0) & Q(family_package_max_members=0))
            | (Q(family_package_fee_fen__gt=0) & Q(family_package_max_members__gte=2)),
            name="policy_family_package",
        ),
        models.CheckConstraint(
            condition=Q(daily_redemption_cap_points__isnull=True)
            | Q(daily_redemption_cap_points__gte=1),
            name="policy_redemption_cap",
        ),
        models.CheckConstraint(
            condition=Q(founding_members_max__isnull=True) | Q(founding_members_max__gte=1),
            name="policy_founding_cap",
        ),
        models.CheckConstraint(
            condition=Q(senior_age_years__gte=50, senior_age_years__lte=100),
            name="policy_senior_age",
        ),
        # Coins sold to enterprises at a premium or not at all (A§4.2: 1 : 1.2).
        models.CheckConstraint(
            condition=Q(enterprise_coin_price_bp=0)
            | Q(enterprise_coin_price_bp__gte=BP_MAX, enterprise_coin_price_bp__lte=2 * BP_MAX),
            name="policy_enterprise_coin_price",
        ),
        # No more than all of the profit can be handed out.
        models.CheckConstraint(
            condition=Q(
                member_profit_share_bp__lte=BP_MAX - F("community_fund_profit_bp"),
            ),
            name="policy_profit_split",
        ),
        models.CheckConstraint(
            condition=Q(cross_store_coupon_value_fen__lte=F("cross_store_coupon_min_spend_fen")),
            name="policy_cross_store_coupon",
        ),
    ]
    checks += [
        models.CheckConstraint(condition=Q(**{f"{name}__lte": BP_MAX}), name=f"policy_{name}")
        for name in POLICY_SHARE_BP_FIELDS
    ]
    checks += [
        models.CheckConstraint(
            condition=Q(**{f"{low}__lte": F(high)}), name=f"policy_{low}_le_{high}"
        )
        for low, high in POLICY_MIN_MAX_PAIRS
    ]
    return checks


class PolicyVersion(models.Model):
    """Every number of a community's rules (SPEC.md policy table), frozen once written.

    A version is never edited: a change is a new version with an effective time, and a
    database trigger rejects UPDATE and DELETE (migration 0001). Units are in the field
    names: `*_fen` (CNY cents), `*_bp` (basis points, 10 000 = 100 %), `*_units` (the
    smallest unit of the named asset: TIME at scale 2, so 1 coin = 100 units; PTS at
    scale 0). For features a plan does not have, an amount of 0 means "off"; a cap of
    NULL means "no cap". Presets with the plan references are in `presets.py`.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="policies")
    number = models.PositiveIntegerField(_("version number"))
    effective_from = models.DateTimeField(_("effective from"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    preset = models.CharField(_("preset"), max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)

    # --- membership (A§2.1, B§1.1) ---
    member_fee_fen = _fen(_("member annual fee (fen)"))
    member_fee_early_bird_fen = _fen(_("early-bird annual fee (fen)"))
    early_bird_window_days = _count(_("early-bird window (days)"), maximum=366)
    family_package_fee_fen = _fen(_("family package annual fee (fen)"), help_text="0 = none")
    family_package_max_members = _count(_("family package size"), maximum=20)
    included_free_services_per_year = _count(_("free community services per year"))
    admission_review_required = models.BooleanField(_("admission review required"))
    member_tier_scheme = models.CharField(
        _("member tiers"), max_length=24, choices=TierScheme.choices
    )
    member_discount_min_bp = _bp(_("member discount, lowest (bp)"))
    member_discount_max_bp = _bp(_("member discount, highest (bp)"))
    membership_grace_days = _count(_("renewal grace (days)"), maximum=366)
    refund_full_days = _count(_("full fee refund window (days)"), minimum=7, maximum=366)
    founding_members_max = models.PositiveIntegerField(
        _("founding members, most"), null=True, blank=True, help_text="empty = no cap"
    )
    founding_member_fee_waived = models.BooleanField(_("founding members' first year free"))
    # Renewal and sign-up limits (issue 4 "constants → policy"); the plans give no numbers.
    renewal_window_days = _count(
        _("renewal may be paid this many days before the year ends"), minimum=1, maximum=366
    )
    renewal_reminder_days = _count(
        _("renewal reminder this many days before the year ends"), minimum=1, maximum=366
    )
    referrals_per_referrer_daily_max = _count(
        _("new referrals one member may bind per day"), minimum=1, maximum=1000
    )
    sms_codes_per_phone_hour = _count(
        _("sign-in codes per phone number per hour"), minimum=1, maximum=60
    )
    sms_codes_per_ip_hour = _count(
        _("sign-in codes per network address per hour"), minimum=1, maximum=10_000
    )
    sms_code_lifetime_minutes = _count(_("sign-in code lifetime (minutes)"), minimum=1, maximum=30)
    new_member_gift_price_fen = _fen(_("new-member gift pack price (fen)"))
    new_member_gift_value_fen = _fen(_("new-member gift pack value (fen)"), help_text="0 = none")

    # --- neighbourly time and rewards (A§2.3, A§3.2, B§1.2, B§2.1) ---
    service_hour_reward_asset = _asset(_("asset earned per service hour"))
    service_hour_reward_units = _count(_("units earned per service hour"), minimum=1)
    coin_value_fen = _count(_("value of one time coin (fen)"), minimum=1)
    point_value_fen = _count(_("value of one point (fen)"), minimum=1)
    spend_reward_asset = _asset(_("asset earned by spending"))
    spend_reward_bp = _bp(
        _("spend reward (bp)"), help_text="reward units = spend in fen × bp / 10 000"
    )
    daily_redemption_cap_points = models.PositiveIntegerField(
        _("points redeemable per member per day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="empty = no cap",
    )
    points_validity_months = _count(_("points validity (months)"), minimum=12, maximum=120)

    # --- referrals (A§2.1, A§3.2, B§2.1, B§3.1) ---
    referral_depth = models.PositiveSmallIntegerField(
        _("referral depth"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1)],
        help_text="always 1: direct referrer only (B§3.1)",
    )
    referral_reward_asset = _asset(_("referral reward asset"))
    referral_reward_units = _count(_("referral reward (units)"))
    referral_reward_yearly_cap = _count(_("referral rewards per referrer per year"), minimum=1)
    referrals_to_waive_fee = _count(_("referrals that waive next year's fee"), help_text="0 = off")
    merchant_referral_reward_points = _count(_("points for introducing a merchant"))

    # --- merchants (A§2.1, A§3.1, A§3.3, A§6.1, B§1.3, B§3.2) ---
    merchant_annual_fee_fen = _fen(_("merchant annual fee (fen)"))
    merchant_deposit_fen = _fen(_("merchant deposit (fen)"))
    commission_min_bp = _bp(_("platform commission, lowest (bp)"))
    commission_max_bp = _bp(_("platform commission, highest (bp)"))
    cross_referral_rebate_bp = _bp(_("merchant cross-referral rebate (bp)"))
    merchant_offer_min_bp = _bp(_("monthly member offer, lowest share of revenue (bp)"))
    merchant_offer_max_bp = _bp(_("monthly member offer, highest share of revenue (bp)"))
    merchant_min_referrals_per_month = _count(_("new members a merchant refers per month"))
    merchant_profit_pledge_bp = _bp(_("merchant profit pledged to public good (bp)"))
    complaint_rate_red_bp = _bp(_("complaint rate that removes a merchant (bp)"))
    quarterly_replace_bottom_bp = _bp(_("bottom share of merchants replaced quarterly (bp)"))
    merchant_exit_notice_days = _count(_("merchant exit notice (days)"), minimum=30, maximum=366)
    merchant_deposit_top_up_days = _count(
        _("days to top the deposit back up after compensation"), minimum=1, maximum=366
    )
    # A§6.1 quarterly score: weights of its parts, in points (see merchants/scoring.py).
    merchant_score_sales_weight = _count(_("quarterly score: weight of sales"), maximum=100)
    merchant_score_rating_weight = _count(_("quarterly score: weight of ratings"), maximum=100)
    merchant_score_duties_weight = _count(_("quarterly score: weight of duties met"), maximum=100)
    merchant_score_referrals_weight = _count(
        _("quarterly score: weight of members referred"), maximum=100
    )
    merchant_score_complaints_penalty = _count(
        _("quarterly score: penalty for verified complaints"), maximum=100
    )
    # Trust (B§3.2 red list, the traffic light, the waiting list, exit): the plans give no
    # numbers, so both presets carry the values the code used before they were settings.
    merchant_complaint_window_days = _count(
        _("complaint rate: rolling window (days)"), minimum=7, maximum=366
    )
    merchant_complaint_min_sales = _count(
        _("complaint rate: least sales in the window before it is judged"),
        minimum=1,
        maximum=100_000,
    )
    merchant_rating_amber_below_tenths = _count(
        _("rating average below which the light turns amber (tenths of a star)"),
        minimum=10,
        maximum=50,
    )
    merchant_seat_offer_days = _count(
        _("days the first in a trade's waiting list has to accept a free seat"),
        minimum=1,
        maximum=60,
    )
    merchant_exit_notify_buyers_days = _count(
        _("exit notice reaches the shop's buyers of the last (days)"),
        minimum=1,
        maximum=366,
    )
    ad_slot_price_min_fen = _fen(_("ad slot price per month, lowest (fen)"))
    ad_slot_price_max_fen = _fen(_("ad slot price per month, highest (fen)"))

    # --- alliance commerce (A§2.2, A§4.2, B§2.1, B§2.3) ---
    cross_store_coupon_min_spend_fen = _fen(_("cross-store coupon: minimum spend (fen)"))
    cross_store_coupon_value_fen = _fen(_("cross-store coupon: value (fen)"), help_text="0 = off")
    cross_store_coupon_platform_subsidy_bp = _bp(_("cross-store coupon: platform subsidy (bp)"))
    bundle_min_discount_bp = _bp(_("bundle discount below the items' total, least (bp)"))
    group_buy_margin_min_bp = _bp(_("group-buy margin, lowest (bp)"))
    group_buy_margin_max_bp = _bp(_("group-buy margin, highest (bp)"))
    coupon_max_discount_bp = _bp(_("largest discount a coupon may give (bp)"))
    return_window_days = _count(_("return window (days)"), minimum=7, maximum=366)
    interest_group_min_members = _count(_("interest group size for its discount"), minimum=2)
    interest_group_discount_bp = _bp(_("interest group extra discount (bp)"))

    # --- time bank (A§2.3, A§4.2, A§6.2, B§4.3) ---
    senior_age_years = _count(_("senior age (years)"), minimum=50, maximum=100)
    seniors_free_basic_services = models.BooleanField(_("basic services free for seniors"))
    matching_response_minutes = _count(_("matching response radius (minutes)"), minimum=1)
    shortage_threshold_bp = _bp(_("demand over supply that raises a shortage alert (bp)"))
    shortage_platform_share_bp = _bp(_("platform share of coins in a shortage (bp)"))
    enterprise_coin_price_bp = models.PositiveIntegerField(
        _("enterprise coin price (bp of face value)"),
        validators=[MaxValueValidator(2 * BP_MAX)],
        help_text="0 = not sold; otherwise 10 000–20 000",
    )

    # --- tiers (A§3.2) ---
    gold_min_direct_referrals = _count(_("direct referrals for gold"), minimum=1)
    gold_team_spend_bp = _bp(_("gold share of the team's spend (bp)"))
    diamond_min_gold_referrals = _count(_("gold members raised for diamond"), minimum=1)
    diamond_dividends = models.BooleanField(_("diamond members share dividends"))

    # --- settlement and funds (A§7, B§1.2, B§3.3) ---
    member_profit_share_bp = _bp(_("platform revenue returned to members (bp)"))
    profit_share_spend_weight_bp = _bp(_("weight of spending in the member return (bp)"))
    community_fund_sale_bp = _bp(_("community fund share of every sale (bp)"))
    community_fund_profit_bp = _bp(_("community fund share of platform profit (bp)"))

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["community_id", "number"]
        indexes = [
            models.Index(fields=["community", "effective_from"], name="policy_effective_idx")
        ]
        constraints = _policy_constraints()

    def __str__(self) -> str:
        return f"{self.community_id} v{self.number}"


# Fields a policy change may set; everything else on PolicyVersion is bookkeeping.
POLICY_META_FIELDS = frozenset(
    {"id", "community", "number", "effective_from", "created_at", "created_by", "preset", "reason"}
)


def policy_setting_names() -> list[str]:
    return [f.name for f in PolicyVersion._meta.concrete_fields if f.name not in POLICY_META_FIELDS]


class AuditEntry(models.Model):
    """Who did what, when, to which row, with the values before and after (Zulip-style).

    Append-only: a database trigger rejects UPDATE and DELETE (migration 0001).
    """

    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The username when it happened: stays readable even if the account is renamed.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=100)
    target_id = models.CharField(_("target id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["community", "-id"], name="audit_community_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"
