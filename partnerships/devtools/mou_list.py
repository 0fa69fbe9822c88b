"""MoU list page: server time and SQL queries with many MoUs, and the CSV export.

Targets: under 150 ms server time, and a query count that does not grow with
the number of MoUs. The proof of the second: every page's queries are counted with a small
registry first, then again after it has grown to the full size.
"""

import time
from collections.abc import Iterator
from urllib.parse import urlencode

from django.http import QueryDict

from partnerships.authorities.permissions import visible_mous
from partnerships.devtools.base import (
    REQUEST,
    Benchmark,
    Figure,
    Session,
    median,
    timing_figures,
    whole_number,
)
from partnerships.devtools.dataset import session_dataset
from partnerships.devtools.web import PageProbe
from partnerships.models import MouState, Role
from partnerships.mous.filters import MouFilter

LIST_URL = "/mous/"
TARGET_MS = 150
SMALL_REGISTRY = 100
EXPORT_RUNS = 3


class MouListBenchmark(Benchmark):
    name = "mou_list"
    help = "MoU list page and CSV export"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--mous",
            type=whole_number(minimum=2),
            default=10_000,
            help="How many MoUs to generate for the list figures (default 10000).",
        )

    def run(self, session: Session) -> Iterator[Figure]:
        total = session.options["mous"]
        dataset = session_dataset(session)
        small = min(SMALL_REGISTRY, total // 2)
        session.log(f"Generating {small} MoUs to count queries on a small registry…")
        dataset.grow_mous(small)

        admin = PageProbe(dataset.user(Role.ADMINISTRATOR), runs=session.runs)
        staff = PageProbe(dataset.user(Role.AUTHORITY_STAFF), runs=session.runs)
        filtered = {"state": MouState.ACTIVE, "target_group": dataset.most_pledged_target_group()}
        requests = {
            # name: (who asks, query string)
            "admin": (admin, {}),
            "staff": (staff, {}),
            "filtered": (admin, filtered),
            "page2": (admin, {"page": 2}),
            "export_csv": (admin, {"_export": "csv"}),
        }
        baseline = {
            name: probe.query_count(_url(query)) for name, (probe, query) in requests.items()
        }

        session.log(f"Growing the registry to {total} MoUs…")
        started = time.perf_counter()
        dataset.grow_mous(total)
        session.notes["generate_mous_seconds"] = round(time.perf_counter() - started, 2)

        why = f"as with {small} MoUs"
        for name, (probe, query) in requests.items():
            session.log(f"Timing the MoU list: {name}…")
            if name == "export_csv":
                yield from _export_figures(probe, _url(query), runs=session.runs)
            else:
                yield from _page_figures(name, probe, _url(query))
            queries = probe.query_count(_url(query))
            yield Figure.equal_to(
                f"mou_list.{name}.queries", queries, "queries", baseline[name], why
            )

        admin_user = dataset.user(Role.ADMINISTRATOR)
        yield Figure("mou_list.admin.rows", visible_mous(admin_user).count(), "MoUs")
        staff_user = dataset.user(Role.AUTHORITY_STAFF)
        yield Figure("mou_list.staff.rows", visible_mous(staff_user).count(), "MoUs")
        matching = MouFilter(QueryDict(urlencode(filtered)), queryset=visible_mous(admin_user))
        yield Figure("mou_list.filtered.rows", matching.qs.count(), "MoUs")


def _page_figures(name: str, probe: PageProbe, url: str) -> Iterator[Figure]:
    yield from timing_figures(
        f"mou_list.{name}", probe.timings(url), how=REQUEST, limit_ms=TARGET_MS
    )


def _export_figures(probe: PageProbe, url: str, *, runs: int) -> Iterator[Figure]:
    """Every MoU in one file (10,000 rows at the default size): slow by nature, so timed
    fewer times, in seconds."""
    timings = probe.timings(url, runs=min(EXPORT_RUNS, runs))
    seconds = round(median(timings.wall) / 1000, 3)
    yield Figure("mou_list.export_csv.median", seconds, "s", how=REQUEST, runs=len(timings.wall))
    lines = probe.get(url).content.decode("utf-8-sig").count("\n")
    yield Figure("mou_list.export_csv.rows", lines - 1, "MoUs")


def _url(query: dict) -> str:
    return f"{LIST_URL}?{urlencode(query)}" if query else LIST_URL
