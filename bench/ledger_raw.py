"""The baseline: the same six transfers as hand-written SQL in one transaction, with the
same rows as the service writes (journal, chain-head bump, snapshots, transfers, entries)
but none of its Python work (validation, idempotency lookup, policy lookup, canonical leaf).

PostgreSQL: psycopg directly, FOR UPDATE on the non-hot accounts in id order.
SQLite: stdlib sqlite3, BEGIN IMMEDIATE (one writer), the project's PRAGMAs.
"""

import hashlib
import random
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


class RawPoster:
    def __init__(self, vendor: str, world: Any, slot: int) -> None:
        from django.conf import settings

        self.vendor = vendor
        self.world = world
        self.slot = slot
        self.rng = random.Random(1000 + slot)
        # The same hot set as the service: accounts the chart marks hot are appended only.
        from linli.ledger.models import Account

        self.hot = set(Account.objects.filter(is_hot=True).values_list("id", flat=True))
        name = settings.DATABASES["default"]["NAME"]
        if vendor == "postgresql":
            import psycopg

            self.conn: Any = psycopg.connect(
                dbname=name, options="-c synchronous_commit=on -c lock_timeout=2000"
            )
            self.p = "%s"
        else:
            self.conn = sqlite3.connect(name, isolation_level=None, timeout=5.0)
            for pragma in SQLITE_PRAGMAS:
                self.conn.execute(pragma)
            self.p = "?"
        self.counter = 0

    def _id(self, value: uuid.UUID) -> Any:
        return value if self.vendor == "postgresql" else value.hex

    def post(self) -> None:
        from bench.ledger_child import _purchase

        legs = _purchase(self.world, self.slot, self.rng).legs(self.world)
        self.counter += 1
        if self.vendor == "postgresql":
            with self.conn.transaction():
                self._post(self.conn.cursor(), legs)
        else:
            cursor = self.conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                self._post(cursor, legs)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _post(self, cur: Any, legs: list[tuple[int, int, int, str]]) -> None:
        p = self.p
        ids = sorted({a for d, c, _amount, _asset in legs for a in (d, c)} - self.hot)
        lock = " FOR UPDATE" if self.vendor == "postgresql" else ""
        cur.execute(
            "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending, version "
            f"FROM ledger_account WHERE id IN ({', '.join([p] * len(ids))}) ORDER BY id{lock}",
            ids,
        )
        snaps = {row[0]: list(row[1:]) for row in cur.fetchall()}
        journal_id = uuid.uuid4()
        transfers, entries = [], []
        for leg_no, (debit, credit, amount, asset) in enumerate(legs):
            transfer_id = uuid.uuid4()
            transfers.append((transfer_id, leg_no, asset, debit, credit, amount))
            for account, sign, index in ((debit, -1, 0), (credit, 1, 1)):
                if account in self.hot:
                    continue
                snap = snaps[account]
                snap[index] += amount
                snap[4] += 1
                if snap[0] > snap[1] and account != self.world.issuance_time:
                    raise RuntimeError(f"account {account} would go negative")
                entries.append((account, snap[4], transfer_id, sign * amount, snap[1] - snap[0]))
        cur.executemany(
            f"UPDATE ledger_account SET debits_posted = {p}, credits_posted = {p}, "
            f"debits_pending = {p}, credits_pending = {p}, version = {p} WHERE id = {p}",
            [[*snap, account] for account, snap in snaps.items()],
        )
        row = f"({', '.join([p] * 7)})"
        cur.execute(
            "INSERT INTO ledger_entry (account_id, account_version, journal_id, transfer_id, "
            f"delta, pending_delta, balance_after) VALUES {', '.join([row] * len(entries))}",
            [
                v
                for account, version, t_id, delta, balance in entries
                for v in (
                    account,
                    version,
                    self._id(journal_id),
                    self._id(t_id),
                    delta,
                    0,
                    balance,
                )
            ],
        )
        # Same order as the service: the chain head (the community-wide lock) is taken last.
        cur.execute(
            f"UPDATE ledger_chainhead SET last_seq = last_seq + 1 WHERE community_id = {p} "
            "RETURNING last_seq",
            [self.world.community_id],
        )
        seq = cur.fetchone()[0]
        now = datetime.now(UTC)
        leaf = hashlib.sha256(journal_id.bytes + seq.to_bytes(8, "big")).hexdigest()
        cur.execute(
            "INSERT INTO ledger_journal (id, community_id, idempotency_key, request_hash, status, "
            "error_code, code, memo, external_ref, created_at, seq, leaf_hash) "
            f"VALUES ({', '.join([p] * 12)})",
            [
                self._id(journal_id),
                self.world.community_id,
                f"raw-{journal_id.hex}",
                leaf,
                "posted",
                "",
                "purchase",
                "",
                "",
                now if self.vendor == "postgresql" else now.isoformat(" "),
                seq,
                leaf,
            ],
        )
        row = f"({', '.join([p] * 10)})"
        cur.execute(
            "INSERT INTO ledger_transfer (id, journal_id, community_id, seq, leg_no, asset, "
            "debit_account_id, credit_account_id, amount, kind) "
            f"VALUES {', '.join([row] * len(transfers))}",
            [
                v
                for t_id, leg_no, asset, debit, credit, amount in transfers
                for v in (
                    self._id(t_id),
                    self._id(journal_id),
                    self.world.community_id,
                    seq,
                    leg_no,
                    asset,
                    debit,
                    credit,
                    amount,
                    "single",
                )
            ],
        )
