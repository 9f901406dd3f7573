"""Ledger benchmark (Linli issue 3 §5): postings/s and latency through `journal_post` against
the same six transfers as hand-written SQL, `ledger_verify` time, inclusion-proof time.

    uv run python bench/ledger.py [--seconds N] [--db postgresql|sqlite|both] [--workers 1,8]
                                  [--verify-journals 100000] [--proof-leaves 1000000]

Each database runs in its own child process (Django settings are per process) on its own
database: PostgreSQL `linli_bench` (dropped and created here) or an SQLite file in a temp
directory. Workers are forked processes, each with its own connection. The run ends with
one `RESULT ...` line per configuration. Benchmarks print figures, never assert.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DB = "linli_bench"
SHORT_MODE_SECONDS = 10  # below this, --seconds is a smoke run: scale verify and proof down


def main() -> None:
    args = _parse_args()
    if args.child:
        from bench.ledger_child import child_main

        child_main(args)
        return
    databases = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results: list[str] = []
    for db in databases:
        results += _run_child(db, sys.argv[1:])
    print("\n".join(["", "# summary", *results]), flush=True)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each timed run")
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--workers", default="1,8", help="comma-separated process counts")
    parser.add_argument("--verify-journals", type=int, default=None, help="default 100000")
    parser.add_argument("--proof-leaves", type=int, default=None, help="default 1000000")
    parser.add_argument("--profile", action="store_true", help="cProfile 1-worker postings")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    short = args.seconds < SHORT_MODE_SECONDS
    if args.verify_journals is None:
        args.verify_journals = 5_000 if short else 100_000
    if args.proof_leaves is None:
        args.proof_leaves = 100_000 if short else 1_000_000
    args.worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    return args


def _run_child(
    db: str, argv: list[str], script: Path | None = None, bench_db: str = BENCH_DB
) -> list[str]:
    """Re-run `script` (this one by default) as `--child --db X` with its own DATABASE_URL
    and var dir; PostgreSQL gets the scratch database `bench_db`, dropped and re-created."""
    script = script or Path(__file__).resolve()
    var_dir = Path(tempfile.mkdtemp(prefix=f"linli-bench-{db}-"))
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="linli.settings",
        LINLI_VAR_DIR=str(var_dir),
        HUEY_IMMEDIATE="1",
        PYTHONPATH=os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
        ),
    )
    if db == "postgresql":
        _recreate_postgres_database(bench_db)
        env["DATABASE_URL"] = f"postgresql:///{bench_db}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    argv = [a for a in _without_db(argv)]
    command = [sys.executable, str(script), *argv, "--child", "--db", db]
    results: list[str] = []
    try:
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as proc:
            for line in proc.stdout or []:
                print(line, end="", flush=True)
                if line.startswith("RESULT "):
                    results.append(line.rstrip("\n"))
        if proc.returncode:
            results.append(f"# child for {db} exited with {proc.returncode}")
            print(results[-1], flush=True)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return results


def _without_db(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        if arg.startswith("--db="):
            continue
        out.append(arg)
    return out


def _recreate_postgres_database(name: str = BENCH_DB) -> None:
    """Drop and create a `linli_bench*` scratch database over the local socket (never the dev
    or test databases)."""
    import psycopg

    if not name.startswith("linli_bench"):
        raise ValueError(f"refusing to drop {name!r}: not a bench database")
    with psycopg.connect("dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    started = time.monotonic()
    main()
    print(f"# total wall time {time.monotonic() - started:.0f} s", flush=True)
