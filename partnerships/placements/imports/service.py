"""The life of an import batch: upload -> reading (background) -> preview -> the user
confirms -> importing (background) -> imported. Or: failed, cancelled, expired.

- Nothing is saved as placements or people before the user confirms, and the import itself
  is one transaction: all rows, or none.
- A file already imported (same SHA-256) is refused at upload; a row already in the
  registry (same person, pledge and start date) is counted and skipped, in the preview and
  again at import time, so a second import of the same rows adds nothing.
- Progress is stored on the batch row, which the page polls. Reading commits its progress
  as it goes; the import's own writes become visible only at its commit, so while it runs
  the page shows that it is saving.

The two background tasks, `read_import_file` and `run_placement_import`, are defined here
beside the work they run, so the service that queues them needs no other module. They run on
their own queue (settings.IMPORTS_QUEUE), so a long import never holds up document rendering.

A batch stuck reading or importing (its worker died) is failed by `sweep_stale_imports` (the
sweeper), its upload and prepared rows wiped; the user may also cancel it. Either way a worker
still busy with it finds the batch no longer in its state and saves nothing.
"""

import logging
import traceback
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks import task

from partnerships.authorities.permissions import can_import_placements, can_report_placement
from partnerships.core.privacy import decrypt_bytes, decrypt_name, encrypt_bytes
from partnerships.core.task_results import task_state
from partnerships.formats import day
from partnerships.models import (
    Confirmation,
    ConsentScope,
    IdentityConflict,
    ImportBatch,
    ImportStatus,
    Mou,
    Person,
    Placement,
    PlacementStatus,
    sha256_hex,
)
from partnerships.mous.lifecycle import record_event
from partnerships.placements.imports.errors import ImportRefused
from partnerships.placements.imports.reading import MAX_FILE_MEGABYTES, read_table
from partnerships.placements.imports.validation import RowChecker
from partnerships.placements.lookups import LookupLimitReached
from partnerships.placements.rules import conflicts_with
from partnerships.reports.tallies import recount_after_commit

logger = logging.getLogger(__name__)

PREVIEW_LIFETIME = timedelta(hours=24)
BULK_BATCH = 1000


def upload(*, user, file_name: str, data: bytes) -> ImportBatch:
    """Register an uploaded file and queue its reading. Refuses at once a file too large or
    already imported; everything else about the file is judged by the reader."""
    if not can_import_placements(user):
        raise PermissionDenied
    expire_stale_previews()
    if len(data) > MAX_FILE_MEGABYTES * 1024 * 1024:
        raise ImportRefused("file_too_large", limit=MAX_FILE_MEGABYTES)
    digest = sha256_hex(data)
    earlier = ImportBatch.objects.filter(file_sha256=digest, status=ImportStatus.IMPORTED).first()
    if earlier is not None:
        raise ImportRefused(
            "already_imported",
            date=day(timezone.localtime(earlier.finished_at)),
            batch=earlier.pk,
        )
    batch = ImportBatch.objects.create(
        uploaded_by=user,
        file_name=(file_name or "")[-255:],
        file_sha256=digest,
        # The file holds ID numbers in clear: kept only encrypted, and only until read.
        pending_file=encrypt_bytes(data),
    )
    transaction.on_commit(lambda: read_import_file.enqueue(batch.pk))
    return batch


