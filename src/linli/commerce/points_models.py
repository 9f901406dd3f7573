"""Points lots (issue 6 "Points"): every batch of points a member earns is a lot with an
expiry date; spends take the earliest-expiring lots first. The lots are derived from the
ledger — `linli.commerce.lots` reads the entries of the member's PTS wallet and frozen
points account in journal order and keeps these rows in step — so the ledger stays the one
truth and Σ remaining of the lots equals the accounts' balances (`lots_reconcile`).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.ledger.models import Account
from linli.members.models import Member


class PointsBook(models.Model):
    """One per member: how far their lots have followed the ledger (the last entry version
    read of each account) and the row locked while they are brought up to date."""

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="points_book")
    wallet_version = models.BigIntegerField(default=0)
    frozen_version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"points book {self.member_id}"


class PointsLot(models.Model):
    """A batch of points earned in one journal. `frozen`: cash-back still in the frozen
    account until `release_at` (the sale's return window); then it is in the wallet.
    `expires_at` may be postponed once, when the 30-day reminder goes out late."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="points_lots")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    source_journal_id = models.UUIDField()
    source_code = models.CharField(max_length=40)
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    earned_at = models.DateTimeField()
    frozen = models.BooleanField(default=False)
    release_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    expired_at = models.DateTimeField(null=True, blank=True)
    reminded_30_at = models.DateTimeField(null=True, blank=True)
    reminded_7_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, remaining__gte=0, remaining__lte=models.F("amount")),
                name="points_lot_remaining_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(frozen=False) | Q(release_at__isnull=False),
                name="points_lot_frozen_has_release",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "frozen", "expires_at"], name="points_lot_member_idx"),
            models.Index(fields=["frozen", "release_at"], name="points_lot_release_idx"),
            models.Index(fields=["expired_at", "expires_at"], name="points_lot_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"lot {self.id}: {self.remaining}/{self.amount}"


class LotUseKind(models.TextChoices):
    SPEND = "spend", _("spent")
    CLAWBACK = "clawback", _("taken back by a refund")
    GIVE_BACK = "give_back", _("given back by a refund")
    RELEASE = "release", _("released from frozen")
    EXPIRE = "expire", _("expired")


class PointsLotUse(models.Model):
    """Which journal took how many points from which lot (a give-back is negative), so a
    refund gives points back to the lots they were spent from."""

    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="uses")
    journal_id = models.UUIDField()
    # A give-back: the journal whose spend it undoes (a refund of a sale paid in points).
    of_journal_id = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=LotUseKind.choices)
    amount = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["journal_id"], name="points_lot_use_journal_idx"),
            models.Index(fields=["of_journal_id"], name="points_lot_use_of_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} of lot {self.lot_id}"
