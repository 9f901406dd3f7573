"""Time `ledger_verify` on a community of an existing database (issue 3 §5), e.g. one kept
from a long generation run, so that versions of the verifier can be compared back to back
on the same rows:

    DATABASE_URL=postgresql:///mydb uv run python bench/ledger_verify.py --community bench-service
        [--repeat 2] [--profile]

The database must already be migrated and hold the community; nothing is written. Prints
one `RESULT bench=verify_existing ...` line per run with wall and CPU seconds (this
process: Python, and SQLite's own work; PostgreSQL's work is in the server) and the load
average, because figures from a loaded machine only compare with the same load.
"""

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--community", default="bench-service", help="slug")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile one run")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()
    from django.db import connection

    from linli.communities.models import Community
    from linli.ledger.verification import ledger_verify

    community = Community.objects.get(slug=args.community)
    if args.profile:
        _profile(lambda: ledger_verify(community=community))
        return
    for _ in range(args.repeat):
        began, cpu_began = time.perf_counter(), time.process_time()
        report = ledger_verify(community=community)
        seconds = time.perf_counter() - began
        cpu_s = time.process_time() - cpu_began
        print(
            f"RESULT bench=verify_existing db={connection.vendor} journals={report.journals} "
            f"accounts={report.accounts} checkpoints={report.checkpoints} "
            f"seconds={seconds:.2f} journals_per_s={report.journals / seconds:.0f} "
            f"cpu_s={cpu_s:.2f} ok={report.problem is None} load={os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if report.problem is not None:
            print(f"# {report.problem}", flush=True)


def _profile(run: object) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run)  # type: ignore[arg-type]
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