def read(batch_id: int, *, today: date | None = None) -> ImportBatch:
    """Read and check the file of a batch (the background task's work): store the prepared
    rows and the problems for the preview, then forget the file."""
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if batch.status != ImportStatus.READING or batch.pending_file is None:
        return batch
    today = today or timezone.localdate()
    try:
        table = read_table(decrypt_bytes(batch.pending_file), batch.file_name)
        ImportBatch.objects.filter(pk=batch.pk).update(total_rows=len(table.rows))
        checker = RowChecker(
            user=batch.uploaded_by,
            today=today,
            on_progress=lambda done: ImportBatch.objects.filter(pk=batch.pk).update(rows_done=done),
            audit_details={"batch": batch.pk},
        )
        outcome = checker.check(table)
    except LookupLimitReached:
        _finish(
            batch, ImportStatus.FAILED, expected=ImportStatus.READING, error_code="lookup_limit"
        )
    except ImportRefused as error:
        _finish(
            batch,
            ImportStatus.FAILED,
            expected=ImportStatus.READING,
            error_code=error.code,
            error_params=error.params,
        )
    except Exception as exc:
        _log_crash("Reading", batch, exc)
        _finish(batch, ImportStatus.FAILED, expected=ImportStatus.READING, error_code="internal")
    else:
        _finish(
            batch,
            ImportStatus.PREVIEW,
            expected=ImportStatus.READING,
            finished=False,
            total_rows=len(table.rows),
            rows_done=len(table.rows),
            rows=outcome.rows,
            row_errors=outcome.errors,
            rows_already_recorded=outcome.already_recorded,
        )
    batch.refresh_from_db()
    return batch


