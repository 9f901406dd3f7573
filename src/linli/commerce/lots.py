"""Points lots, the freeze and expiry (SPEC "Points": spent earliest-expiring first; frozen
until the return window closes; reminders 30 and 7 days before expiry). docs/commerce.md
"Points" has the rules in words.

The ledger is the truth; lots are derived from it. `lots_sync` reads the new entries of a
member's PTS wallet and frozen points account in journal order and applies them to the
lots, under the member's `PointsBook` row lock (so two syncs never use a lot twice):

* a credit to the frozen account (a sale's cash-back) is a new frozen lot, released when
  the sale's return window closes (`return_window_days` of the sale's policy);
* a credit to the wallet is a new lot — unless it gives back points a refunded journal
  spent, which go back to the lots they came from (a lot past its expiry by then gives
  them back as a new lot that expires NOTICE_DAYS after the refund, so the member is
  told 30 days ahead like for any lot);
* a debit takes from the lots the journal itself earned when it undoes one (a refund's
  clawback), then earliest-expiring first (FIFO by expiry, then by lot id);
* `points_release` and `points_expire` journals name their lot in `external_ref`.

Locks: the book row first, then (when posting) the ledger's accounts — never the other
way round, so the jobs here and a refund cannot deadlock with each other.
"""

import calendar
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from linli.commerce.accounts import member_wallet
from linli.commerce.points_models import LotUseKind, PointsBook, PointsLot, PointsLotUse
from linli.communities.models import PolicyVersion
from linli.communities.selectors import policy_in_force
from linli.ledger.models import Account, AccountKind, Entry, Journal
from linli.ledger.selectors import account_balances
from linli.ledger.services import Leg, chart_ensure, journal_post
from linli.members.models import Member

logger = logging.getLogger(__name__)

RELEASE_CODE = "points_release"
EXPIRE_CODE = "points_expire"
UNDOING_CODES = ("sale_refund", "sale_undo")  # external_ref = the sale's journal id
NOTICE_DAYS = 30  # SPEC: the first reminder goes out 30 days before a lot expires
REMINDER_DAYS = (30, 7)
_POINTS_KINDS = (AccountKind.MEMBER_WALLET, AccountKind.MEMBER_FROZEN)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def points_accounts(member: Member) -> dict[str, Account]:
    """The member's PTS wallet and frozen points account that exist, by kind (one SELECT)."""
    rows = Account.objects.filter(
        community_id=member.community_id,
        asset_id="PTS",
        owner_type="member",
        owner_id=member.id,
        kind__in=_POINTS_KINDS,
    )
    return {account.kind: account for account in rows}


# --- following the ledger -----------------------------------------------------------------


def lots_sync(*, member: Member) -> None:
    """Bring the member's lots up to date with the ledger (idempotent, safe to run at
    any time and from several threads: the book row serialises them). A member without
    points accounts (preset A pays coins) has nothing to follow: no book is opened."""
    if not points_accounts(member):
        return
    with transaction.atomic():
        book = book_locked(member)
        _Sync(member, book).run()


def book_locked(member: Member) -> PointsBook:
    PointsBook.objects.get_or_create(member=member)
    return PointsBook.objects.select_for_update().get(member=member)


def _original_of(journal: Journal) -> uuid.UUID | None:
    """The journal this one undoes: a reversal's original, a refund's sale."""
    if journal.reverses_id is not None:
        return journal.reverses_id
    if journal.code in UNDOING_CODES and journal.external_ref:
        try:
            return uuid.UUID(journal.external_ref)
        except ValueError:
            return None
    return None


def _lot_named(journal: Journal) -> int | None:
    ref = journal.external_ref
    if ref.startswith("lot:") and ref[4:].isdigit():
        return int(ref[4:])
    return None


