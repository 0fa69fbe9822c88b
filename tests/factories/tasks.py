"""Task records as django-tasks-db keeps them, and worker heartbeats: what a dead worker
leaves behind, for the sweeper tests."""

import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from partnerships.models import WorkerHeartbeat

# The intervals the worker processes of the fault tests run with: a dead worker is seen after
# three missed beats, and swept at the next sweep.
SWEEP_INTERVAL = 2
HEARTBEAT_INTERVAL = 1

RENDER = "partnerships.documents.rendering.render_mou_document"
READ = "partnerships.placements.imports.service.read_import_file"
IMPORT = "partnerships.placements.imports.service.run_placement_import"


def a_while_ago(**delta):
    return timezone.now() - timedelta(**delta)


def task_record(path, argument, *, status=TaskResultStatus.RUNNING, worker="worker-1"):
    return DBTaskResult.objects.create(
        task_path=path,
        args_kwargs={"args": [argument], "kwargs": {}},
        status=status,
        worker_ids=[worker],
        started_at=a_while_ago(seconds=30),
        backend_name="default",
        queue_name="default",
        run_after=get_date_max(),
    )


def worker_beating(worker="worker-1", *, last_beat):
    WorkerHeartbeat.objects.create(worker_id=worker, beat_at=last_beat)


def terminate_other_backends() -> int:
    """pg_terminate_backend on every other connection to the test database (as a PostgreSQL
    restart or an administrator would)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wait_for(condition, *, timeout: float, step: float = 0.1):
    """Poll `condition` until it returns something true; that value, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s")
