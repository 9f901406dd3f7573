"""The per-database half of `bench/ledger.py`: runs inside a child process whose environment
already names its own database (DATABASE_URL) and var dir (LINLI_VAR_DIR)."""

import argparse
import multiprocessing
import os
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Filled by `_setup_django`; module-level so that forked workers inherit them.
DB = ""
WORLDS: dict[str, "World"] = {}

BUYERS_PER_WORKER = 20
MERCHANTS = 16  # shared by all workers: contention only where it is realistic
MAX_WORKER_SLOTS = 8
FUNDING = 10**11  # fen / coin hundredths per buyer wallet, far beyond any run


@dataclass(frozen=True)
class World:
    """Account ids of one benchmark community (one for the service, one for raw SQL)."""

    community_id: int
    slug: str
    buyers: list[list[tuple[int, int]]]  # per worker slot: (cny wallet, time wallet)
    merchants: list[tuple[int, int]]  # (cny account, time account)
    revenue_cny: int
    fund_cny: int
    issuance_time: int


@dataclass(frozen=True)
class Purchase:
    buyer_cny: int
    buyer_time: int
    merchant_cny: int
    merchant_time: int
    referrer_cny: int
    amount_fen: int

    def legs(self, world: World) -> list[tuple[int, int, int, str]]:
        """(debit, credit, amount, asset): six transfers, each balanced by construction."""
        a = self.amount_fen
        return [
            (self.buyer_cny, self.merchant_cny, a, "CNY"),  # member pays merchant
            (self.merchant_cny, world.revenue_cny, a * 200 // 10_000, "CNY"),  # 2% commission
            (self.merchant_cny, world.fund_cny, a * 50 // 10_000, "CNY"),  # 0.5% community fund
            (world.issuance_time, self.buyer_time, a * 500 // 10_000, "TIME"),  # 5% cash-back
            (self.merchant_cny, self.referrer_cny, a * 100 // 10_000, "CNY"),  # 1% referral
            (self.buyer_time, self.merchant_time, 100, "TIME"),  # 1 coin as part-payment
        ]


def _purchase(world: World, slot: int, rng: random.Random) -> Purchase:
    buyer_cny, buyer_time = rng.choice(world.buyers[slot])
    m, r = rng.sample(range(len(world.merchants)), 2)
    return Purchase(
        buyer_cny=buyer_cny,
        buyer_time=buyer_time,
        merchant_cny=world.merchants[m][0],
        merchant_time=world.merchants[m][1],
        referrer_cny=world.merchants[r][0],
        amount_fen=rng.randint(1_000, 20_000),
    )


# --- setup --------------------------------------------------------------------------------


def _setup_django() -> None:
    global DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    DB = connection.vendor


def _make_world(slug: str, slots: int = MAX_WORKER_SLOTS) -> World:
    from linli.communities.models import Community
    from linli.ledger.models import AccountKind
    from linli.ledger.services import Leg, account_open, chart_ensure, journal_post

    community = Community.objects.create(
        name=f"bench {slug}",
        slug=slug,
        centre_lat=Decimal("31.2"),
        centre_lng=Decimal("121.4"),
        radius_m=1000,
    )
    chart = chart_ensure(community=community)
    owner = iter(range(1, 10**6))

    def wallet(kind: str, asset: str) -> int:
        owner_type = "member" if kind == AccountKind.MEMBER_WALLET else "merchant"
        return account_open(
            community=community, kind=kind, asset=asset, owner_type=owner_type, owner_id=next(owner)
        ).id

    buyers = []
    for _slot in range(slots):
        slot_buyers = []
        for _ in range(BUYERS_PER_WORKER):
            cny = wallet(AccountKind.MEMBER_WALLET, "CNY")
            coins = wallet(AccountKind.MEMBER_WALLET, "TIME")
            journal_post(
                community=community,
                code="cash_in",
                idempotency_key=f"fund-{cny}",
                legs=[
                    Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny, FUNDING),
                    Leg(chart[(AccountKind.ISSUANCE, "TIME")].id, coins, FUNDING),
                ],
            )
            slot_buyers.append((cny, coins))
        buyers.append(slot_buyers)
    merchants = [
        (wallet(AccountKind.MERCHANT, "CNY"), wallet(AccountKind.MERCHANT, "TIME"))
        for _ in range(MERCHANTS)
    ]
    return World(
        community_id=community.id,
        slug=slug,
        buyers=buyers,
        merchants=merchants,
        revenue_cny=chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id,
        fund_cny=chart[(AccountKind.COMMUNITY_FUND, "CNY")].id,
        issuance_time=chart[(AccountKind.ISSUANCE, "TIME")].id,
    )


# --- workers ------------------------------------------------------------------------------


@dataclass
class WorkerResult:
    postings: int
    errors: int
    latencies_s: list[float]


def _service_poster(world: World, slot: int) -> Any:
    from linli.communities.models import Community
    from linli.ledger.services import Leg, journal_post

    community = Community.objects.get(id=world.community_id)
    rng = random.Random(slot)
    counter = iter(range(10**9))
    prefix = f"svc-{os.getpid()}-{slot}-{time.time_ns()}"

    def post() -> None:
        legs = [Leg(d, c, a) for d, c, a, _asset in _purchase(world, slot, rng).legs(world)]
        journal_post(
            community=community,
            code="purchase",
            legs=legs,
            idempotency_key=f"{prefix}-{next(counter)}",
        )

    return post


def _raw_poster(world: World, slot: int) -> Any:
    from bench.ledger_raw import RawPoster

    return RawPoster(DB, world, slot).post


def _worker(
    kind: str, world_name: str, slot: int, start_at: float, seconds: float, limit: int
) -> Any:
    """One process: post as fast as it can between start_at and start_at + seconds
    (at most `limit` postings when limit > 0)."""
    world = WORLDS[world_name]
    post = _service_poster(world, slot) if kind == "service" else _raw_poster(world, slot)
    _settings_for_worker()
    time.sleep(max(0.0, start_at - time.time()))
    stop = start_at + seconds
    result = WorkerResult(0, 0, [])
    while time.time() < stop and not (limit and result.postings >= limit):
        began = time.perf_counter()
        try:
            post()
        except Exception as exc:  # busy/locked after retries: count it, keep going
            result.errors += 1
            if result.errors <= 3:
                print(f"# {kind} worker {slot}: {type(exc).__name__}: {exc}", flush=True)
            continue
        result.latencies_s.append(time.perf_counter() - began)
        result.postings += 1
    return result


def _settings_for_worker() -> None:
    """Generation-only workers may relax durability (same rows, faster); timed ones never."""
    if os.environ.get("BENCH_FAST_COMMIT") != "1":
        return
    from django.db import connection

    with connection.cursor() as cursor:
        if DB == "postgresql":
            cursor.execute("SET synchronous_commit = off")
        else:
            cursor.execute("PRAGMA synchronous = OFF")


def _run_pool(
    kind: str, world_name: str, workers: int, seconds: float, limit: int = 0
) -> list[WorkerResult]:
    from django.db import connections

    connections.close_all()  # never share a connection across fork
    ctx = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0 + 0.1 * workers
    with ctx.Pool(processes=workers) as pool:
        jobs = [(kind, world_name, slot, start_at, seconds, limit) for slot in range(workers)]
        return pool.starmap(_worker, jobs)


def _pct(latencies: list[float], q: float) -> float:
    if not latencies:
        return float("nan")
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _throughput(args: argparse.Namespace) -> list[str]:
    lines = []
    for workers in args.worker_counts:
        service = _run_pool("service", "service", workers, args.seconds)
        raw = _run_pool("raw", "raw", workers, args.seconds)
        svc_n = sum(r.postings for r in service)
        raw_n = sum(r.postings for r in raw)
        lat = [x for r in service for x in r.latencies_s]
        raw_lat = [x for r in raw for x in r.latencies_s]
        svc_rate, raw_rate = svc_n / args.seconds, raw_n / args.seconds
        errors = sum(r.errors for r in service) + sum(r.errors for r in raw)
        print(
            f"# load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        print(
            f"# {DB} workers={workers}: service {svc_n} postings, raw {raw_n}, errors {errors}; "
            f"raw p50 {_pct(raw_lat, 0.5):.2f} ms p99 {_pct(raw_lat, 0.99):.2f} ms",
            flush=True,
        )
        lines.append(
            f"RESULT bench=ledger db={DB} workers={workers} service_per_s={svc_rate:.0f} "
            f"raw_per_s={raw_rate:.0f} ratio={svc_rate / raw_rate if raw_rate else 0:.2f} "
            f"p50_ms={_pct(lat, 0.5):.2f} p99_ms={_pct(lat, 0.99):.2f}"
        )
        print(lines[-1], flush=True)
    return lines


def _paced(args: argparse.Namespace, rate: int = 100) -> str:
    """One worker posting on a fixed schedule of `rate`/s; latency from call to return."""
    from django.db import connections

    connections.close_all()
    post = _service_poster(WORLDS["service"], 0)
    interval = 1.0 / rate
    start = time.perf_counter() + 0.2
    latencies: list[float] = []
    late = 0
    for i in range(int(args.seconds * rate)):
        due = start + i * interval
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        else:
            late += 1
        began = time.perf_counter()
        post()
        latencies.append(time.perf_counter() - began)
    achieved = len(latencies) / (time.perf_counter() - start)
    print(f"# paced: {len(latencies)} postings, {late} started late", flush=True)
    line = (
        f"RESULT bench=ledger_paced db={DB} rate={rate} achieved_per_s={achieved:.0f} "
        f"p50_ms={_pct(latencies, 0.5):.2f} "
        f"p99_ms={_pct(latencies, 0.99):.2f} max_ms={max(latencies) * 1000:.2f}"
    )
    print(line, flush=True)
    return line


def _profile(count: int = 2_000) -> None:
    import cProfile
    import pstats

    post = _service_poster(WORLDS["service"], 0)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        post()
    profiler.disable()
    elapsed = time.perf_counter() - began
    print(f"# profile: {count} postings in {elapsed:.2f} s under cProfile", flush=True)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def child_main(args: argparse.Namespace) -> None:
    _setup_django()
    import sqlite3

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if DB == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    print(
        f"# db={DB} version={version} python-sqlite3={sqlite3.sqlite_version} "
        f"django={django.__version__} nproc={os.cpu_count()} load={os.getloadavg()[0]:.1f}",
        flush=True,
    )
    began = time.perf_counter()
    WORLDS["service"] = _make_world("bench-service")
    WORLDS["raw"] = _make_world("bench-raw")
    print(f"# setup: two communities in {time.perf_counter() - began:.1f} s", flush=True)
    if args.profile:
        _profile()
        return
    _throughput(args)
    _paced(args)
    from bench.ledger_audit import run_proof, run_verify

    run_verify(DB, WORLDS["service"], args.verify_journals, _run_generation)
    run_proof(DB, args.proof_leaves)


def _run_generation(journals_wanted: int, workers: int = 3) -> int:
    """Post purchases through the service until the community has `journals_wanted`."""
    from linli.ledger.models import Journal

    community_id = WORLDS["service"].community_id
    os.environ["BENCH_FAST_COMMIT"] = "1"
    try:
        while True:
            have = Journal.objects.filter(community_id=community_id, seq__isnull=False).count()
            missing = journals_wanted - have
            if missing <= 0:
                return have
            per_worker = -(-missing // workers)
            _run_pool("service", "service", workers, 600.0, limit=per_worker)
            print(f"# generation: {have} journals, topping up to {journals_wanted}", flush=True)
    finally:
        os.environ.pop("BENCH_FAST_COMMIT", None)
