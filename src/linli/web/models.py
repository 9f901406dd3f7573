"""What the web shell stores: the background worker's heartbeat, read by /healthz."""

from django.db import models

HEARTBEAT_ROW_ID = 1


class WorkerHeartbeat(models.Model):
    """One row, rewritten every minute by the huey consumer (see `linli.web.tasks`).

    A database row rather than the cache: the web server and the worker are separate
    processes, and the database is the one thing both are certain to share.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=HEARTBEAT_ROW_ID)
    last_seen_at = models.DateTimeField()
    host = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=HEARTBEAT_ROW_ID), name="worker_heartbeat_single_row"
            )
        ]

    def __str__(self) -> str:
        return f"worker seen {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
