"""Reads of the ledger: balances, statements, journals. Writes live in `services.py`."""

from dataclasses import dataclass

from django.db.models import Q, Sum

from linli.ledger.models import Account, Entry, HotRollup, Transfer, TransferKind

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Balance:
    posted: int  # credits − debits
    pending: int  # credits_pending − debits_pending
    available: int  # what may be spent now: posted minus outgoing holds


def account_balance(*, account: Account) -> int:
    return account_balances(account=account).posted


def account_balances(*, account: Account) -> Balance:
    if account.is_hot:
        debits, credits = _hot_totals(account)
        return Balance(posted=credits - debits, pending=0, available=credits - debits)
    return Balance(
        posted=account.credits_posted - account.debits_posted,
        pending=account.credits_pending - account.debits_pending,
        available=account.credits_posted - account.debits_posted - account.debits_pending,
    )


def _hot_totals(account: Account) -> tuple[int, int]:
    """Latest rollup plus the transfers after it (DESIGN.md "Hot accounts")."""
    rollup = HotRollup.objects.filter(account=account).order_by("-through_seq").first()
    after = rollup.through_seq if rollup else 0
    tail = Transfer.objects.filter(seq__gt=after, community_id=account.community_id).exclude(
        kind__in=[TransferKind.PENDING, TransferKind.VOID]
    )
    debits = tail.filter(debit_account=account).aggregate(s=Sum("amount"))["s"] or 0
    credits = tail.filter(credit_account=account).aggregate(s=Sum("amount"))["s"] or 0
    if rollup:
        debits += rollup.debits_posted
        credits += rollup.credits_posted
    return debits, credits


def account_statement(*, account: Account, after_version: int = 0, limit: int = 50) -> list[Entry]:
    """One page of a (non-hot) account's entries, keyset-paged by account version."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    return list(
        Entry.objects.filter(account=account, account_version__gt=after_version)
        .select_related("journal", "transfer")
        .order_by("account_version")[:limit]
    )


def hot_account_statement(
    *, account: Account, after_seq: int = 0, limit: int = 50
) -> list[Transfer]:
    """A hot account's transfers, keyset-paged by journal seq (it has no versions)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    return list(
        Transfer.objects.filter(
            Q(debit_account=account) | Q(credit_account=account), seq__gt=after_seq
        )
        .select_related("journal")
        .order_by("seq", "leg_no")[:limit]
    )
