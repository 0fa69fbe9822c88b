"""The delivery funnel's pages: server time and SQL queries of the funnel (per partner,
line, authority, target group and gender), retention by cohort, and the province summary
with its yearly figures, over many placements and about twice as many referrals.

Target, on 1,000,000 placements and 2,000,000 referrals in PostgreSQL: each page under
300 ms (full requests, tallies current), as many queries as on a small registry:

    python manage.py benchmark --only funnel --mous 10000 --pledges 50000 \\
        --placements 1000000 --referrals-per-placement 2

Run after the reports area (in one session), it reuses the registry already grown; the
query counts of the small registry are then those at full size, and say so.
"""

import time
from collections.abc import Iterator

from django.utils import timezone

from partnerships.devtools.base import REQUEST, Benchmark, Figure, Session, timing_figures
from partnerships.devtools.dataset import session_dataset
from partnerships.devtools.web import PageProbe
from partnerships.models import Placement, Referral, Role
from partnerships.reports import tallies as tally

PAGE_TARGET_MS = 300
SMALL_MOUS = 100
SMALL_PLACEMENTS = 1_000
PAGES = {
    "funnel.partners.admin": (Role.ADMINISTRATOR, "/reports/funnel/"),
    "funnel.partners.official": (Role.OFFICIAL, "/reports/funnel/"),
    "funnel.lines.admin": (Role.ADMINISTRATOR, "/reports/funnel/?by=lines"),
    "funnel.lines.staff": (Role.AUTHORITY_STAFF, "/reports/funnel/?by=lines"),
    "funnel.authorities.admin": (Role.ADMINISTRATOR, "/reports/funnel/?by=authorities"),
    "funnel.groups.admin": (Role.ADMINISTRATOR, "/reports/funnel/?by=groups"),
    "funnel.business": (Role.BUSINESS_REPRESENTATIVE, "/reports/funnel/"),
    "cohorts.admin": (Role.ADMINISTRATOR, "/reports/cohorts/"),
    "province.official": (Role.OFFICIAL, "/reports/province/"),
}


class FunnelBenchmark(Benchmark):
    name = "funnel"
    help = "the delivery funnel, retention by cohort and the province's yearly figures"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--referrals-per-placement",
            type=float,
            default=2.0,
            help="Referrals generated per placement, on average (default 2: the target's "
            "2,000,000 referrals for 1,000,000 placements).",
        )

    def run(self, session: Session) -> Iterator[Figure]:
        dataset = session_dataset(session)
        per_placement = session.options["referrals_per_placement"]
        total_mous, total_placements = session.options["mous"], session.options["placements"]
        session.log("Generating a small registry with referrals to count queries…")
        small = dataset.placement_count <= SMALL_PLACEMENTS
        dataset.grow_mous(max(dataset.mou_count, min(SMALL_MOUS, total_mous // 2)))
        dataset.grow_placements(
            max(dataset.placement_count, min(SMALL_PLACEMENTS, total_placements // 10))
        )
        dataset.grow_referrals(per_placement=per_placement)
        tally.ensure_fresh(as_of=timezone.localdate())
        probes = {role: PageProbe(dataset.user(role), runs=session.runs) for role in Role}
        baseline = {name: probes[role].query_count(url) for name, (role, url) in PAGES.items()}

        session.log(f"Growing to {total_placements} placements and their referrals…")
        started = time.perf_counter()
        dataset.grow_mous(total_mous)
        dataset.grow_placements(total_placements)
        dataset.grow_referrals(per_placement=per_placement)
        session.notes["generate_referrals_seconds"] = round(time.perf_counter() - started, 2)
        yield Figure("funnel.placements", Placement.objects.count(), "placements")
        yield Figure("funnel.referrals", Referral.objects.count(), "referrals")

        session.log("Recounting the tallies with their referral counts…")
        started = time.perf_counter()
        tally.refresh(as_of=timezone.localdate())
        yield Figure("funnel.tally_recount", round(time.perf_counter() - started, 2), "s")

        why = "as on the small registry" if small else "as before the growth (already full)"
        for name, (role, url) in PAGES.items():
            session.log(f"Timing {name}…")
            yield from timing_figures(
                f"funnel.{name}", probes[role].timings(url), how=REQUEST, limit_ms=PAGE_TARGET_MS
            )
            yield Figure.equal_to(
                f"funnel.{name}.queries",
                probes[role].query_count(url),
                "queries",
                baseline[name],
                why,
            )
