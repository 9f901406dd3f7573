"""CPU seconds a run cost on each side (gunicorn workers, PostgreSQL backends, the bench's
own cashiers), read from /proc. On a box shared with others the wall-clock rate says how
much CPU the bench got; CPU per sale says what a sale costs, whatever the load."""

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """utime + stime of one process (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _pg_backends(dbname: str) -> list[int]:
    import psycopg

    with psycopg.connect(dbname=dbname, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """Snapshots of the server's processes (gunicorn master + workers) and, on PostgreSQL,
    the backends connected to the bench database; `since` gives the CPU spent between."""

    def __init__(self, *, server_pid: int, pg_dbname: str | None) -> None:
        self.server_pid, self.pg_dbname = server_pid, pg_dbname

    def snapshot(self) -> dict[str, dict[int, float]]:
        server = [self.server_pid, *_children(self.server_pid)]
        backends = _pg_backends(self.pg_dbname) if self.pg_dbname else []
        return {
            "server": {pid: _cpu_s(pid) for pid in server},
            "database": {pid: _cpu_s(pid) for pid in backends},
            "client": {os.getpid(): _cpu_s(os.getpid())},
        }

    @staticmethod
    def since(before: dict, after: dict) -> dict[str, float]:
        return {
            side: sum(cpu - before[side].get(pid, 0.0) for pid, cpu in after[side].items())
            for side in after
        }
