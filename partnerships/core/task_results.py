"""What the sweeper needs to know about queued and running background tasks.

django-tasks-db keeps one row per task (DBTaskResult); our workers (`run_worker`) keep a
heartbeat row each (WorkerHeartbeat). From these two tables:
- a task is *live* while it waits (READY) or runs (RUNNING) on a worker that still beats;
- a RUNNING task whose worker stopped beating, or that has run past TASK_TIME_LIMIT, is dead:
  `fail_abandoned_tasks` marks it FAILED, and the domain sweepers then give the rendering or
  import it was working on a final state of its own.
"""

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from partnerships.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

LIVE_STATUSES = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
# Missed heartbeats after which a worker counts as dead.
MISSED_BEATS = 3
# Heartbeats of workers gone for this long are deleted.
HEARTBEAT_KEPT = timedelta(days=1)


class WorkerLost(Exception):
    """Recorded on a task that was running on a worker that died or lost its database."""


class TaskTimeLimitExceeded(Exception):
    """Recorded on a task that ran past TASK_TIME_LIMIT."""


def worker_lost_after() -> timedelta:
    return timedelta(seconds=MISSED_BEATS * settings.WORKER_HEARTBEAT_INTERVAL)


def task_state(task_name: str, argument) -> str:
    """ "live" (waiting or running), "ran" (it ran, and ended or died), or "none" (never queued,
    or its record was pruned) for the task `task_name` called with `argument` first."""
    results = DBTaskResult.objects.filter(
        task_path__endswith=f".{task_name}", args_kwargs__args__0=argument
    )
    statuses = set(results.values_list("status", flat=True))
    if statuses & set(LIVE_STATUSES):
        return "live"
    return "ran" if statuses else "none"


def beat(worker_id: str, *, queues: str) -> None:
    """Record that this worker is alive."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "beat_at": timezone.now(),
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "queues": queues[:200],
        },
    )


def forget_worker(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def fail_abandoned_tasks(*, now=None) -> int:
    """Mark FAILED every RUNNING task whose worker stopped beating, or that ran too long.

    A task run by a worker that never wrote a heartbeat (a plain `db_worker`) is judged by
    its age only."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.filter(beat_at__lt=now - HEARTBEAT_KEPT).delete()
    beats = dict(WorkerHeartbeat.objects.values_list("worker_id", "beat_at"))
    lost_before = now - worker_lost_after()
    too_old = now - timedelta(seconds=settings.TASK_TIME_LIMIT)
    failed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "worker_ids", "started_at", "task_path"
    )
    for result in running:
        worker = result.worker_ids[-1] if result.worker_ids else None
        if worker in beats and beats[worker] < lost_before:
            error = WorkerLost(f"worker {worker} stopped sending heartbeats")
        elif result.started_at and result.started_at < too_old:
            error = TaskTimeLimitExceeded(f"running for over {settings.TASK_TIME_LIMIT}s")
        else:
            continue
        failed += mark_failed(result.pk, error, now=now)
        logger.warning("Task %s (%s) failed: %s", result.pk, result.task_path, error)
    return failed


def mark_failed(task_id, error: Exception, *, now=None) -> int:
    """Mark one task FAILED with `error`, if it is still RUNNING. Returns 1 if it was."""
    return DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now or timezone.now(),
        return_value=None,
        exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
        traceback=f"{type(error).__name__}: {error}",
    )