def _log_crash(step: str, batch: ImportBatch, exc: Exception) -> None:
    """Where it broke, for the maintainer, but not the exception's message: a library's
    message may quote a cell, that is an ID number or a name."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s import batch %s crashed: %s\n%s", step, batch.pk, type(exc).__name__, frames)


def _finish(
    batch: ImportBatch, status: str, *, expected: str, finished: bool = True, **fields
) -> int:
    """Move the batch from `expected` to `status`, wiping the upload. Returns 0 when it is no
    longer in `expected` (cancelled, or given up by the sweeper): then nothing changes."""
    fields.setdefault("rows", [])
    fields.setdefault("row_errors", [])
    if finished:
        fields["finished_at"] = timezone.now()
    return ImportBatch.objects.filter(pk=batch.pk, status=expected).update(
        status=status, pending_file=None, **fields
    )


class _NoLongerImporting(Exception):
    """The batch was cancelled or given up while it was being saved: roll everything back."""


def can_confirm(batch: ImportBatch, user) -> bool:
    """A preview may be imported by its uploader when it has rows to add and no problems."""
    return bool(
        batch.status == ImportStatus.PREVIEW
        and batch.uploaded_by_id == user.pk
        and batch.rows
        and not batch.row_errors
        and can_import_placements(user)
    )


def confirm(*, batch: ImportBatch, user) -> ImportBatch:
    """The uploader confirms a clean preview: queue the import. Refused while any row has a
    problem (fix the file and upload it again), or once the preview has expired."""
    if batch.uploaded_by_id != user.pk or not can_import_placements(user):
        raise PermissionDenied
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not can_confirm(locked, user):
            raise PermissionDenied  # not a clean preview (any more): nothing to confirm
        expired = timezone.now() - locked.created_at > PREVIEW_LIFETIME
        if expired:
            _finish(
                locked, ImportStatus.CANCELLED, expected=ImportStatus.PREVIEW, error_code="expired"
            )
        else:
            locked.status = ImportStatus.IMPORTING
            locked.confirmed_at = timezone.now()
            locked.rows_done = 0
            locked.save(update_fields=["status", "confirmed_at", "rows_done"])
    if expired:
        raise ImportRefused("expired")
    transaction.on_commit(lambda: run_placement_import.enqueue(batch.pk))
    return locked


CANCELLABLE = [
    ImportStatus.READING,
    ImportStatus.PREVIEW,
    ImportStatus.FAILED,
    ImportStatus.IMPORTING,
]


def cancel(*, batch: ImportBatch, user) -> bool:
    """Drop a batch not imported yet: its upload and prepared rows are erased. Returns False
    when there was nothing to cancel (already imported, or cancelled).

    A batch still being read or saved is cancelled too: the worker then finds it cancelled
    and saves nothing (the import is one transaction, rolled back)."""
    if batch.uploaded_by_id != user.pk:
        raise PermissionDenied
    return bool(
        ImportBatch.objects.filter(pk=batch.pk, status__in=CANCELLABLE).update(
            status=ImportStatus.CANCELLED,
            rows=[],
            row_errors=[],
            pending_file=None,
            finished_at=timezone.now(),
        )
    )


def expire_stale_previews() -> int:
    """Previews nobody confirmed within a day are cancelled and their rows erased: prepared
    rows hold hashed IDs and encrypted names, kept no longer than needed."""
    return ImportBatch.objects.filter(
        status=ImportStatus.PREVIEW, created_at__lt=timezone.now() - PREVIEW_LIFETIME
    ).update(status=ImportStatus.CANCELLED, rows=[], row_errors=[], error_code="expired")


def run(batch_id: int) -> ImportBatch:
    """Save the confirmed rows of a batch in one transaction (the background task's work).

    The MoUs are locked and checked again (one may have changed state since the preview),
    rows recorded meanwhile are skipped, and the people and placements are written with
    bulk inserts. On any problem nothing is saved and the batch says why.
    """
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if batch.status != ImportStatus.IMPORTING:
        return batch
    try:
        with transaction.atomic():
            people_added, placements_added, skipped = _save_rows(batch)
            recount_after_commit()
            record_event(
                action="placements.imported",
                actor=batch.uploaded_by,
                details={
                    "batch": batch.pk,
                    "file_sha256": batch.file_sha256,
                    "placements_added": placements_added,
                    "people_added": people_added,
                },
            )
            saved = _finish(
                batch,
                ImportStatus.IMPORTED,
                expected=ImportStatus.IMPORTING,
                rows_done=batch.total_rows,
                people_added=people_added,
                placements_added=placements_added,
                rows_already_recorded=batch.rows_already_recorded + skipped,
            )
            if not saved:
                raise _NoLongerImporting
    except _NoLongerImporting:
        logger.info("Import batch %s was cancelled or given up meanwhile: nothing saved", batch.pk)
    except ImportRefused as error:
        _finish(
            batch,
            ImportStatus.FAILED,
            expected=ImportStatus.IMPORTING,
            error_code=error.code,
            error_params=error.params,
        )
    except IntegrityError:
        # Another import of the same file or rows committed first: nothing was saved here.
        logger.info("Import batch %s lost a race and saved nothing", batch.pk)
        earlier = ImportBatch.objects.filter(
            file_sha256=batch.file_sha256, status=ImportStatus.IMPORTED
        ).first()
        importing = ImportStatus.IMPORTING
        if earlier is None:
            _finish(batch, ImportStatus.FAILED, expected=importing, error_code="changed_meanwhile")
        else:
            date_shown = day(timezone.localtime(earlier.finished_at))
            params = {"date": date_shown, "batch": earlier.pk}
            _finish(
                batch,
                ImportStatus.FAILED,
                expected=importing,
                error_code="already_imported",
                error_params=params,
            )
    except Exception as exc:
        _log_crash("Importing", batch, exc)
        _finish(batch, ImportStatus.FAILED, expected=ImportStatus.IMPORTING, error_code="internal")
    batch.refresh_from_db()
    return batch


def _save_rows(batch: ImportBatch) -> tuple[int, int, int]:
    user, rows = batch.uploaded_by, batch.rows
    mous = {mou.pk: mou for mou in _locked_mous(rows)}
    for mou in mous.values():
        if not can_report_placement(user, mou):
            raise ImportRefused("data_changed", number=mou.document_number)
    people = _people_for(rows, user)
    recorded = set(
        # Only people registered before may have placements already.
        Placement.objects.filter(person_id__in=people.registered)
        .exclude(confirmation="rejected")
        .values_list("person_id", "pledge_id", "start_date")
    )
    from partnerships.placements.services import confirmed_on_entry

    confirmation = {mou_id: confirmed_on_entry(user, mou) for mou_id, mou in mous.items()}
    now = timezone.now()
    placements, held, skipped = [], {}, 0
    for row in rows:
        person_id = people[row["id_hash"]]
        start = date.fromisoformat(row["start_date"])
        if (person_id, row["pledge"], start) in recorded:
            skipped += 1  # recorded by someone else since the preview
            continue
        reported = people.conflicts.get(row["id_hash"])
        # A report contradicting the registered person waits for their authority's staff.
        decision = {} if reported else confirmation[row["mou"]]
        decided_by = decision.get("decided_by")
        if reported:
            held[(person_id, row["pledge"], start)] = reported
        placements.append(
            (
                person_id,
                row["pledge"],
                row["kind"],
                start,
                row["occupation"],
                row["monthly_wage"],
                row["contract_type"],
                PlacementStatus.ACTIVE,
                "",
                decision.get("confirmation", Confirmation.REPORTED),
                decided_by.pk if decided_by else None,
                decision.get("decided_at"),
                "",
                user.pk,
                now,
                batch.pk,
            )
        )
    _insert(Placement, PLACEMENT_FIELDS, placements)
    if held:
        held_rows = Placement.objects.filter(
            import_batch=batch, person_id__in={person for person, _p, _s in held}
        )
        _hold_for_identity_check(
            [
                (placement, held[key])
                for placement in held_rows
                if (key := (placement.person_id, placement.pledge_id, placement.start_date)) in held
            ],
            user,
        )
    return people.added, len(placements), skipped


# Written with plain multi-row INSERTs (the values are built above from checked rows):
# bulk_create's preparation of every field of every object was a third of an import.
PLACEMENT_FIELDS = (
    "person",
    "pledge",
    "kind",
    "start_date",
    "occupation",
    "monthly_wage",
    "contract_type",
    "status",
    "end_reason",
    "confirmation",
    "decided_by",
    "decided_at",
    "rejection_reason",
    "reported_by",
    "reported_at",
    "import_batch",
)
PERSON_FIELDS = (
    "id_hash",
    "full_name_encrypted",
    "target_group",
    "gender",
    "birth_year",
    "birth_decade",
    "commune",
    "owning_authority",
    "consent_given_on",
    "consent_scope",
    "created_by",
    "created_at",
)


def _insert(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT the rows. PostgreSQL gets them in one COPY: psycopg writes each row in C, and
    the tally triggers run once for the whole file (an INSERT of arrays spent most of its
    time in psycopg's array dumping, in Python). SQLite gets multi-row INSERTs, BULK_BATCH
    rows at a time."""
    fields = [model._meta.get_field(name) for name in names]
    adapters = [_adapter(field) for field in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), BULK_BATCH):
            chunk = rows[start : start + BULK_BATCH]
            params = [
                adapt(value) if adapt else value
                for row in chunk
                for adapt, value in zip(adapters, row, strict=True)
            ]
            values = ", ".join([marks] * len(chunk))  # placeholders only
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)  # noqa: S608


