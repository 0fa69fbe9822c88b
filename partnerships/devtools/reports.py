"""Pledge-versus-delivery reports: server time and SQL queries of the per-MoU and per-partner
pages over many placements, the CSV/XLSX export of every pledge line, and the daily
recount of the delivery tallies.

Targets: per-MoU and per-partner pages under 300 ms with at most 8 queries, and a
10,000-row export under 5 s, on 1,000,000 placements in PostgreSQL:

    python manage.py benchmark --only reports --mous 10000 --pledges 50000 --placements 1000000

A default run uses 100,000 placements (`--placements`) so it stays a matter of minutes. As
for the MoU list, queries are counted on a small registry first, then again at full size.
"""

import io
import time
from collections.abc import Iterator

from django.utils import timezone
from openpyxl import load_workbook

from partnerships.devtools.base import (
    Benchmark,
    Figure,
    Session,
    median,
    p95,
    time_runs,
    whole_number,
)
from partnerships.devtools.dataset import session_dataset
from partnerships.devtools.web import PageProbe
from partnerships.models import Placement, Pledge, Role
from partnerships.reports import tallies as tally

PAGE_TARGET_MS = 300
QUERY_TARGET = 8
EXPORT_TARGET_S = 5
EXPORT_ROWS = 10_000
SMALL_MOUS = 100
SMALL_PLACEMENTS = 1_000
EXPORT_RUNS = 3
OTHER_PAGE_RUNS = 3

# name: (role, URL); the first four are held to the targets.
PAGES = {
    "mous.admin": (Role.ADMINISTRATOR, "/reports/mous/"),
    "partners.admin": (Role.ADMINISTRATOR, "/reports/partners/"),
    "mous.staff": (Role.AUTHORITY_STAFF, "/reports/mous/"),
    "partners.staff": (Role.AUTHORITY_STAFF, "/reports/partners/"),
    "mous.filtered": (Role.OFFICIAL, "/reports/mous/?state=active&kind=job&sort=-delivered"),
}
# Timed for information, fewer runs: they read placements themselves (by person or date).
OTHER_PAGES = {
    "authorities.admin": (Role.ADMINISTRATOR, "/reports/authorities/"),
    "groups.admin": (Role.ADMINISTRATOR, "/reports/groups/"),
    "periods.admin": (Role.ADMINISTRATOR, "/reports/periods/"),
    "province.official": (Role.OFFICIAL, "/reports/province/"),
    "dashboard.admin": (Role.ADMINISTRATOR, "/"),
}
EXPORTS = {
    "export_csv": "/reports/mous/?_export=csv",
    "export_xlsx": "/reports/mous/?_export=xlsx",
}


