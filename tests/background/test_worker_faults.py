"""Fault tests with real workers (`manage.py run_worker` subprocesses) on PostgreSQL: a worker
killed mid-task leaves nothing stuck, a worker survives losing its database connection, and
an import cannot hold up a rendering.

Rendering is kept in progress by a LibreOffice that hangs (a stand-in script); an import by a
row lock held from another connection, as a long transaction would."""

import os
import signal
import time

import pytest
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from partnerships.documents.rendering import request_document
from partnerships.models import (
    ImportBatch,
    ImportStatus,
    MouDocument,
    Placement,
    RenderStatus,
    WorkerHeartbeat,
)
from partnerships.placements.imports import service
from partnerships.reports.tallies import refresh_delivery_tallies
from tests.factories.documents import fake_soffice
from tests.factories.placements import csv_bytes, many_rows
from tests.factories.tasks import (
    HEARTBEAT_INTERVAL,
    IMPORT,
    READ,
    RENDER,
    SWEEP_INTERVAL,
    terminate_other_backends,
    wait_for,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="worker processes share the test database, and pg_terminate_backend is "
        "PostgreSQL's: run with DATABASE_URL=postgresql://...",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,
]

# A killed worker is seen as dead after three missed heartbeats, then swept at the next sweep
# of a live worker; a little more for starting processes on a busy machine.
SWEPT_WITHIN = 3 * HEARTBEAT_INTERVAL + SWEEP_INTERVAL + 4


def task_status(path: str, argument) -> str | None:
    result = DBTaskResult.objects.filter(task_path=path, args_kwargs__args__0=argument).first()
    return result and result.status


def status_of(model, pk):
    return model.objects.filter(pk=pk).values_list("status", flat=True).first()


def kill(process) -> float:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return time.monotonic()


def uploaded(w, rows=3):
    data = csv_bytes(many_rows(w, rows))
    return service.upload(user=w.business, file_name="tiep-nhan.csv", data=data)


def test_a_rendering_whose_worker_is_killed_fails_by_itself_and_can_be_tried_again(
    world, start_worker, database_tasks
):
    start_worker("imports")  # the other worker, which sweeps
    documents = start_worker("default")
    document = request_document(world.mou, actor=world.staff)
    wait_for(lambda: status_of(MouDocument, document.pk) == RenderStatus.RUNNING, timeout=20)

    killed_at = kill(documents)

    wait_for(lambda: status_of(MouDocument, document.pk) == RenderStatus.FAILED, timeout=30)
    assert time.monotonic() - killed_at < SWEPT_WITHIN
    document.refresh_from_db()
    assert (document.error_code, document.pdf, document.docx) == ("interrupted", None, None)
    assert task_status(RENDER, document.pk) == TaskResultStatus.FAILED
    # Trying again queues a new rendering, which a restarted worker takes up.
    again = request_document(world.mou, actor=world.staff)
    start_worker("default")
    wait_for(lambda: status_of(MouDocument, again.pk) == RenderStatus.RUNNING, timeout=20)


def test_an_import_whose_worker_is_killed_while_reading_fails_and_its_upload_is_wiped(
    placements_world, start_worker, database_tasks, lock_row
):
    start_worker("default")  # the other worker, which sweeps
    batch = uploaded(placements_world)
    assert batch.pending_file is not None
    # The reader writes its progress to the batch: held there, it stays mid-reading.
    lock_row.hold("partnerships_importbatch", batch.pk)
    imports = start_worker("imports")
    wait_for(lambda: task_status(READ, batch.pk) == TaskResultStatus.RUNNING, timeout=20)
    time.sleep(0.5)  # inside read(), waiting for the lock

    killed_at = kill(imports)
    lock_row.release()

    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.FAILED, timeout=30)
    assert time.monotonic() - killed_at < SWEPT_WITHIN
    batch.refresh_from_db()
    assert batch.error_code == "interrupted"
    assert batch.pending_file is None
    assert (batch.rows, batch.row_errors) == ([], [])
    assert task_status(READ, batch.pk) == TaskResultStatus.FAILED


def test_an_import_whose_worker_is_killed_while_saving_saves_nothing_and_fails_by_itself(
    placements_world, start_worker, database_tasks, lock_row
):
    w = placements_world
    start_worker("default")
    imports = start_worker("imports")
    batch = uploaded(w)
    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.PREVIEW, timeout=30)
    batch.refresh_from_db()
    lock_row.hold("partnerships_mou", w.active_mou.pk)  # run() locks the MoUs it adds to
    service.confirm(batch=batch, user=w.business)
    wait_for(lambda: task_status(IMPORT, batch.pk) == TaskResultStatus.RUNNING, timeout=20)
    time.sleep(0.5)  # inside the import's transaction, waiting for the MoU

    killed_at = kill(imports)
    lock_row.release()

    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.FAILED, timeout=30)
    assert time.monotonic() - killed_at < SWEPT_WITHIN
    batch.refresh_from_db()
    assert batch.error_code == "interrupted"
    assert (batch.rows, batch.pending_file) == ([], None)
    assert not Placement.objects.filter(import_batch=batch).exists()
    assert Placement.objects.filter(pledge__mou=w.active_mou).count() == 0


