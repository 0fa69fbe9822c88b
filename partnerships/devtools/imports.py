"""Bulk placement import: the time to read and check, then save, an XLSX of 10,000 valid rows.

Target: 10,000 rows import in under 3 seconds (function calls of the import service, the
background steps included, not the upload request). The file is built against the
signed and active MoUs the benchmark's authority staff user may report on, and goes through
the import service as an upload would (upload -> read and check -> confirm -> save), with
the background steps run in this process so they can be timed:

    python manage.py benchmark --only imports [--import-rows 10000]
"""

import io
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

from django.utils import timezone, translation
from openpyxl import Workbook

from partnerships.authorities.permissions import can_report_placement
from partnerships.devtools.base import (
    FUNCTION,
    Benchmark,
    Figure,
    Session,
    whole_number,
)
from partnerships.devtools.dataset import session_dataset
from partnerships.devtools.names import PEOPLE
from partnerships.formats import day
from partnerships.models import (
    ContractType,
    Gender,
    ImportStatus,
    Mou,
    MouState,
    Placement,
    PledgeKind,
    Role,
)
from partnerships.placements.imports import service
from partnerships.placements.imports.columns import COLUMNS
from partnerships.placements.lookups import forget_lookups

TOTAL_TARGET_S = 3
# MoUs generated when this area runs alone, enough for a realistic spread of pledge lines.
MIN_MOUS = 200
# Far from the national IDs of the generated placements (placement_data.FIRST_NATIONAL_ID).
FIRST_NATIONAL_ID = 90_000_000_000
USER_ROLE = Role.AUTHORITY_STAFF


class ImportsBenchmark(Benchmark):
    name = "imports"
    help = "bulk placement import of a 10,000-row file"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--import-rows",
            type=whole_number(minimum=1),
            default=10_000,
            help="Rows in the placement import file (default 10000, the target's figure).",
        )

    def run(self, session: Session) -> Iterator[Figure]:
        rows = session.options["import_rows"]
        dataset = session_dataset(session)
        dataset.grow_mous(max(dataset.mou_count, min(MIN_MOUS, session.options["mous"])))
        user = dataset.user(USER_ROLE)
        today = timezone.localdate()
        lines = _open_lines(user, today)
        if not lines:
            raise RuntimeError("imports: no signed or active MoU to import placements on")
        session.log(f"Building a {rows}-row XLSX over {len(lines)} pledge lines…")
        data = _xlsx(_rows(lines, rows, today))
        placements_before = Placement.objects.count()

        session.log("Timing the import: reading and checking…")
        forget_lookups(user)  # run as often as wanted: its file is not a day's questions
        started, cpu = time.perf_counter(), time.process_time()
        batch = service.upload(user=user, file_name="benchmark.xlsx", data=data)
        batch = service.read(batch.pk, today=today)  # no-op if the task backend already ran it
        read_seconds = time.perf_counter() - started
        if batch.status != ImportStatus.PREVIEW or batch.row_errors or len(batch.rows) != rows:
            raise RuntimeError(
                f"imports: the preview is not clean ({batch.status}, {batch.error_code}, "
                f"{len(batch.rows)} rows, first problems {batch.row_errors[:3]})"
            )

        session.log("Timing the import: saving…")
        started = time.perf_counter()
        service.confirm(batch=batch, user=user)
        batch = service.run(batch.pk)
        save_seconds = time.perf_counter() - started
        # This process's CPU time: on a busy machine the wall clock also counts waiting
        # for a core (and, on PostgreSQL, leaves out the server's own work).
        cpu_seconds = time.process_time() - cpu
        added = Placement.objects.count() - placements_before
        if batch.status != ImportStatus.IMPORTED or added != rows:
            raise RuntimeError(f"imports: saved {added} of {rows} rows ({batch.error_code})")

        yield Figure("imports.rows", added, "rows")
        yield Figure("imports.file_kb", round(len(data) / 1024), "KB")
        timed = {"how": FUNCTION, "runs": 1}  # one import: a second of the same file is refused
        yield Figure("imports.read_and_check", round(read_seconds, 3), "s", **timed)
        yield Figure("imports.save", round(save_seconds, 3), "s", **timed)
        yield Figure.under(
            "imports.total", round(read_seconds + save_seconds, 3), "s", TOTAL_TARGET_S, **timed
        )
        yield Figure("imports.total_cpu", round(cpu_seconds, 3), "s", **timed)


def _open_lines(user, today: date) -> list[tuple[Mou, object, int, list[str]]]:
    """(MoU, pledge, line number, target group codes) of every pledge line the user may
    report on, on MoUs whose term has begun and whose number is not shared by another
    open MoU of the same year (the file could not say which one is meant)."""
    mous = [
        mou
        for mou in Mou.objects.filter(state__in=MouState.IN_FORCE, term_start__lte=today)
        .select_related("authority", "partner")
        .prefetch_related("pledges__target_groups")
        .order_by("pk")
        if can_report_placement(user, mou)
    ]
    keys = Counter((mou.year, mou.number, mou.authority.code) for mou in mous)
    lines = []
    for mou in mous:
        if keys[mou.year, mou.number, mou.authority.code] > 1:
            continue
        for pledge in mou.pledges.all():
            groups = [group.code for group in pledge.target_groups.all() if group.is_active]
            lines.append((mou, pledge, pledge.line, groups or ["completed_prison"]))
    return lines


def _rows(lines, count: int, today: date) -> Iterator[list]:
    """`count` different people, spread over the pledge lines, as people type them."""
    chooser = random.Random(2025)
    with translation.override("vi"):
        kinds = {kind.value: str(kind.label) for kind in PledgeKind}
        genders = [str(Gender.MALE.label)] * 4 + [str(Gender.FEMALE.label)]
    for index in range(count):
        mou, pledge, line, groups = chooser.choice(lines)
        last = min(mou.term_end or today, today)
        start = mou.term_start + timedelta(
            days=chooser.randint(0, max((last - mou.term_start).days, 0))
        )
        is_job = pledge.kind == PledgeKind.JOB
        wage = (pledge.min_monthly_wage or 5_000_000) + chooser.randint(0, 20) * 100_000
        values = {
            "mou_number": mou.document_number,
            "mou_year": mou.year,
            "pledge_line": line,
            "national_id": f"{FIRST_NATIONAL_ID + index:012d}",
            "full_name": chooser.choice(PEOPLE),
            "gender": chooser.choice(genders),
            "birth_year": chooser.randint(1970, today.year - 20),
            "target_group": chooser.choice(groups),
            "kind": kinds[pledge.kind],
            "start_date": day(start),
            "occupation": pledge.occupation,
            "monthly_wage": wage if is_job else "",
            "contract_type": (
                chooser.choice(
                    [ContractType.LABOUR_12_MONTHS_OR_MORE] * 3 + [ContractType.SEASONAL]
                )
                if is_job
                else ContractType.TRAINING_COURSE
            ).value,
            "consent_given_on": day(start - timedelta(days=chooser.randint(0, 30))),
        }
        yield [values[column.key] for column in COLUMNS]


def _xlsx(rows: Iterator[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([column.header_vi for column in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