class ReportsBenchmark(Benchmark):
    name = "reports"
    help = "pledge-versus-delivery report pages and exports"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--placements",
            type=whole_number(minimum=10),
            default=100_000,
            help="How many placements to generate for the report figures (default 100000; "
            "the target's figure is 1000000).",
        )
        parser.add_argument(
            "--pledges",
            type=whole_number(minimum=2),
            default=None,
            help="Pledge lines in all (default: one to four an MoU, two on average; the "
            "target's figure is 50000 for 10000 MoUs).",
        )

    def run(self, session: Session) -> Iterator[Figure]:
        dataset = session_dataset(session)
        total_mous, total_placements = session.options["mous"], session.options["placements"]
        session.log("Generating a small registry with placements to count queries…")
        dataset.grow_mous(max(dataset.mou_count, min(SMALL_MOUS, total_mous // 2)))
        dataset.grow_placements(min(SMALL_PLACEMENTS, total_placements // 10))
        probes = {role: PageProbe(dataset.user(role), runs=session.runs) for role in Role}
        tally.ensure_fresh(as_of=timezone.localdate())
        everything = {**PAGES, **OTHER_PAGES, **EXPORTS}
        baseline = {
            name: probes[role].query_count(url)
            for name, (role, url) in self._requests(everything).items()
        }

        session.log(f"Growing to {total_mous} MoUs and {total_placements} placements…")
        started = time.perf_counter()
        dataset.grow_mous(total_mous)
        dataset.grow_placements(total_placements)
        session.notes["generate_placements_seconds"] = round(time.perf_counter() - started, 2)
        yield Figure("reports.placements", Placement.objects.count(), "placements")
        yield Figure("reports.pledge_lines", Pledge.objects.count(), "lines")

        # The daily recount (cron, or the worker after a change): timed on its own, then
        # the pages are timed with tallies current, as the rest of the day.
        session.log("Recounting the delivery tallies…")
        started = time.perf_counter()
        tally.refresh(as_of=timezone.localdate())
        yield Figure("reports.tally_recount", round(time.perf_counter() - started, 2), "s")

        why = "as on the small registry"
        for name, (role, url) in PAGES.items():
            session.log(f"Timing the report page {name}…")
            yield from _page_figures(name, probes[role], url)
            queries = probes[role].query_count(url)
            yield Figure.at_most(f"reports.{name}.queries", queries, "queries", QUERY_TARGET)
            yield Figure.equal_to(
                f"reports.{name}.queries_unchanged", queries, "queries", baseline[name], why
            )
        for name, (role, url) in OTHER_PAGES.items():
            session.log(f"Timing the report page {name}…")
            timings = probes[role].timings(url, runs=min(OTHER_PAGE_RUNS, session.runs))
            yield Figure(f"reports.{name}.median", round(median(timings.wall), 1), "ms")
            queries = probes[role].query_count(url)
            yield Figure.equal_to(
                f"reports.{name}.queries", queries, "queries", baseline[name], why
            )
        admin = probes[Role.ADMINISTRATOR]
        for name, url in EXPORTS.items():
            session.log(f"Timing the per-MoU {name}…")
            yield from _export_figures(name, admin, url, runs=min(EXPORT_RUNS, session.runs))
            yield Figure.equal_to(
                f"reports.{name}.queries", admin.query_count(url), "queries", baseline[name], why
            )

    @staticmethod
    def _requests(everything: dict) -> dict:
        return {
            name: value if isinstance(value, tuple) else (Role.ADMINISTRATOR, value)
            for name, value in everything.items()
        }


def _page_figures(name: str, probe: PageProbe, url: str) -> Iterator[Figure]:
    timings = probe.timings(url)
    yield Figure.under(
        f"reports.{name}.median", round(median(timings.wall), 1), "ms", PAGE_TARGET_MS
    )
    yield Figure(f"reports.{name}.p95", round(p95(timings.wall), 1), "ms")
    yield Figure(f"reports.{name}.cpu_median", round(median(timings.cpu), 1), "ms")


def _export_figures(name: str, probe: PageProbe, url: str, *, runs: int) -> Iterator[Figure]:
    """Every pledge line the administrator sees, in one file. The target is for 10,000
    rows: the figure is the time per 10,000 rows of the whole export (at least as many
    rows, so no faster than a 10,000-row one)."""
    timings = time_runs(lambda: probe.get(url), runs=runs, warm_up=1)
    seconds = median(timings.wall) / 1000
    rows = _rows(probe.get(url).content, name) - 2  # the header and the totals
    yield Figure(f"reports.{name}.median", round(seconds, 3), "s")
    yield Figure(f"reports.{name}.rows", rows, "lines")
    per_rows = seconds * EXPORT_ROWS / max(rows, 1)
    yield Figure.under(f"reports.{name}.per_10000_rows", round(per_rows, 3), "s", EXPORT_TARGET_S)


def _rows(content: bytes, name: str) -> int:
    if name == "export_csv":
        return content.decode("utf-8-sig").count("\n")
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return sum(1 for _row in sheet.iter_rows(values_only=True))