def _adapter(field):
    """What the database driver needs for a date or a moment (SQLite takes text)."""
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if internal == "DateField":
        return connection.ops.adapt_datefield_value
    return None


def _hold_for_identity_check(held: list[tuple[Placement, dict]], user) -> None:
    """Placements whose person is registered with other details than the file gives: held,
    with what the file said, for the person's managing authority to settle (the uploader
    was told nothing, as for a new number)."""
    IdentityConflict.objects.bulk_create(
        [
            IdentityConflict(
                placement=placement,
                reported_name_encrypted=details["name"],
                reported_gender=details["gender"],
                reported_birth_year=details["birth_year"],
            )
            for placement, details in held
        ],
        batch_size=BULK_BATCH,
    )
    for placement, _details in held:
        record_event(
            action="person.identity_conflict",
            actor=user,
            person_id=placement.person_id,
            details={"placement": placement.pk},
        )


def _locked_mous(rows: list[dict]):
    ids = sorted({row["mou"] for row in rows})
    return Mou.objects.select_for_update().filter(pk__in=ids).select_related("authority")


class _People(dict):
    """Person ids by ID hash, how many of them this import added, and the file's details of
    each registered person they contradict (by ID hash)."""

    added = 0
    registered: list[int] = []
    conflicts: dict[str, dict] = {}


