"""Smoke test of `bench/sales.py`: a tiny run end to end (gunicorn, HTTP, raw baseline,
ledger verification) on SQLite must finish, answer every sale and print its RESULT line.
It asserts what the run did, never how fast it was."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULT = re.compile(
    r"^RESULT bench=sales db=sqlite cashiers=1 sales_per_s=[\d.]+ raw_per_s=\d+ "
    r"ratio=[\d.]+ p50_ms=[\d.]+ p99_ms=[\d.]+$",
    re.MULTILINE,
)


def test_a_tiny_sales_run_answers_every_sale_and_verifies():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LINLI_VAR_DIR")}
    tiny = ["--db", "sqlite", "--cashiers", "1", "--count", "5", "--seconds", "120"]
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sales.py"), *tiny],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr[-3000:]
    assert "# closed: 5 sales, 0 errors" in out
    assert "# errors 0; problems 0" in out
    assert "# sales answered 7, recorded in the database 7" in out  # 2 warm-up + 5
    assert "# verify_ledger [bench-sales]: OK" in out
    assert RESULT.search(out), out
