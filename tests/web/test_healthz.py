"""/healthz: the database answers and the huey worker has beaten within three minutes."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from linli.web import tasks
from linli.web.models import WorkerHeartbeat
from linli.web.services import worker_heartbeat_record

pytestmark = pytest.mark.django_db


def test_healthy_after_the_periodic_task_runs(client):
    tasks.worker_heartbeat()  # HUEY_IMMEDIATE=1 in tests: runs now, in this process

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] is True
    assert body["worker"] is True
    assert "down" not in body
    seen = parse_datetime(body["worker_last_seen"])
    assert seen is not None
    assert timezone.now() - seen < timedelta(minutes=1)


def test_startup_hook_beats_at_once(client):
    tasks.worker_heartbeat_on_startup()
    assert client.get("/healthz").status_code == 200


def test_never_seen_worker_is_down(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body == {"database": True, "worker": False, "worker_last_seen": None, "down": ["worker"]}


@pytest.mark.parametrize(("age_seconds", "status"), [(170, 200), (190, 503), (3600, 503)])
def test_stale_heartbeat_names_the_worker(client, age_seconds, status):
    beat_at = timezone.now() - timedelta(seconds=age_seconds)
    worker_heartbeat_record(now=beat_at)

    response = client.get("/healthz")

    assert response.status_code == status
    body = response.json()
    assert parse_datetime(body["worker_last_seen"]) == beat_at
    if status == 503:
        assert body["worker"] is False
        assert body["down"] == ["worker"]


def test_heartbeat_is_one_row_however_often_it_beats():
    for _ in range(3):
        worker_heartbeat_record()
    tasks.worker_heartbeat()
    assert WorkerHeartbeat.objects.count() == 1


def test_database_down_is_503_naming_both(client, monkeypatch):
    worker_heartbeat_record()

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("linli.web.selectors.connection.cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] is False
    assert body["down"] == ["database", "worker"]


def test_periodic_task_runs_every_minute():
    from huey.contrib.djhuey import HUEY

    periodic = [t for t in HUEY._registry.periodic_tasks if t.name.endswith("worker_heartbeat")]
    assert len(periodic) == 1
    minute = timezone.now().replace(second=0, microsecond=0, tzinfo=None)
    assert all(periodic[0].validate_datetime(minute + timedelta(minutes=n)) for n in range(61))