def _people_for(rows: list[dict], user) -> _People:
    """The person id of every row by ID hash: those registered (maybe meanwhile), and the
    new ones, inserted in bulk; and the registered people the file's details contradict."""
    hashes = list({row["id_hash"] for row in rows})
    people, registered = _People(), {}
    for start in range(0, len(hashes), 900):
        for person in Person.objects.filter(id_hash__in=hashes[start : start + 900]).only(
            "id", "id_hash", "gender", "birth_year", "full_name_encrypted"
        ):
            people[person.id_hash] = person.pk
            registered[person.id_hash] = person
    people.registered = list(people.values())
    people.conflicts = {}
    now = timezone.now()
    new_people, seen = [], set()
    for row in rows:
        details = row.get("person")
        if row["id_hash"] in registered:
            if details is not None and conflicts_with(
                registered[row["id_hash"]],
                name=decrypt_name(details["name"]),
                gender=details["gender"],
                birth_year=details["birth_year"],
            ):
                people.conflicts[row["id_hash"]] = details
            continue
        if row["id_hash"] in seen:
            continue
        if details is None:
            # Registered at the preview, gone now: their consent was withdrawn meanwhile.
            raise ImportRefused("changed_meanwhile")
        seen.add(row["id_hash"])
        new_people.append(
            (
                row["id_hash"],
                details["name"],
                details["target_group"],
                details["gender"],
                details["birth_year"],
                Person.decade_of(details["birth_year"]),
                details["commune"],
                details["owner"],
                date.fromisoformat(details["consent_given_on"]),
                ConsentScope.PLACEMENT,
                user.pk,
                now,
            )
        )
    _insert(Person, PERSON_FIELDS, new_people)
    new_hashes = [person[0] for person in new_people]
    for start in range(0, len(new_hashes), 900):
        people.update(
            Person.objects.filter(id_hash__in=new_hashes[start : start + 900]).values_list(
                "id_hash", "id"
            )
        )
    people.added = len(new_people)
    return people


# --- The sweeper's part: batches left behind by a dead worker ---

# The task that works on a batch in each busy state.
_TASK_OF_STATE = {
    ImportStatus.READING: "read_import_file",
    ImportStatus.IMPORTING: "run_placement_import",
}


def sweep_stale_imports(*, now=None) -> dict[str, int]:
    """Give a final state to batches stuck reading or importing, and expire old previews.

    - busy past TASK_TIME_LIMIT: failed ("took too long");
    - busy, its task ran but is not live any more (the worker died): failed ("interrupted");
    - busy with no task at all (the queueing was lost): queued again, which is safe: reading
      starts over from the stored upload, and an import is all or nothing.
    A failed batch keeps neither its upload (national ID numbers) nor its prepared rows; the
    transaction of an import still running somewhere rolls back when it sees that.
    """
    now = now or timezone.now()
    too_old = now - timedelta(seconds=settings.TASK_TIME_LIMIT)
    settled = now - timedelta(seconds=settings.WORKER_HEARTBEAT_INTERVAL)
    counts = {"failed": 0, "requeued": 0, "expired": expire_stale_previews()}
    busy = ImportBatch.objects.filter(status__in=list(_TASK_OF_STATE)).only(
        "pk", "status", "created_at", "confirmed_at"
    )
    for batch in busy:
        started = batch.confirmed_at or batch.created_at
        if started >= settled:
            continue
        if started < too_old:
            counts["failed"] += _give_up(batch, "timed_out", now)
            continue
        state = task_state(_TASK_OF_STATE[batch.status], batch.pk)
        if state == "ran":
            counts["failed"] += _give_up(batch, "interrupted", now)
        elif state == "none":
            task = (
                read_import_file if batch.status == ImportStatus.READING else run_placement_import
            )
            task.enqueue(batch.pk)
            counts["requeued"] += 1
    return counts


def _give_up(batch: ImportBatch, code: str, now) -> int:
    logger.warning("Import batch %s given up: %s", batch.pk, code)
    return ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(
        status=ImportStatus.FAILED,
        error_code=code,
        error_params={},
        pending_file=None,
        rows=[],
        row_errors=[],
        finished_at=now,
    )


# --- Background tasks (django-tasks): thin wrappers around the work above ---


@task(queue_name=settings.IMPORTS_QUEUE)
def read_import_file(batch_id: int) -> str:
    """Read and check an uploaded file, for the preview."""
    return read(batch_id).status


@task(queue_name=settings.IMPORTS_QUEUE)
def run_placement_import(batch_id: int) -> str:
    """Save the rows of a confirmed preview."""
    return run(batch_id).status