def test_cancelling_an_import_while_it_is_being_saved_rolls_it_back(
    placements_world, start_worker, database_tasks, lock_row
):
    w = placements_world
    start_worker("imports")
    batch = uploaded(w)
    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.PREVIEW, timeout=30)
    batch.refresh_from_db()
    lock_row.hold("partnerships_mou", w.active_mou.pk)
    service.confirm(batch=batch, user=w.business)
    wait_for(lambda: task_status(IMPORT, batch.pk) == TaskResultStatus.RUNNING, timeout=20)
    time.sleep(0.5)

    assert service.cancel(batch=batch, user=w.business) is True
    lock_row.release()

    wait_for(lambda: task_status(IMPORT, batch.pk) == TaskResultStatus.SUCCESSFUL, timeout=20)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert (batch.rows, batch.pending_file) == ([], None)
    assert not Placement.objects.filter(import_batch=batch).exists()


# --- A lost database connection -------------------------------------------------------------


def test_the_worker_survives_its_database_connection_being_terminated(
    world, start_worker, database_tasks
):
    worker = start_worker("default")
    wait_for(WorkerHeartbeat.objects.exists, timeout=30)  # connected and polling

    assert terminate_other_backends() >= 1
    time.sleep(1.5)

    assert worker.poll() is None, "the worker crashed"
    result = refresh_delivery_tallies.enqueue()
    wait_for(lambda: status_of(DBTaskResult, result.id) == TaskResultStatus.SUCCESSFUL, timeout=40)
    assert worker.poll() is None


def test_a_task_running_when_the_connection_is_lost_fails_and_its_import_is_settled(
    placements_world, start_worker, database_tasks, lock_row
):
    w = placements_world
    imports = start_worker("imports")
    batch = uploaded(w)
    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.PREVIEW, timeout=30)
    batch.refresh_from_db()
    lock_row.hold("partnerships_mou", w.active_mou.pk)
    service.confirm(batch=batch, user=w.business)
    wait_for(lambda: task_status(IMPORT, batch.pk) == TaskResultStatus.RUNNING, timeout=20)
    time.sleep(0.5)

    terminate_other_backends()  # the worker's connection, mid-import (and the lock's)

    # The import's transaction is rolled back; the batch fails (the import's own error
    # handling or, had that failed too, the sweeper), and the worker goes on.
    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.FAILED, timeout=40)
    assert task_status(IMPORT, batch.pk) != TaskResultStatus.RUNNING
    assert not Placement.objects.filter(import_batch=batch).exists()
    batch.refresh_from_db()
    assert (batch.rows, batch.pending_file) == ([], None)
    assert imports.poll() is None, "the worker crashed"
    later = uploaded(w, rows=2)
    wait_for(lambda: status_of(ImportBatch, later.pk) == ImportStatus.PREVIEW, timeout=30)


# --- Queues -------------------------------------------------------------------------------------


def test_a_long_import_does_not_hold_up_a_rendering(
    placements_world, start_worker, database_tasks, lock_row, tmp_path
):
    w = placements_world
    crashing = fake_soffice(tmp_path, "exit 1")  # a quick answer: the rendering ends at once
    start_worker("imports")
    start_worker("default", soffice=crashing)
    batch = uploaded(w)
    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.PREVIEW, timeout=30)
    batch.refresh_from_db()
    lock_row.hold("partnerships_mou", w.active_mou.pk)
    service.confirm(batch=batch, user=w.business)
    wait_for(lambda: task_status(IMPORT, batch.pk) == TaskResultStatus.RUNNING, timeout=20)

    document = request_document(w.mou, actor=w.staff)

    wait_for(lambda: status_of(MouDocument, document.pk) == RenderStatus.FAILED, timeout=20)
    assert status_of(ImportBatch, batch.pk) == ImportStatus.IMPORTING  # still held up
    assert MouDocument.objects.get(pk=document.pk).error_code == "conversion_crashed"
    lock_row.release()
    wait_for(lambda: status_of(ImportBatch, batch.pk) == ImportStatus.IMPORTED, timeout=20)


def test_one_worker_for_both_queues_takes_the_rendering_first(
    placements_world, start_worker, database_tasks, tmp_path
):
    w = placements_world
    batch = uploaded(w)  # queued first
    document = request_document(w.mou, actor=w.staff)

    crashing = fake_soffice(tmp_path, "exit 1")
    start_worker("default,imports", soffice=crashing, extra=("--max-tasks=1",))

    wait_for(lambda: status_of(MouDocument, document.pk) == RenderStatus.FAILED, timeout=20)
    time.sleep(1)
    assert status_of(ImportBatch, batch.pk) == ImportStatus.READING
    assert task_status(READ, batch.pk) == TaskResultStatus.READY
