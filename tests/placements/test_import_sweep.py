"""Imports left behind by a dead worker reach a final state by themselves (the sweeper): failed
with the upload (national ID numbers) and prepared rows wiped and nothing saved, or queued
again where nothing started. And cancelling a busy import really cancels it."""

import pytest
from django_tasks_db.models import DBTaskResult

from partnerships.background.sweeper import sweep
from partnerships.models import ImportBatch, ImportStatus, Placement
from partnerships.placements.imports import service
from tests.factories.placements import csv_bytes, many_rows
from tests.factories.tasks import IMPORT, READ, a_while_ago, task_record, worker_beating


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


def uploaded_not_read(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        batch = service.upload(user=w.business, file_name="a.csv", data=csv_bytes(many_rows(w, 3)))
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=a_while_ago(minutes=1))
    return ImportBatch.objects.get(pk=batch.pk)


def confirmed_not_imported(w, upload, django_capture_on_commit_callbacks):
    batch = upload(w.business, csv_bytes(many_rows(w, 3)))
    with django_capture_on_commit_callbacks(execute=False):
        service.confirm(batch=batch, user=w.business)
    ImportBatch.objects.filter(pk=batch.pk).update(confirmed_at=a_while_ago(minutes=1))
    return ImportBatch.objects.get(pk=batch.pk)


def assert_wiped(batch, status=ImportStatus.FAILED):
    batch.refresh_from_db()
    assert batch.status == status
    assert batch.pending_file is None
    assert (batch.rows, batch.row_errors) == ([], [])
    assert batch.finished_at is not None


def test_an_import_whose_reader_died_fails_and_its_upload_is_wiped(
    placements_world, django_capture_on_commit_callbacks
):
    batch = uploaded_not_read(placements_world, django_capture_on_commit_callbacks)
    assert batch.pending_file is not None
    task_record(READ, batch.pk)
    worker_beating(last_beat=a_while_ago(minutes=5))

    sweep()

    assert_wiped(batch)
    assert batch.error_code == "interrupted"


def test_an_import_whose_saving_worker_died_fails_with_nothing_saved(
    placements_world, upload, django_capture_on_commit_callbacks
):
    batch = confirmed_not_imported(placements_world, upload, django_capture_on_commit_callbacks)
    assert batch.status == ImportStatus.IMPORTING and batch.rows
    task_record(IMPORT, batch.pk, worker="worker-2")
    worker_beating("worker-2", last_beat=a_while_ago(minutes=5))

    sweep()

    assert_wiped(batch)
    assert batch.error_code == "interrupted"
    assert not Placement.objects.filter(import_batch=batch).exists()


def test_an_import_busy_past_the_time_limit_fails(
    placements_world, upload, django_capture_on_commit_callbacks, settings
):
    settings.TASK_TIME_LIMIT = 60
    batch = confirmed_not_imported(placements_world, upload, django_capture_on_commit_callbacks)
    ImportBatch.objects.filter(pk=batch.pk).update(confirmed_at=a_while_ago(minutes=2))

    sweep()

    assert_wiped(batch)
    assert batch.error_code == "timed_out"


def test_an_import_whose_task_was_lost_is_queued_again_on_the_imports_queue(
    placements_world, django_capture_on_commit_callbacks, database_tasks
):
    batch = uploaded_not_read(placements_world, django_capture_on_commit_callbacks)

    report = sweep()

    assert report.imports["requeued"] == 1
    queued = DBTaskResult.objects.get(task_path=READ)
    assert (queued.queue_name, queued.args_kwargs["args"]) == ("imports", [batch.pk])
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READING


# --- Cancelling ------------------------------------------------------------------------------


def test_cancelling_an_import_being_read_cancels_it_and_wipes_the_upload(
    placements_world, django_capture_on_commit_callbacks
):
    batch = uploaded_not_read(placements_world, django_capture_on_commit_callbacks)

    assert service.cancel(batch=batch, user=placements_world.business) is True

    assert_wiped(batch, ImportStatus.CANCELLED)
    service.read(batch.pk)  # the worker gets to it late: nothing happens
    assert_wiped(batch, ImportStatus.CANCELLED)


def test_cancelling_an_import_waiting_to_be_saved_cancels_it_and_saves_nothing(
    placements_world, upload, django_capture_on_commit_callbacks
):
    batch = confirmed_not_imported(placements_world, upload, django_capture_on_commit_callbacks)

    assert service.cancel(batch=batch, user=placements_world.business) is True

    assert_wiped(batch, ImportStatus.CANCELLED)
    service.run(batch.pk)  # the worker gets to it late: nothing is saved
    assert not Placement.objects.filter(import_batch=batch).exists()
    assert_wiped(batch, ImportStatus.CANCELLED)


def test_cancelling_an_import_already_saved_says_so_and_changes_nothing(
    placements_world, upload, confirm_import, client_as
):
    w = placements_world
    batch = confirm_import(upload(w.business, csv_bytes(many_rows(w, 2))), w.business)
    assert batch.status == ImportStatus.IMPORTED

    # From a page opened while it was still being saved.
    response = client_as(w.business).post_by_hand(f"/imports/{batch.pk}/cancel/", follow=True)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert Placement.objects.filter(import_batch=batch).count() == 2
    assert "already finished; nothing was cancelled" in response.content.decode()
