"""Periodic jobs of the web shell: the worker heartbeat that /healthz checks."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, on_startup

from linli.web.services import worker_heartbeat_record


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    """Every minute: prove the consumer (and its scheduler) is running."""
    worker_heartbeat_record()


@on_startup()
def worker_heartbeat_on_startup() -> None:
    # Beat at once so /healthz turns green as soon as the consumer starts, not a minute later.
    worker_heartbeat_record()
