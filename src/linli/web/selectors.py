"""Reads for the web shell: health of the database and of the background worker."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

from linli.web.models import HEARTBEAT_ROW_ID, WorkerHeartbeat

# The worker beats every minute; three missed beats mean it is down, not merely busy.
WORKER_STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class Health:
    database_ok: bool
    worker_ok: bool
    worker_last_seen: datetime | None
    down: list[str] = field(default_factory=list)

    @property
    def is_healthy(self) -> bool:
        return not self.down


def health_check(*, now: datetime | None = None) -> Health:
    """Is the database answering, and has the worker beaten within WORKER_STALE_AFTER?"""
    now = now or timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        last_seen = (
            WorkerHeartbeat.objects.filter(id=HEARTBEAT_ROW_ID)
            .values_list("last_seen_at", flat=True)
            .first()
        )
    except DatabaseError:
        return Health(
            database_ok=False, worker_ok=False, worker_last_seen=None, down=["database", "worker"]
        )
    worker_ok = last_seen is not None and now - last_seen < WORKER_STALE_AFTER
    return Health(
        database_ok=True,
        worker_ok=worker_ok,
        worker_last_seen=last_seen,
        down=[] if worker_ok else ["worker"],
    )
