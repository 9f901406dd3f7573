"""The ledger's tables (research/ledger.md §7.2): assets, accounts, journals, transfers, entries.

Only `linli.ledger.services` writes these tables. Transfers and entries are append-only
(database triggers reject UPDATE and DELETE, see `triggers.py`); a correction is a new
journal that references the one it reverses.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community, PolicyVersion

MAX_LEGS_PER_JOURNAL = 16
# 10^13 minor units = 100 billion CNY: far above any real posting, far below 2^63.
MAX_AMOUNT = 10**13


# (code, scale, name): the assets every community uses; created by migration and on demand.
ASSETS = (("CNY", 2, "人民币 (fen)"), ("TIME", 2, "邻里时间币 (1/100 coin)"), ("PTS", 0, "积分"))


class Asset(models.Model):
    """CNY in fen (scale 2), time coins in hundredths (scale 2: 1 coin = 100 units, so a 5%
    cash-back on 0.37 CNY is still an integer), points (scale 0). Decided once, never changed."""

    code = models.CharField(primary_key=True, max_length=8)
    scale = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.code


class AccountKind(models.TextChoices):
    MEMBER_WALLET = "member_wallet", _("member wallet")
    # Points earned as cash-back, not spendable until the sale's return window closes.
    MEMBER_FROZEN = "member_frozen", _("member's frozen points")
    MERCHANT = "merchant", _("merchant account")
    PLATFORM_REVENUE = "platform_revenue", _("platform revenue")
    FEE_ESCROW = "fee_escrow", _("membership fee escrow")
    DEPOSIT_ESCROW = "deposit_escrow", _("merchant deposit escrow")
    COMMUNITY_FUND = "community_fund", _("community fund")
    COIN_POOL = "coin_pool", _("coin pool")
    SUBSIDY = "subsidy", _("platform subsidies")
    COUPON_COST = "coupon_cost", _("coupon cost")
    CASH_IN = "cash_in", _("external cash in")
    CASH_OUT = "cash_out", _("external cash out")
    ISSUANCE = "issuance", _("coin and point issuance")
    ROUNDING = "rounding", _("rounding")


class Account(models.Model):
    """One asset per account. Balance convention: credits − debits (a member's money is a
    credit balance). Hot accounts are never locked or updated per posting: their balance is
    the latest rollup plus the transfers since (DESIGN.md "Hot accounts")."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="accounts")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, db_column="asset")
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    owner_type = models.CharField(max_length=20, blank=True, default="")
    owner_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=100, blank=True, default="")
    debits_must_not_exceed_credits = models.BooleanField(default=False)
    credits_must_not_exceed_debits = models.BooleanField(default=False)
    is_hot = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debits_pending = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["id", "asset"], name="account_id_asset"),
            models.UniqueConstraint(
                fields=["community", "kind", "asset"],
                condition=Q(owner_id__isnull=True),
                name="one_system_account_per_kind",
            ),
            models.UniqueConstraint(
                fields=["community", "kind", "asset", "owner_type", "owner_id"],
                condition=Q(owner_id__isnull=False),
                name="one_owned_account_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(
                    debits_posted__gte=0,
                    credits_posted__gte=0,
                    debits_pending__gte=0,
                    credits_pending__gte=0,
                    version__gte=0,
                ),
                name="account_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(debits_must_not_exceed_credits=False)
                | Q(credits_posted__gte=F("debits_posted") + F("debits_pending")),
                name="account_debits_within_credits",
            ),
            models.CheckConstraint(
                condition=Q(credits_must_not_exceed_debits=False)
                | Q(debits_posted__gte=F("credits_posted") + F("credits_pending")),
                name="account_credits_within_debits",
            ),
            models.CheckConstraint(
                condition=Q(is_hot=False)
                | Q(debits_must_not_exceed_credits=False, credits_must_not_exceed_debits=False),
                name="hot_account_has_no_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.asset_id}#{self.pk}"


class ChainHead(models.Model):
    """The gapless per-community `seq`: one row per community, bumped inside each posting."""

    community = models.OneToOneField(
        Community, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"chain {self.community_id}@{self.last_seq}"


class JournalStatus(models.TextChoices):
    POSTED = "posted", _("posted")
    REJECTED = "rejected", _("rejected")


class Journal(models.Model):
    """One business event: up to 16 transfers committed atomically. Rejected requests are
    stored too (no seq, no transfers) so that a retry with the same key gets the same answer."""

    id = models.UUIDField(primary_key=True)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=JournalStatus.choices)
    error_code = models.CharField(max_length=50, blank=True, default="")
    error_params = models.JSONField(null=True, blank=True)
    code = models.CharField(max_length=40)
    memo = models.CharField(max_length=200, blank=True, default="")
    external_ref = models.CharField(max_length=100, blank=True, default="")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    policy = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    seq = models.BigIntegerField(null=True, blank=True)
    leaf_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"], name="journal_idempotency_key"
            ),
            models.UniqueConstraint(fields=["community", "seq"], name="journal_seq"),
            models.CheckConstraint(
                condition=Q(status="posted", seq__gte=1) & ~Q(leaf_hash="")
                | Q(status="rejected", seq__isnull=True, leaf_hash=""),
                name="journal_posted_has_seq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} #{self.seq}"


class TransferKind(models.TextChoices):
    SINGLE = "single", _("transfer")
    PENDING = "pending", _("hold")
    POST = "post", _("hold posted")
    VOID = "void", _("hold voided")


class Transfer(models.Model):
    """Debit one account, credit another, same asset, amount > 0: balanced by construction."""

    id = models.UUIDField(primary_key=True)
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="transfers")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    seq = models.BigIntegerField()
    leg_no = models.PositiveSmallIntegerField()
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, db_column="asset")
    debit_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    credit_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=TransferKind.choices)
    pending = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resolutions"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")), name="transfer_two_accounts"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["post", "void"], pending__isnull=False)
                | Q(kind__in=["single", "pending"], pending__isnull=True),
                name="transfer_pending_reference",
            ),
            models.UniqueConstraint(fields=["journal", "leg_no"], name="transfer_leg_no"),
            models.UniqueConstraint(
                fields=["pending"],
                condition=Q(pending__isnull=False),
                name="one_resolution_per_hold",
            ),
        ]
        indexes = [
            models.Index(fields=["debit_account", "seq"], name="transfer_debit_seq"),
            models.Index(fields=["credit_account", "seq"], name="transfer_credit_seq"),
            models.Index(fields=["kind", "expires_at"], name="transfer_hold_expiry"),
            models.Index(fields=["community", "seq"], name="transfer_community_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.asset_id} #{self.seq}.{self.leg_no}"


class Entry(models.Model):
    """One line of an account's statement per transfer touching it (non-hot accounts).
    `(account, account_version)` pages statements in O(1) and makes gaps detectable."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    account_version = models.BigIntegerField()
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    delta = models.BigIntegerField()
    pending_delta = models.BigIntegerField()
    balance_after = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "account_version"], name="entry_account_version"
            ),
            models.CheckConstraint(
                condition=Q(account_version__gte=1), name="entry_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} v{self.account_version}"


class HotRollup(models.Model):
    """A hot account's posted totals through journal `through_seq` of its community."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="rollups")
    through_seq = models.BigIntegerField()
    debits_posted = models.BigIntegerField()
    credits_posted = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "through_seq"], name="rollup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} through {self.through_seq}"


class MerkleNode(models.Model):
    """Hash of a perfect subtree of the community's RFC 6962 tree (level 0 = leaves)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "level", "index"], name="merkle_node")
        ]

    def __str__(self) -> str:
        return f"{self.community_id} L{self.level}[{self.index}]"


class Checkpoint(models.Model):
    """A signed tree head (C2SP tlog-checkpoint), published on the community's public page."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    signed_note = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "tree_size"], name="checkpoint_size")
        ]
        ordering = ["community_id", "-tree_size"]

    def __str__(self) -> str:
        return f"{self.community_id} size {self.tree_size}"
