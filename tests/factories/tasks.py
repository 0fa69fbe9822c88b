"""Task records as django-tasks-db keeps them, and worker heartbeats: what a dead worker
leaves behind, for the sweeper tests."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from partnerships.models import WorkerHeartbeat

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
