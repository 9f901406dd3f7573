"""The per-database half of `bench/sales.py`: runs in a child process whose environment
already names its own database (DATABASE_URL) and var dir (LINLI_VAR_DIR)."""

import argparse
import math
import os
import time

WARMUP_SALES_PER_CASHIER = 2
# Each card gives one sale per 30-second step (two in the first: this step and the next);
# size the crowd for this many sales/s so the run does not wait for the clock.
MEMBERS_FOR_RATE = 150  # the target; a faster box prints "waited for the clock": raise --members
MIN_MEMBERS = 200
MAX_MEMBERS = 12_000
# The till's velocity limits still run on every sale, but no bench shop or member should
# hit them (the gunicorn server inherits this environment); the phone confirmation is off.
os.environ.setdefault(
    "LINLI_SALE_LIMITS",
    "member_sales=1000000,merchant_sales=1000000,member_day_max_fen=10000000000,"
    "confirm_above_fen=10000000000",
)


def child_main(args: argparse.Namespace) -> int:
    from bench import ledger_child

    ledger_child._setup_django()
    db = ledger_child.DB
    _print_versions(db)
    began = time.perf_counter()
    from bench.sales_world import build_world

    members = args.members or _members_for(args)
    world = build_world(tills=args.cashiers, members=members)
    raw_workers = min(args.cashiers, ledger_child.MAX_WORKER_SLOTS)
    ledger_child.WORLDS["raw"] = ledger_child._make_world("bench-raw", slots=raw_workers)
    _heartbeat()
    print(
        f"# setup: {len(world.tills)} tills at {len({t.merchant_id for t in world.tills})} "
        f"merchants, {members} members with cards, raw world for {raw_workers} workers, "
        f"in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    if args.profile:
        from bench.sales_profile import PROFILED_SALES, profile_consume

        profile_consume(world, count=args.count or PROFILED_SALES)
        return 0
    phases = _http_phases(args, world)
    raw_per_s = _raw_rate(ledger_child, raw_workers, phases["closed"].elapsed_s)
    problems = _checks(world, phases)
    return _report(db, args, phases, raw_per_s, problems)


def _members_for(args: argparse.Namespace) -> int:
    sales_window = min(args.seconds, 30.0) + 5.0 + (min(args.seconds, 30.0) if args.rate else 0)
    wanted = math.ceil(MEMBERS_FOR_RATE * sales_window / 2)
    if args.count:
        wanted = min(wanted, args.count + args.cashiers * (WARMUP_SALES_PER_CASHIER + 1))
    return max(MIN_MEMBERS, min(MAX_MEMBERS, wanted))


def _print_versions(db: str) -> None:
    import sqlite3

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if db == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    print(
        f"# db={db} version={version} python-sqlite3={sqlite3.sqlite_version} "
        f"django={django.__version__} nproc={os.cpu_count()} load={os.getloadavg()[0]:.1f}",
        flush=True,
    )


def _heartbeat() -> None:
    """/healthz also wants a recent huey heartbeat; the bench runs no worker, so it beats once
    (as the consumer does when it starts)."""
    from linli.web.services import worker_heartbeat_record

    worker_heartbeat_record()


def _http_phases(args: argparse.Namespace, world) -> dict:
    from django.db import connections

    from bench.sales_cpu import CpuMeter
    from bench.sales_http import Server, ShopperPool, run_closed, run_paced

    connections.close_all()  # the server has its own; the bench holds none while it runs
    pool = ShopperPool(world.shoppers)
    phases = {}
    with Server(workers=args.server_workers, threads=args.server_threads) as server:
        common = {"port": server.port, "world": world, "pool": pool, "cashiers": args.cashiers}
        phases["warmup"] = run_closed(
            **common,
            seconds=60.0,
            count=args.cashiers * WARMUP_SALES_PER_CASHIER,
            name="warmup",
        )
        meter = CpuMeter(server_pid=server.pid, pg_dbname=_pg_dbname())
        before = meter.snapshot()
        phases["closed"] = run_closed(**common, seconds=args.seconds, count=args.count)
        _print_phase(phases["closed"], args)
        _print_cpu(CpuMeter.since(before, meter.snapshot()), phases["closed"].ok)
        if args.rate:
            phases["paced"] = run_paced(
                **common, rate=args.rate, seconds=args.seconds, count=args.count
            )
            _print_phase(phases["paced"], args)
    phases["stalls"] = pool.stalls
    return phases


def _pg_dbname() -> str | None:
    from django.db import connection

    return connection.settings_dict["NAME"] if connection.vendor == "postgresql" else None


def _print_cpu(spent: dict[str, float], sales: int) -> None:
    """CPU per sale by side, and what two idle cores would give if only the server and
    the database ran (an upper bound: no client, no other tenant)."""
    if not sales:
        return
    per_sale = {side: seconds * 1000 / sales for side, seconds in spent.items()}
    serving = per_sale["server"] + per_sale["database"]
    print(
        f"# cpu per sale: server {per_sale['server']:.1f} ms + database "
        f"{per_sale['database']:.1f} ms (+ client {per_sale['client']:.1f} ms); two idle "
        f"cores would serve at most ≈ {2000 / serving if serving else 0:.0f} sales/s",
        flush=True,
    )


def _print_phase(phase, args: argparse.Namespace) -> None:
    from bench.sales_http import pct_ms

    print(
        f"# {phase.name}: {phase.ok} sales, {phase.errors} errors, {phase.replayed} replayed, "
        f"{phase.late} started late, {phase.dropped} dropped, in {phase.elapsed_s:.2f} s = "
        f"{phase.per_s:.1f} sales/s with {args.cashiers} cashiers; "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(
        f"#   per sale p50 {pct_ms(phase.sale_s, 0.5):.1f} ms p99 {pct_ms(phase.sale_s, 0.99):.1f}"
        f" ms; prepare p50 {pct_ms(phase.prepare_s, 0.5):.1f} p99 "
        f"{pct_ms(phase.prepare_s, 0.99):.1f}; consume p50 {pct_ms(phase.consume_s, 0.5):.1f} "
        f"p99 {pct_ms(phase.consume_s, 0.99):.1f}",
        flush=True,
    )
    for sample in phase.error_samples:
        print(f"#   error: {sample}", flush=True)


def _raw_rate(ledger_child, workers: int, seconds: float) -> float:
    """The ledger bench's raw SQL baseline, same database, as many processes as cashiers
    (at most 8), for as long as the closed loop ran."""
    results = ledger_child._run_pool("raw", "raw", workers, seconds)
    postings = sum(r.postings for r in results)
    errors = sum(r.errors for r in results)
    print(
        f"# raw: {postings} postings by {workers} processes in {seconds:.2f} s, {errors} errors",
        flush=True,
    )
    return postings / seconds if seconds else 0.0


def _checks(world, phases: dict) -> list[str]:
    """Sales answered = sales recorded, and the sales community's ledger verifies."""
    from linli.commerce.models import Sale
    from linli.communities.models import Community
    from linli.ledger.verification import ledger_verify

    problems = []
    answered = sum(p.ok for k, p in phases.items() if k != "stalls")
    recorded = Sale.objects.filter(community_id=world.community_id).count()
    print(f"# sales answered {answered}, recorded in the database {recorded}", flush=True)
    if answered != recorded:
        problems.append(f"{answered} sales answered but {recorded} recorded")
    began = time.perf_counter()
    report = ledger_verify(community=Community.objects.get(id=world.community_id))
    took = time.perf_counter() - began
    if report.problem is None:
        print(
            f"# verify_ledger [{world.slug}]: OK {report.journals} journals, {report.accounts} "
            f"accounts verified in {took:.1f} s",
            flush=True,
        )
    else:
        print(f"# verify_ledger [{world.slug}]: FAIL {report.problem}", flush=True)
        problems.append(f"ledger: {report.problem}")
    if phases["stalls"]:
        print(f"# waited for the clock {phases['stalls']} times: raise --members", flush=True)
    return problems


def _report(db: str, args, phases: dict, raw_per_s: float, problems: list[str]) -> int:
    from bench.sales_http import pct_ms

    closed = phases["closed"]
    errors = sum(p.errors for k, p in phases.items() if k != "stalls")
    print(f"# errors {errors}; problems {len(problems)}", flush=True)
    for problem in problems:
        print(f"#   problem: {problem}", flush=True)
    if "paced" in phases:
        paced = phases["paced"]
        print(
            f"RESULT bench=sales_paced db={db} cashiers={args.cashiers} rate={args.rate:g} "
            f"achieved_per_s={paced.per_s:.1f} late={paced.late} dropped={paced.dropped} "
            f"p50_ms={pct_ms(paced.sale_s, 0.5):.1f} p99_ms={pct_ms(paced.sale_s, 0.99):.1f} "
            f"max_ms={max(paced.sale_s, default=float('nan')) * 1000:.1f}",
            flush=True,
        )
    ratio = closed.per_s / raw_per_s if raw_per_s else 0.0
    print(
        f"RESULT bench=sales db={db} cashiers={args.cashiers} sales_per_s={closed.per_s:.1f} "
        f"raw_per_s={raw_per_s:.0f} ratio={ratio:.2f} p50_ms={pct_ms(closed.sale_s, 0.5):.1f} "
        f"p99_ms={pct_ms(closed.sale_s, 0.99):.1f}",
        flush=True,
    )
    return 1 if errors or problems else 0
