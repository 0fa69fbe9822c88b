"""Pledge-versus-delivery reports: server time and SQL queries of every report page over
many placements, the first report read right after a batch of placement changes, the
CSV/XLSX export of exactly 10,000 pledge lines, and the recount of the tallies (every line, and
the nightly one, when only the day moved).

Targets, on 1,000,000 placements in PostgreSQL: every report page under 300 ms (full
requests), as many queries as on a small registry (and the per-MoU and per-partner pages at
most 8); the first report after a batch of changes (before the worker recounts) under 1 s;
a 10,000-line export under 5 s:

    python manage.py benchmark --only reports --mous 10000 --pledges 50000 --placements 1000000

A default run uses 100,000 placements (`--placements`) so it stays a matter of minutes. As
for the MoU list, queries are counted on a small registry first, then again at full size.
"""

import io
import random
import time
from collections.abc import Iterator
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from openpyxl import load_workbook

from partnerships.devtools.base import (
    FUNCTION,
    REQUEST,
    Benchmark,
    Figure,
    Session,
    median,
    time_runs,
    timing_figures,
    whole_number,
)
from partnerships.devtools.dataset import session_dataset
from partnerships.devtools.web import PageProbe
from partnerships.models import (
    Authority,
    AuthorityLevel,
    Confirmation,
    Mou,
    MouState,
    Placement,
    PlacementStatus,
    Pledge,
    Role,
    UserProfile,
)
from partnerships.reports import tallies as tally

PAGE_TARGET_MS = 300
QUERY_TARGET = 8
AFTER_CHANGES_TARGET_MS = 1000
EXPORT_TARGET_S = 5
EXPORT_ROWS = 10_000
SMALL_MOUS = 100
SMALL_PLACEMENTS = 1_000
EXPORT_RUNS = 5
# A batch of placement changes (confirmations, endings) before a report is read; batches.
CHANGED_PLACEMENTS = 1_000
CHANGE_BATCHES = 7

# name: (role, URL); every report page is held to the time target and to a flat query
# count, the first five also to at most QUERY_TARGET queries.
PAGES = {
    "mous.admin": (Role.ADMINISTRATOR, "/reports/mous/"),
    "partners.admin": (Role.ADMINISTRATOR, "/reports/partners/"),
    "mous.staff": (Role.AUTHORITY_STAFF, "/reports/mous/"),
    "partners.staff": (Role.AUTHORITY_STAFF, "/reports/partners/"),
    "mous.filtered": (Role.OFFICIAL, "/reports/mous/?state=active&kind=job&sort=-delivered"),
    "authorities.admin": (Role.ADMINISTRATOR, "/reports/authorities/"),
    "groups.admin": (Role.ADMINISTRATOR, "/reports/groups/"),
    "periods.admin": (Role.ADMINISTRATOR, "/reports/periods/"),
    "province.official": (Role.OFFICIAL, "/reports/province/"),
}
WITH_QUERY_LIMIT = ("mous.admin", "partners.admin", "mous.staff", "partners.staff", "mous.filtered")
# Timed for information.
OTHER_PAGES = {
    "dashboard.admin": (Role.ADMINISTRATOR, "/"),
}
# Read first after each batch of changes.
AFTER_CHANGES = {
    "mous.admin": (Role.ADMINISTRATOR, "/reports/mous/"),
    "groups.admin": (Role.ADMINISTRATOR, "/reports/groups/"),
    "periods.admin": (Role.ADMINISTRATOR, "/reports/periods/"),
    "province.official": (Role.OFFICIAL, "/reports/province/"),
}
EXPORTS = {
    "export_csv": "/reports/mous/?_export=csv",
    "export_xlsx": "/reports/mous/?_export=xlsx",
}
EXPORT_AUTHORITY = "UBND xã Xuất Khẩu (benchmark)"


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
        baseline = {
            name: probes[role].query_count(url)
            for name, (role, url) in {**PAGES, **OTHER_PAGES}.items()
        }
        # The exports are timed as authority staff (see _export_user).
        staff = probes[Role.AUTHORITY_STAFF]
        export_baseline = {name: staff.query_count(url) for name, url in EXPORTS.items()}

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
        today = timezone.localdate()
        started = time.perf_counter()
        tally.refresh(as_of=today)
        yield Figure(
            "reports.tally_recount", round(time.perf_counter() - started, 2), "s", how=FUNCTION
        )
        # The nightly run of `refresh_delivery_tallies`: every line's tally is of yesterday
        # and nothing changed, so only retention moves. Timed as tomorrow's, then brought
        # back to today (untimed) for the pages.
        started = time.perf_counter()
        tally.refresh(as_of=today + timedelta(days=1))
        yield Figure(
            "reports.tally_recount_daily",
            round(time.perf_counter() - started, 2),
            "s",
            how=FUNCTION,
        )
        tally.refresh(as_of=today)

        why = "as on the small registry"
        for name, (role, url) in PAGES.items():
            session.log(f"Timing the report page {name}…")
            yield from timing_figures(
                f"reports.{name}", probes[role].timings(url), how=REQUEST, limit_ms=PAGE_TARGET_MS
            )
            queries = probes[role].query_count(url)
            if name in WITH_QUERY_LIMIT:
                yield Figure.at_most(f"reports.{name}.queries", queries, "queries", QUERY_TARGET)
                yield Figure.equal_to(
                    f"reports.{name}.queries_unchanged", queries, "queries", baseline[name], why
                )
            else:
                yield Figure.equal_to(
                    f"reports.{name}.queries", queries, "queries", baseline[name], why
                )
        for name, (role, url) in OTHER_PAGES.items():
            session.log(f"Timing the page {name}…")
            yield from timing_figures(f"reports.{name}", probes[role].timings(url), how=REQUEST)
            queries = probes[role].query_count(url)
            yield Figure.equal_to(
                f"reports.{name}.queries", queries, "queries", baseline[name], why
            )

        session.log("Timing the first reports after batches of placement changes…")
        yield from _after_changes_figures(probes, runs=min(CHANGE_BATCHES, session.runs))

        session.log(f"Timing the per-MoU exports of {EXPORT_ROWS} lines…")
        with _export_user(dataset, rows=EXPORT_ROWS) as user:
            probe = PageProbe(user, runs=session.runs)
            for name, url in EXPORTS.items():
                yield from _export_figures(name, probe, url, runs=min(EXPORT_RUNS, session.runs))
                yield Figure.equal_to(
                    f"reports.{name}.queries",
                    probe.query_count(url),
                    "queries",
                    export_baseline[name],
                    why,
                )