class _Sync:
    def __init__(self, member: Member, book: PointsBook) -> None:
        self.member, self.book = member, book
        self.accounts = points_accounts(member)
        self.wallet = self.accounts.get(AccountKind.MEMBER_WALLET)
        self.frozen = self.accounts.get(AccountKind.MEMBER_FROZEN)
        self.lots: dict[int, PointsLot] = {}
        self.dirty: set[int] = set()
        self.uses: list[PointsLotUse] = []
        self.policies: dict[int | None, PolicyVersion] = {}

    def run(self) -> None:
        entries = self._new_entries()
        if not entries:
            return
        self.lots = {
            lot.id: lot for lot in PointsLot.objects.filter(member=self.member, remaining__gt=0)
        }
        by_journal: dict[uuid.UUID, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_journal[entry.journal_id].append(entry)
        for group in by_journal.values():  # journal order; credits before debits
            for entry in sorted(group, key=lambda e: (e.delta < 0, e.account_version)):
                self._apply(entry)
        self._save(entries)

    def _new_entries(self) -> list[Entry]:
        wanted = Q(pk__in=[])
        if self.wallet is not None:
            wanted |= Q(account=self.wallet, account_version__gt=self.book.wallet_version)
        if self.frozen is not None:
            wanted |= Q(account=self.frozen, account_version__gt=self.book.frozen_version)
        return list(
            Entry.objects.filter(wanted)
            .select_related("journal")
            .order_by("journal__seq", "account_version")
        )

    def _apply(self, entry: Entry) -> None:
        journal, delta = entry.journal, entry.delta
        if delta == 0:  # a hold placed or released: the posted balance did not change
            return
        if self.frozen is not None and entry.account_id == self.frozen.id:
            if delta > 0:
                self._earn(journal, delta, frozen=True)
            elif journal.code == RELEASE_CODE:
                self._release(journal, -delta)
            else:
                self._take(journal, -delta, frozen=True)
            return
        if delta > 0:
            if journal.code == RELEASE_CODE:
                return  # the frozen side moved the lot
            left = delta
            original = _original_of(journal)
            if original is not None:
                left = self._give_back(journal, original, left)
            if left:
                self._earn(journal, left, frozen=False)
        elif journal.code == EXPIRE_CODE:
            self._expire(journal, -delta)
        else:
            self._take(journal, -delta, frozen=False)

    # --- the five moves -------------------------------------------------------------------

    def _policy(self, journal: Journal) -> PolicyVersion:
        """The journal's policy; one posted without (before any was in force) follows the
        policy in force now."""
        if journal.policy_id not in self.policies:
            self.policies[journal.policy_id] = (
                PolicyVersion.objects.get(id=journal.policy_id)
                if journal.policy_id is not None
                else policy_in_force(community=self.member.community)
            )
        return self.policies[journal.policy_id]

    def _earn(
        self, journal: Journal, amount: int, *, frozen: bool, expires_at: datetime | None = None
    ) -> PointsLot:
        policy = self._policy(journal)
        account = self.frozen if frozen else self.wallet
        assert account is not None  # an entry on it is being read
        lot = PointsLot.objects.create(
            community_id=self.member.community_id,
            member=self.member,
            account=account,
            source_journal_id=journal.id,
            source_code=journal.code,
            amount=amount,
            remaining=amount,
            earned_at=journal.created_at,
            frozen=frozen,
            release_at=(
                journal.created_at + timedelta(days=policy.return_window_days) if frozen else None
            ),
            expires_at=expires_at or add_months(journal.created_at, policy.points_validity_months),
        )
        self.lots[lot.id] = lot
        return lot

    def _release(self, journal: Journal, amount: int) -> None:
        lot = self._lot(_lot_named(journal))
        if lot is None or not lot.frozen or lot.remaining != amount or self.wallet is None:
            logger.error("points release %s does not match its lot", journal.id)
            self._take(journal, amount, frozen=True)
            self._earn(journal, amount, frozen=False)
            return
        lot.frozen, lot.account, lot.released_at = False, self.wallet, journal.created_at
        self._use(lot, journal, LotUseKind.RELEASE, amount)

    def _expire(self, journal: Journal, amount: int) -> None:
        lot = self._lot(_lot_named(journal))
        taken = 0
        if lot is not None and not lot.frozen:
            taken = min(amount, lot.remaining)
            lot.remaining -= taken
            if lot.remaining == 0:
                lot.expired_at = journal.created_at
            self._use(lot, journal, LotUseKind.EXPIRE, taken)
        if amount - taken:
            self._take(journal, amount - taken, frozen=False)

    def _take(self, journal: Journal, amount: int, *, frozen: bool) -> None:
        """Take `amount` from the lots: those the undone journal earned first, then the
        earliest-expiring (frozen lots: the earliest released)."""
        original = _original_of(journal)
        kind = LotUseKind.CLAWBACK if original is not None else LotUseKind.SPEND
        candidates = [lot for lot in self.lots.values() if lot.frozen == frozen and lot.remaining]
        candidates.sort(
            key=lambda lot: (
                lot.source_journal_id != original,
                (lot.release_at if frozen else lot.expires_at),
                lot.id,
            )
        )
        left = amount
        for lot in candidates:
            taken = min(left, lot.remaining)
            lot.remaining -= taken
            self._use(lot, journal, kind, taken)
            left -= taken
            if not left:
                return
        logger.error("points lots of member %s short by %s at %s", self.member.id, left, journal.id)

    def _give_back(self, journal: Journal, original: uuid.UUID, amount: int) -> int:
        """Points a refund returns go back to the lots the original journal took them
        from, the latest-expiring first; what is left over is returned for a new lot."""
        left = amount
        for lot, owed in self._owed_by(original):
            give = min(left, owed, lot.amount - lot.remaining)
            if give <= 0:
                continue
            if lot.expired_at is None and lot.expires_at > journal.created_at:
                lot.remaining += give
            else:  # the lot has expired since: a new lot, with the notice period to use it
                self._earn(
                    journal,
                    give,
                    frozen=False,
                    expires_at=journal.created_at + timedelta(days=NOTICE_DAYS),
                )
            self._use(lot, journal, LotUseKind.GIVE_BACK, -give, of_journal=original)
            left -= give
            if not left:
                break
        return left

    def _owed_by(self, original: uuid.UUID) -> list[tuple[PointsLot, int]]:
        owed: dict[int, int] = defaultdict(int)
        for use in PointsLotUse.objects.filter(
            Q(journal_id=original, kind__in=[LotUseKind.SPEND, LotUseKind.CLAWBACK])
            | Q(of_journal_id=original, kind=LotUseKind.GIVE_BACK)
        ):
            owed[use.lot_id] += use.amount
        for use in self.uses:  # spent or given back earlier in this same sync
            spent = use.journal_id == original and use.kind != LotUseKind.GIVE_BACK
            if spent or use.of_journal_id == original:
                owed[use.lot_id] += use.amount
        pairs = []
        for lot_id, amount in owed.items():
            lot = self._lot(lot_id)
            if lot is not None and amount > 0 and not lot.frozen:
                pairs.append((lot, amount))
        # the latest-expiring first: the member keeps the longest validity
        pairs.sort(key=lambda pair: (pair[0].expires_at, pair[0].id), reverse=True)
        return pairs

    # --- bookkeeping ----------------------------------------------------------------------

    def _lot(self, lot_id: int | None) -> PointsLot | None:
        if lot_id is None:
            return None
        if lot_id not in self.lots:
            found = PointsLot.objects.filter(id=lot_id, member=self.member).first()
            if found is None:
                return None
            self.lots[lot_id] = found
        return self.lots[lot_id]

    def _use(
        self,
        lot: PointsLot,
        journal: Journal,
        kind: str,
        amount: int,
        of_journal: uuid.UUID | None = None,
    ) -> None:
        self.dirty.add(lot.id)
        self.uses.append(
            PointsLotUse(
                lot=lot,
                journal_id=journal.id,
                of_journal_id=of_journal,
                kind=kind,
                amount=amount,
                at=journal.created_at,
            )
        )

    def _save(self, entries: list[Entry]) -> None:
        PointsLot.objects.bulk_update(
            [self.lots[i] for i in sorted(self.dirty)],
            ["remaining", "frozen", "account", "released_at", "expired_at"],
        )
        PointsLotUse.objects.bulk_create(self.uses)
        for entry in entries:
            if self.wallet is not None and entry.account_id == self.wallet.id:
                self.book.wallet_version = max(self.book.wallet_version, entry.account_version)
            else:
                self.book.frozen_version = max(self.book.frozen_version, entry.account_version)
        self.book.save(update_fields=["wallet_version", "frozen_version"])


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    wallet_lots: int
    wallet_balance: int
    frozen_lots: int
    frozen_balance: int

    @property
    def matches(self) -> bool:
        return (self.wallet_lots, self.frozen_lots) == (self.wallet_balance, self.frozen_balance)


def lots_reconcile(*, member: Member) -> Reconciliation:
    """Σ remaining of the lots against the ledger: the wallet's posted balance (what can be
    spent plus what bundles and pledges hold) and the frozen account's."""
    lots_sync(member=member)
    sums = dict(
        PointsLot.objects.filter(member=member)
        .values_list("frozen")
        .annotate(total=Sum("remaining"))
        .values_list("frozen", "total")
    )
    accounts = points_accounts(member)
    balances = {
        kind: account_balances(account=account).posted for kind, account in accounts.items()
    }
    return Reconciliation(
        wallet_lots=sums.get(False, 0) or 0,
        wallet_balance=balances.get(AccountKind.MEMBER_WALLET, 0),
        frozen_lots=sums.get(True, 0) or 0,
        frozen_balance=balances.get(AccountKind.MEMBER_FROZEN, 0),
    )


def lots_reconcile_all() -> list[int]:
    """The members whose lots do not add up to their points accounts (the nightly check;
    an empty list is the expected answer)."""
    owners = Account.objects.filter(
        kind__in=_POINTS_KINDS, asset_id="PTS", owner_type="member", version__gt=0
    ).values_list("owner_id", flat=True)
    wrong = []
    for member in Member.objects.filter(id__in=set(owners)).order_by("id"):
        if not lots_reconcile(member=member).matches:
            logger.error("points lots of member %s do not match the ledger", member.id)
            wrong.append(member.id)
    return wrong


def frozen_left_for(*, member: Member, journal_id: uuid.UUID) -> int:
    """What a sale's cash-back lot still holds frozen (0 once released). The caller holds
    the member's book lock (`book_locked`) and has synced."""
    lot = PointsLot.objects.filter(member=member, source_journal_id=journal_id, frozen=True).first()
    return lot.remaining if lot is not None else 0


# --- the jobs -----------------------------------------------------------------------------


def _stale_members(kind: str) -> list[Member]:
    """Members whose `kind` points account has entries their lots have not followed yet."""
    version_field = "wallet_version" if kind == AccountKind.MEMBER_WALLET else "frozen_version"
    versions = dict(PointsBook.objects.values_list("member_id", version_field))
    stale = [
        owner_id
        for owner_id, version in Account.objects.filter(
            kind=kind, asset_id="PTS", owner_type="member", version__gt=0
        ).values_list("owner_id", "version")
        if owner_id is not None and version > versions.get(owner_id, 0)
    ]
    return list(Member.objects.filter(id__in=stale).select_related("community").order_by("id"))


def points_release_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Release frozen cash-back whose sale's return window has closed: one journal per lot,
    frozen account → wallet (a deterministic key makes reruns safe)."""
    now = now or timezone.now()
    for member in _stale_members(AccountKind.MEMBER_FROZEN):
        lots_sync(member=member)
    due = PointsLot.objects.filter(frozen=True, release_at__lte=now, remaining__gt=0)
    released = 0
    for lot_id in due.order_by("release_at", "id").values_list("id", flat=True)[:limit]:
        released += _release_one(lot_id, now)
    return released


def _release_one(lot_id: int, now: datetime) -> int:
    lot = PointsLot.objects.select_related("member__community").get(id=lot_id)
    member = lot.member
    wallet = member_wallet(member, "PTS")
    with transaction.atomic():
        book = book_locked(member)
        _Sync(member, book).run()
        lot.refresh_from_db()
        if not lot.frozen or not lot.remaining or lot.release_at is None or lot.release_at > now:
            return 0
        journal_post(
            community=member.community,
            code=RELEASE_CODE,
            legs=[Leg(lot.account_id, wallet.id, lot.remaining)],
            idempotency_key=f"{RELEASE_CODE}:{lot.id}",
            memo=f"points lot {lot.id} released",
            external_ref=f"lot:{lot.id}",
        )
        book.refresh_from_db()
        _Sync(member, book).run()
    return 1


def points_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire what is left of lots past their expiry date: the points go back to issuance
    (docs/commerce.md "Points": retired, nobody's revenue). A lot whose 30-day reminder
    did not go out 30 days before is not expired (`points_remind_due` postpones it)."""
    now = now or timezone.now()
    for member in _stale_members(AccountKind.MEMBER_WALLET):
        lots_sync(member=member)
    due = PointsLot.objects.filter(
        frozen=False,
        expired_at__isnull=True,
        remaining__gt=0,
        expires_at__lte=now,
        reminded_30_at__isnull=False,
    )
    expired = 0
    for lot in due.order_by("expires_at", "id")[:limit]:
        if lot.reminded_30_at is not None and lot.reminded_30_at <= lot.expires_at - timedelta(
            days=NOTICE_DAYS
        ):
            expired += _expire_one(lot.id, now)
    return expired


def _expire_one(lot_id: int, now: datetime) -> int:
    lot = PointsLot.objects.select_related("member__community").get(id=lot_id)
    member = lot.member
    issuance = chart_ensure(community=member.community)[(AccountKind.ISSUANCE, "PTS")]
    with transaction.atomic():
        book = book_locked(member)
        _Sync(member, book).run()
        lot.refresh_from_db()
        if lot.expired_at is not None or not lot.remaining or lot.frozen:
            return 0
        wallet = Account.objects.get(id=lot.account_id)
        amount = min(lot.remaining, account_balances(account=wallet).available)
        if amount <= 0:  # all of it held by a bundle or a pledge: tried again tomorrow
            return 0
        journal_post(
            community=member.community,
            code=EXPIRE_CODE,
            legs=[Leg(wallet.id, issuance.id, amount)],
            idempotency_key=f"{EXPIRE_CODE}:{lot.id}:{lot.remaining}",
            memo=f"points lot {lot.id} expired",
            external_ref=f"lot:{lot.id}",
        )
        book.refresh_from_db()
        _Sync(member, book).run()
    return 1


def points_remind_due(*, now: datetime | None = None) -> int:
    """Inbox reminders 30 and 7 days before a lot expires, once each (a conditional UPDATE
    claims the reminder). A 30-day reminder that goes out late moves the expiry to 30 days
    after it, so nobody loses points without a month's notice."""
    from linli.members.notices import notice_send

    now = now or timezone.now()
    for member in _stale_members(AccountKind.MEMBER_WALLET):
        lots_sync(member=member)
    sent = 0
    for days in REMINDER_DAYS:
        field = f"reminded_{days}_at"
        due = PointsLot.objects.filter(
            frozen=False,
            expired_at__isnull=True,
            remaining__gt=0,
            expires_at__lte=now + timedelta(days=days),
            **{f"{field}__isnull": True},
        ).select_related("member")
        if days != NOTICE_DAYS:
            due = due.filter(reminded_30_at__isnull=False)
        for lot in due.order_by("expires_at", "id"):
            with transaction.atomic():
                changes: dict[str, Any] = {field: now}
                if days == NOTICE_DAYS and lot.expires_at < now + timedelta(days=NOTICE_DAYS):
                    changes["expires_at"] = now + timedelta(days=NOTICE_DAYS)
                claimed = PointsLot.objects.filter(id=lot.id, **{f"{field}__isnull": True}).update(
                    **changes
                )
                if not claimed:
                    continue
                on = timezone.localdate(changes.get("expires_at", lot.expires_at))
                notice_send(
                    member=lot.member,
                    kind="points_expiring",
                    params={"points": lot.remaining, "on": on.isoformat()},
                )
                sent += 1
    return sent
