"""The sweeper gives every rendering left behind by a dead worker a final state: failed with
a retry offered, or queued again where nothing started. These tests build the task records a
dead worker leaves (imports: tests/placements/test_import_sweep.py); test_worker_faults.py
kills real workers."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from partnerships.background.sweeper import sweep
from partnerships.models import (
    MouDocument,
    RenderStatus,
)
from tests.factories.tasks import RENDER, a_while_ago, task_record, worker_beating


def a_document(w, status, *, age=timedelta(minutes=1)):
    document = MouDocument.objects.create(
        mou=w.mou,
        mou_revision=w.mou.revision,
        template_version=w.mou.template.latest_version(),
        status=status,
    )
    MouDocument.objects.filter(pk=document.pk).update(created_at=timezone.now() - age)
    return document


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


# --- Renderings ------------------------------------------------------------------------------


def test_a_rendering_whose_worker_died_fails_and_the_page_offers_to_try_again(world):
    document = a_document(world, RenderStatus.RUNNING)
    task = task_record(RENDER, document.pk)
    worker_beating(last_beat=a_while_ago(minutes=5))

    sweep()

    task.refresh_from_db()
    document.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert "WorkerLost" in task.exception_class_path
    assert (document.status, document.error_code) == (RenderStatus.FAILED, "interrupted")
    assert document.pdf is None
    with translation.override("en"):
        assert "interrupted" in document.error_text


def test_a_rendering_on_a_live_worker_is_left_alone(world):
    document = a_document(world, RenderStatus.RUNNING)
    task = task_record(RENDER, document.pk)
    worker_beating(last_beat=timezone.now())

    sweep()

    task.refresh_from_db()
    document.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING
    assert document.status == RenderStatus.RUNNING


def test_a_rendering_waiting_past_the_limit_fails_as_not_prepared_in_time(world, settings):
    settings.RENDERING_TIME_LIMIT = 600
    document = a_document(world, RenderStatus.QUEUED, age=timedelta(minutes=11))
    task_record(RENDER, document.pk, status=TaskResultStatus.READY)

    sweep()

    document.refresh_from_db()
    assert (document.status, document.error_code) == (RenderStatus.FAILED, "timed_out")


def test_a_waiting_rendering_whose_task_was_lost_is_queued_again(world, database_tasks):
    document = a_document(world, RenderStatus.QUEUED)

    report = sweep()

    assert report.renderings["requeued"] == 1
    document.refresh_from_db()
    assert document.status == RenderStatus.QUEUED
    queued = DBTaskResult.objects.get(task_path=RENDER)
    assert (queued.status, queued.args_kwargs["args"]) == (TaskResultStatus.READY, [document.pk])


def test_a_rendering_given_up_does_not_become_ready_when_the_old_worker_finishes(world):
    from partnerships.documents.rendering import _finish

    document = a_document(world, RenderStatus.RUNNING)
    task_record(RENDER, document.pk)
    worker_beating(last_beat=a_while_ago(minutes=5))
    sweep()

    _finish(document, RenderStatus.READY, pdf=b"%PDF-late", pdf_sha256="x")

    document.refresh_from_db()
    assert (document.status, document.pdf) == (RenderStatus.FAILED, None)


def test_the_cron_command_sweeps_and_says_what_it_did(world):
    from io import StringIO

    from django.core.management import call_command

    document = a_document(world, RenderStatus.RUNNING)
    task_record(RENDER, document.pk)
    worker_beating(last_beat=a_while_ago(minutes=5))
    out = StringIO()

    call_command("sweep_stale_tasks", stdout=out)

    document.refresh_from_db()
    assert document.status == RenderStatus.FAILED
    assert "tasks failed 1; renderings: failed 1, requeued 0" in out.getvalue()