def _after_changes_figures(probes: dict, *, runs: int) -> Iterator[Figure]:
    """The first report read after a batch of placement changes, before the worker's
    recount has run: the changed lines are counted from their placements while the page is
    read. Each run: a batch of CHANGED_PLACEMENTS changes (confirmations of awaiting
    placements and endings of running ones, spread over the registry, in one transaction
    each, as an import or a day of confirmations would), then one request per page; the
    tallies are recounted (untimed) before the next batch."""
    chooser = random.Random(7)
    today = timezone.localdate()
    timings: dict[str, list[float]] = {name: [] for name in AFTER_CHANGES}
    changed = []
    for _ in range(runs):
        changed.append(_change_placements(chooser, today))
        for name, (role, url) in AFTER_CHANGES.items():
            started = time.perf_counter()
            probes[role].get(url)
            timings[name].append((time.perf_counter() - started) * 1000)
            # The second page is also a first read after the changes: the first one wrote
            # nothing (reports never do).
        tally.ensure_fresh(as_of=today)
    # The smallest batch of the runs (a small registry runs out of placements to change).
    yield Figure("reports.after_changes.placements_changed", min(changed), "placements")
    for name, wall in timings.items():
        yield Figure.under(
            f"reports.after_changes.{name}.median",
            round(median(wall), 1),
            "ms",
            AFTER_CHANGES_TARGET_MS,
            how=REQUEST,
            runs=len(wall),
        )
        yield Figure(
            f"reports.after_changes.{name}.max",
            round(max(wall), 1),
            "ms",
            how=REQUEST,
            runs=len(wall),
        )


