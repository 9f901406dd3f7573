"""Sales benchmark (Linli issue 6 "Benchmark"): sales/s and latency of the till's HTTP API
(prepare → consume) under gunicorn on loopback, beside the ledger's raw posting rate.

    uv run python bench/sales.py [--seconds N] [--count N] [--cashiers N] [--rate R]
                                 [--db postgresql|sqlite|both] [--members N] [--profile]

Each database runs in its own child process on its own database (PostgreSQL
`linli_bench_sales`, dropped and created here, or an SQLite file in a temp directory), as
in `bench/ledger.py`. The child migrates, builds a preset-A community (merchants admitted
through the services, one cashier login with an API token per till, many members with
cards, a third paying part in coins and a third part in points), then serves the project's
WSGI app with gunicorn on a free loopback port, exactly as `scripts/run.sh` does, and waits
for /healthz.

- **Closed loop**: `--cashiers` threads, each a keep-alive HTTP connection with its own
  till token, record sales back to back until `--seconds` pass or `--count` sales are done.
  A sale is two requests: POST …/sales/prepare, then POST …/sales with a request_no.
- **Paced** (`--rate R`): an open-loop schedule of R sales/s shared by the cashiers;
  latency runs from the sale's due time, so a server that falls behind shows it.
- **Raw**: after gunicorn stops, `bench/ledger_raw.py` posts the ledger bench's six-leg
  purchase by hand-written SQL with as many processes as cashiers (at most 8), for as long
  as the closed loop took, in its own community of the same database.
- **Checks**: every non-2xx answer is an error (the first few are printed); the sales
  recorded in the database must equal the sales answered; `ledger_verify` must pass on the
  sales community (the raw community is hand-written SQL and is not verified).

Member codes rotate every 30 s and each is single use, so the client keeps each card's
secret and takes a member only for a step later than the last one it used for them
(`linli.commerce.cards.one_time_code`, the server's own function). Benchmarks print
figures, never assert. The last line per database is
`RESULT bench=sales db=… cashiers=… sales_per_s=… raw_per_s=… ratio=… p50_ms=… p99_ms=…`.
"""

import argparse
import sys
import time
from pathlib import Path

BENCH_DB = "linli_bench_sales"


def main() -> int:
    args = _parse_args()
    if args.child:
        from bench.sales_child import child_main

        return child_main(args)
    from bench.ledger import _run_child

    databases = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results: list[str] = []
    for db in databases:
        results += _run_child(db, sys.argv[1:], script=Path(__file__).resolve(), bench_db=BENCH_DB)
    print("\n".join(["", "# summary", *results]), flush=True)
    finished = [line for line in results if line.startswith("RESULT bench=sales ")]
    failed = [line for line in results if line.startswith("# child for")]
    return 0 if len(finished) == len(databases) and not failed else 1


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="closed-loop run length")
    parser.add_argument("--count", type=int, default=0, help="stop after N sales (0: no cap)")
    parser.add_argument("--cashiers", type=int, default=4, help="concurrent tills")
    parser.add_argument("--rate", type=float, default=0.0, help="also a paced run at R/s")
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--members", type=int, default=0, help="default: enough for the run")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn --workers")
    parser.add_argument("--server-threads", type=int, default=4, help="gunicorn --threads")
    parser.add_argument("--profile", action="store_true", help="cProfile consume in-process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cashiers < 1 or args.seconds <= 0 or args.count < 0 or args.rate < 0:
        parser.error("--cashiers ≥ 1, --seconds > 0, --count ≥ 0 and --rate ≥ 0")
    return args


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    started = time.monotonic()
    code = main()
    print(f"# total wall time {time.monotonic() - started:.0f} s", flush=True)
    sys.exit(code)
