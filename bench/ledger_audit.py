"""The auditor's side of `bench/ledger.py`: `ledger_verify` over N journals and inclusion
proofs from the `ledger_merklenode` table at 1M leaves."""

import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

PROOFS = 300
PROOF_BUDGET_S = 30.0  # a slow store gets fewer proofs, never an endless run


def run_verify(vendor: str, world: Any, journals: int, generate: Callable[[int], int]) -> str:
    """Post purchases through the service up to `journals`, checkpoint, then time the audit."""
    from linli.communities.models import Community
    from linli.ledger.services import checkpoint_create
    from linli.ledger.verification import ledger_verify

    began = time.perf_counter()
    have = generate(journals)
    print(f"# verify: {have} journals generated in {time.perf_counter() - began:.0f} s", flush=True)
    community = Community.objects.get(id=world.community_id)
    began = time.perf_counter()
    checkpoint = checkpoint_create(community=community)
    checkpoint_s = time.perf_counter() - began
    size = checkpoint.tree_size if checkpoint else 0
    print(f"RESULT bench=checkpoint db={vendor} leaves={size} seconds={checkpoint_s:.2f}")
    began, cpu_began = time.perf_counter(), time.process_time()
    report = ledger_verify(community=community)
    seconds = time.perf_counter() - began
    cpu_s = time.process_time() - cpu_began  # this process: Python, and SQLite's own work
    per_100k = seconds * 100_000 / max(1, report.journals)
    print(
        f"# verify: {report.journals} journals, {report.accounts} accounts, "
        f"{report.checkpoints} checkpoints, problem={report.problem}",
        flush=True,
    )
    extrapolated = "no" if report.journals >= 100_000 else "yes"
    line = (
        f"RESULT bench=verify db={vendor} journals={report.journals} seconds={seconds:.2f} "
        f"journals_per_s={report.journals / seconds:.0f} seconds_per_100k={per_100k:.2f} "
        f"extrapolated={extrapolated} ok={report.problem is None} cpu_s={cpu_s:.2f} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    print(line, flush=True)
    return line


class _DictStore:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.nodes = nodes

    def perfect_node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def perfect_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {key: self.nodes[key] for key in keys}


def run_proof(vendor: str, leaves: int) -> str:
    """Fill a synthetic community's tree with `leaves` leaves, then time DB-backed proofs."""
    from linli.ledger.merkle import inclusion_proof, perfect_nodes_after_append, tree_root
    from linli.ledger.tree import DatabaseNodeStore

    community_id = _proof_community()
    began = time.perf_counter()
    rng = random.Random(7)
    leaf_hashes = [rng.randbytes(32) for _ in range(leaves)]
    nodes = perfect_nodes_after_append(_DictStore({}), 0, leaf_hashes)
    hashed_s = time.perf_counter() - began
    began = time.perf_counter()
    _bulk_insert(vendor, community_id, nodes)
    print(
        f"# proof: {len(nodes)} nodes hashed in {hashed_s:.1f} s, "
        f"stored in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    memory = _DictStore({(level, index): digest for level, index, digest in nodes})
    root = tree_root(memory, leaves)
    del nodes
    line = ""
    for name, store_class in (("proof", DatabaseNodeStore), ("proof_keyed_or", _KeyedOrStore)):
        timings, bad = _time_proofs(community_id, leaf_hashes, root, store_class, inclusion_proof)
        ms = sorted(t * 1000 for t in timings)
        line = (
            f"RESULT bench={name} db={vendor} leaves={leaves} p50_ms={statistics.median(ms):.2f} "
            f"p99_ms={ms[min(len(ms) - 1, int(0.99 * len(ms)))]:.2f} proofs={len(ms)} "
            f"invalid={bad}"
        )
        print(line, flush=True)
    return line


def _keyed_or_store() -> Any:
    """`DatabaseNodeStore` with `community_id` repeated inside every OR branch: SQLite then
    searches the unique index per node (MULTI-INDEX OR) instead of scanning the community."""
    from django.db.models import Q

    from linli.ledger.models import MerkleNode
    from linli.ledger.tree import DatabaseNodeStore

    class KeyedOrStore(DatabaseNodeStore):
        def perfect_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
            wanted = [key for key in dict.fromkeys(keys) if key not in self._cache]
            if wanted:
                condition = Q()
                for level, index in wanted:
                    condition |= Q(community_id=self.community_id, level=level, index=index)
                rows = MerkleNode.objects.filter(condition)
                for level, index, digest in rows.values_list("level", "index", "hash"):
                    self._cache[(level, index)] = bytes(digest)
            return super().perfect_nodes(keys)

    return KeyedOrStore


def _KeyedOrStore(*, community_id: int) -> Any:
    return _keyed_or_store()(community_id=community_id)


def _time_proofs(
    community_id: int, leaf_hashes: list[bytes], root: bytes, store_class: Any, prove: Any
) -> tuple[list[float], int]:
    from linli.ledger.merkle import verify_inclusion

    size = len(leaf_hashes)
    rng = random.Random(11)
    timings, bad = [], 0
    deadline = time.perf_counter() + PROOF_BUDGET_S
    for _ in range(PROOFS):
        if time.perf_counter() > deadline:
            break
        index = rng.randrange(size)
        began = time.perf_counter()
        proof = prove(store_class(community_id=community_id), index, size)  # fresh cache
        timings.append(time.perf_counter() - began)
        if not verify_inclusion(leaf_hashes[index], index, size, proof, root):
            bad += 1
    return timings, bad


def _proof_community() -> int:
    from linli.communities.models import Community

    return Community.objects.create(
        name="bench proofs",
        slug=f"bench-proofs-{os.getpid()}",
        centre_lat=Decimal("31.2"),
        centre_lng=Decimal("121.4"),
        radius_m=1000,
    ).id


def _bulk_insert(vendor: str, community_id: int, nodes: list[tuple[int, int, bytes]]) -> None:
    from django.db import connection, transaction

    if vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            copy_sql = 'COPY ledger_merklenode (community_id, level, "index", hash) FROM STDIN'
            with raw.copy(copy_sql) as copy:
                for level, index, digest in nodes:
                    copy.write_row((community_id, level, index, digest))
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            'INSERT INTO ledger_merklenode (community_id, level, "index", hash) '
            "VALUES (%s, %s, %s, %s)",
            [(community_id, level, index, digest) for level, index, digest in nodes],
        )