def _change_placements(chooser: random.Random, today) -> int:
    """Confirm some awaiting placements and end some running ones, at random across the
    registry, in one transaction (through the ORM: the triggers mark their lines)."""
    top = Placement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    picked = chooser.sample(range(1, top + 1), min(CHANGED_PLACEMENTS * 3, top))
    with transaction.atomic():
        awaiting = list(
            Placement.objects.filter(pk__in=picked, confirmation=Confirmation.REPORTED).values_list(
                "pk", flat=True
            )[: CHANGED_PLACEMENTS // 2]
        )
        confirmed = Placement.objects.filter(pk__in=awaiting).update(
            confirmation=Confirmation.CONFIRMED, decided_at=timezone.now()
        )
        running = list(
            Placement.objects.filter(
                pk__in=picked, status=PlacementStatus.ACTIVE, start_date__lt=today
            ).values_list("pk", flat=True)[: CHANGED_PLACEMENTS - confirmed]
        )
        ended = Placement.objects.filter(pk__in=running).update(
            status=PlacementStatus.LEFT, end_date=today
        )
    return confirmed + ended


class _export_user:
    """A staff user whose authority holds signed MoUs with exactly `rows` pledge lines (or
    every signed line, on a registry with fewer), moved there from elsewhere for the time of
    the export figures and moved back afterwards: the export is then timed at its target's
    size, not scaled from another."""

    def __init__(self, dataset, *, rows: int):
        self.dataset, self.rows = dataset, rows

    def __enter__(self):
        lines = dict(
            Mou.objects.filter(state__in=MouState.SIGNED_ONCE)
            .annotate(lines=Count("pledges"))
            .order_by("pk")
            .values_list("pk", "lines")
        )
        self.moved = _exactly(lines, self.rows)
        self.owners = dict(Mou.objects.filter(pk__in=self.moved).values_list("pk", "authority_id"))
        province = Authority.objects.filter(level=AuthorityLevel.PROVINCE).order_by("pk").first()
        self.authority = Authority.objects.create(
            name=EXPORT_AUTHORITY, level=AuthorityLevel.DEPARTMENT, parent=province, code="XK"
        )
        # One body under it per authority the MoUs come from: MoU numbers stay unique per
        # authority and year.
        self.bodies = []
        for owner in sorted(set(self.owners.values())):
            body = Authority.objects.create(
                name=f"{EXPORT_AUTHORITY} {owner}",
                level=AuthorityLevel.COMMUNE,
                parent=self.authority,
                code="UBND",
            )
            self.bodies.append(body)
            moved = [pk for pk, authority in self.owners.items() if authority == owner]
            Mou.objects.filter(pk__in=moved).update(authority=body)
        self.user = get_user_model().objects.create_user(username="bench_export", password=None)
        self.user.groups.add(Group.objects.get(name=Role.AUTHORITY_STAFF))
        UserProfile.objects.create(user=self.user, authority=self.authority)
        _analyse()
        return self.user

    def __exit__(self, *exc_info):
        by_owner: dict[int, list[int]] = {}
        for mou_id, owner in self.owners.items():
            by_owner.setdefault(owner, []).append(mou_id)
        for owner, mou_ids in by_owner.items():
            Mou.objects.filter(pk__in=mou_ids).update(authority_id=owner)
        UserProfile.objects.filter(user=self.user).delete()
        self.user.delete()
        for body in self.bodies:
            body.delete()
        self.authority.delete()
        return False


def _exactly(lines: dict[int, int], rows: int) -> list[int]:
    """MoU ids whose line counts add up to exactly `rows` (or all of them when they hold
    fewer): MoUs in order until one more would pass `rows`, then the MoUs that fill the gap."""
    chosen, total, rest = [], 0, []
    for mou_id, count in lines.items():
        if total + count <= rows:
            chosen.append(mou_id)
            total += count
        else:
            rest.append(mou_id)
        if total == rows:
            return chosen
    for mou_id in rest:  # small MoUs to close the gap
        if total + lines[mou_id] <= rows:
            chosen.append(mou_id)
            total += lines[mou_id]
        if total == rows:
            break
    return chosen


def _analyse() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Mou._meta.db_table}")


def _export_figures(name: str, probe: PageProbe, url: str, *, runs: int) -> Iterator[Figure]:
    """Every pledge line the export user sees (exactly EXPORT_ROWS at full size), in one
    file, timed as whole requests; the rows counted in the file itself."""
    timings = time_runs(lambda: probe.get(url), runs=runs, warm_up=1)
    seconds = median(timings.wall) / 1000
    rows = _rows(probe.get(url).content, name) - 2  # the header and the totals
    yield Figure.equal_to(
        f"reports.{name}.rows", rows, "lines", EXPORT_ROWS, "the target's size, not scaled"
    )
    yield Figure.under(
        f"reports.{name}.median",
        round(seconds, 3),
        "s",
        EXPORT_TARGET_S,
        how=REQUEST,
        runs=len(timings.wall),
    )
    yield Figure(
        f"reports.{name}.max",
        round(max(timings.wall) / 1000, 3),
        "s",
        how=REQUEST,
        runs=len(timings.wall),
    )


def _rows(content: bytes, name: str) -> int:
    if name == "export_csv":
        return content.decode("utf-8-sig").count("\n")
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return sum(1 for _row in sheet.iter_rows(values_only=True))
