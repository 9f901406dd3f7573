"""`linli verify_ledger`: recompute everything the ledger claims and name the first bad row.

Checks, per community, in this order (research/ledger.md §4.4 "Auditor job"):
1. posted journals have seq 1..n with no gap;
2. every leaf rebuilt from the rows hashes to the stored leaf hash;
3. every checkpoint's root equals the RFC 6962 root over those leaves, and its signature
   verifies with the community's key;
4. every account's snapshot equals the sums of its transfers; entries run 1..version with
   balance_after = running sum of deltas, ending at the snapshot;
5. hot-account rollups equal the sums of their transfers;
6. the trial balance of each asset is zero.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Sum

from linli.communities.models import Community
from linli.ledger.merkle import InMemoryTree, leaf_hash
from linli.ledger.models import (
    Account,
    Checkpoint,
    Entry,
    HotRollup,
    Journal,
    JournalStatus,
    Transfer,
    TransferKind,
)
from linli.ledger.rebuild import LeafRows, leaf_rows
from linli.ledger.services.checkpoints import community_verifier_key
from linli.ledger.signing import CheckpointError, checkpoint_open

_POSTED_KINDS = (TransferKind.SINGLE, TransferKind.POST)


@dataclass(frozen=True)
class Problem:
    community: str
    check: str
    row: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.community}] {self.check}: {self.row}: {self.detail}"


EntryRow = tuple[int, int, int, int]  # version, delta, pending_delta, balance_after


@dataclass
class _Pass:
    """What one check hands to a later one: the entries the leaf check read, by account."""

    entries: dict[int, list[EntryRow]] = field(default_factory=lambda: defaultdict(list))
    entry_count: int = 0


@dataclass
class Report:
    community: str
    journals: int = 0
    accounts: int = 0
    checkpoints: int = 0
    problem: Problem | None = None


def ledger_verify(*, community: Community) -> Report:
    """Run the checks in order and stop at the first problem, which names its row."""
    report = Report(community=community.slug)
    seen = _Pass()
    for check in (_check_chain, _check_accounts, _check_rollups, _check_trial_balance):
        report.problem = next(check(community, report, seen), None)
        if report.problem is not None:
            break
    return report


def _problem(community: Community, check: str, row: str, detail: str) -> Problem:
    return Problem(community=community.slug, check=check, row=row, detail=detail)


def _check_chain(community: Community, report: Report, seen: _Pass) -> Iterator[Problem]:
    digests: list[bytes] = []
    by_account = seen.entries
    for expected_seq, rows in enumerate(leaf_rows(community=community), 1):
        if rows.seq != expected_seq:
            yield _problem(
                community, "seq", _journal_row(rows), f"expected seq {expected_seq}: a gap"
            )
            return
        try:
            digest = leaf_hash(rows.canonical_bytes())  # compared, never stored
        except (TypeError, ValueError) as exc:  # a row no encoder accepts: tampered
            yield _problem(community, "leaf", _journal_row(rows), f"rows do not encode: {exc}")
            return
        if digest.hex() != rows.stored_hash:
            yield _problem(
                community, "leaf", _journal_row(rows), "rows do not hash to the stored leaf hash"
            )
            return
        digests.append(digest)
        for entry in rows.entries:  # (seq, account, version, delta, pending_delta, balance)
            by_account[entry[1]].append(entry[2:])
        seen.entry_count += len(rows.entries)
    tree = InMemoryTree(digests)
    report.journals = tree.size
    max_seq = Journal.objects.filter(community=community, status=JournalStatus.POSTED).count()
    if max_seq != tree.size:
        yield _problem(
            community,
            "seq",
            f"{max_seq} posted journals",
            f"only seq 1..{tree.size} are contiguous",
        )
        return
    yield from _check_checkpoints(community, tree, report)


def _journal_row(rows: LeafRows) -> str:
    return f"journal {rows.journal_id} (seq {rows.seq})"


def _check_checkpoints(
    community: Community, tree: InMemoryTree, report: Report
) -> Iterator[Problem]:
    vkey = community_verifier_key(community)
    for checkpoint in Checkpoint.objects.filter(community=community).order_by("tree_size"):
        row = f"checkpoint size {checkpoint.tree_size}"
        if checkpoint.tree_size > tree.size:
            yield _problem(community, "checkpoint", row, "covers journals that do not exist")
            return
        if tree.root(checkpoint.tree_size).hex() != checkpoint.root_hash:
            yield _problem(community, "checkpoint", row, "root differs from the journals")
            return
        try:
            opened = checkpoint_open(checkpoint.signed_note, vkey)
        except CheckpointError as exc:
            yield _problem(community, "checkpoint", row, f"signature: {exc}")
            return
        if opened.size != checkpoint.tree_size or opened.root.hex() != checkpoint.root_hash:
            yield _problem(community, "checkpoint", row, "signed note differs from the row")
            return
        report.checkpoints += 1


def _sums(community: Community, side: str, **filters: object) -> dict[int, int]:
    rows = (
        Transfer.objects.filter(community=community, **filters)
        .values(side)
        .annotate(total=Sum("amount"))
        .values_list(side, "total")
    )
    return {account_id: total for account_id, total in rows}


def _check_accounts(community: Community, report: Report, seen: _Pass) -> Iterator[Problem]:
    debits = _sums(community, "debit_account", kind__in=_POSTED_KINDS)
    credits = _sums(community, "credit_account", kind__in=_POSTED_KINDS)
    open_holds = {"kind": TransferKind.PENDING, "resolutions__isnull": True}
    debits_held = _sums(community, "debit_account", **open_holds)
    credits_held = _sums(community, "credit_account", **open_holds)
    entries = _entries_by_account(community, seen)
    for account in Account.objects.filter(community=community, is_hot=False).order_by("id"):
        report.accounts += 1
        row = f"account {account.id} ({account.kind} {account.asset_id})"
        expected = (
            debits.get(account.id, 0),
            credits.get(account.id, 0),
            debits_held.get(account.id, 0),
            credits_held.get(account.id, 0),
        )
        actual = (
            account.debits_posted,
            account.credits_posted,
            account.debits_pending,
            account.credits_pending,
        )
        if actual != expected:
            yield _problem(
                community, "snapshot", row, f"snapshot {actual} but transfers sum to {expected}"
            )
            return
        problem = _entry_chain_problem(account, entries.get(account.id, []))
        if problem:
            yield _problem(community, "entries", row, problem)
            return


def _entries_by_account(community: Community, seen: _Pass) -> dict[int, list[EntryRow]]:
    """Each account's entries by version. The leaf check has read the entries of every posted
    journal; when they are exactly the entries of the community's accounts (all of those
    accounts, as many as the table holds) they are reused, else read again."""
    accounts = set(Account.objects.filter(community=community).values_list("id", flat=True))
    total = Entry.objects.filter(account__community=community).count()
    if total == seen.entry_count and seen.entries.keys() <= accounts:
        for chain in seen.entries.values():
            chain.sort()
        return seen.entries
    grouped: dict[int, list[EntryRow]] = defaultdict(list)
    rows = (
        Entry.objects.filter(account__community=community)
        .order_by("account_id", "account_version")
        .values_list("account_id", "account_version", "delta", "pending_delta", "balance_after")
    )
    for account_id, *rest in rows:
        grouped[account_id].append((rest[0], rest[1], rest[2], rest[3]))
    return grouped


def _entry_chain_problem(account: Account, entries: list[EntryRow]) -> str:
    running = pending = 0
    for expected_version, (version, delta, pending_delta, balance_after) in enumerate(entries, 1):
        if version != expected_version:
            return f"entry version {version} where {expected_version} was expected"
        running += delta
        pending += pending_delta
        if balance_after != running:
            return f"entry version {version} says {balance_after}, deltas sum to {running}"
    if len(entries) != account.version:
        return f"{len(entries)} entries for account version {account.version}"
    if running != account.credits_posted - account.debits_posted:
        return "entries do not end at the snapshot balance"
    if pending != account.credits_pending - account.debits_pending:
        return "pending entries do not end at the snapshot"
    return ""


def _check_rollups(community: Community, report: Report, seen: _Pass) -> Iterator[Problem]:
    for rollup in HotRollup.objects.filter(account__community=community).order_by("id"):
        window = {"kind__in": _POSTED_KINDS, "seq__lte": rollup.through_seq}
        debits = _sums(community, "debit_account", debit_account=rollup.account_id, **window)
        credits = _sums(community, "credit_account", credit_account=rollup.account_id, **window)
        if (debits.get(rollup.account_id, 0), credits.get(rollup.account_id, 0)) != (
            rollup.debits_posted,
            rollup.credits_posted,
        ):
            yield _problem(
                community, "rollup", f"rollup {rollup.id}", "totals differ from the transfers"
            )
            return


def _check_trial_balance(community: Community, report: Report, seen: _Pass) -> Iterator[Problem]:
    """Σ balances per asset = 0: snapshots for ordinary accounts, transfers for hot ones."""
    net: dict[str, int] = defaultdict(int)
    snapshots = (
        Account.objects.filter(community=community, is_hot=False)
        .values("asset")
        .annotate(c=Sum("credits_posted"), d=Sum("debits_posted"))
    )
    for row in snapshots:
        net[row["asset"]] += (row["c"] or 0) - (row["d"] or 0)
    hot_ids = list(
        Account.objects.filter(community=community, is_hot=True).values_list("id", flat=True)
    )
    posted = Transfer.objects.filter(community=community, kind__in=_POSTED_KINDS)
    for side, sign in (("credit_account", 1), ("debit_account", -1)):
        rows = (
            posted.filter(**{f"{side}__in": hot_ids})
            .values("asset")
            .annotate(t=Sum("amount"))
            .values_list("asset", "t")
        )
        for asset, total in rows:
            net[asset] += sign * total
    for asset, total in sorted(net.items()):
        if total != 0:
            yield _problem(community, "trial balance", f"asset {asset}", f"sums to {total}")
            return
