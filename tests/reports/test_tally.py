"""The delivery tallies the reports read: any write to placements marks the lines concerned
outdated (database triggers), the worker recounts them in place, and readers count an
outdated line from its placements, so a report is never behind a placement confirmed,
ended or removed, whichever way it was written, and a report page never writes."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerships.models import (
    TALLY_COUNTS,
    DeliveryTally,
    Placement,
    PlacementStatus,
)
from partnerships.placements import services as placements
from partnerships.placements.delivery import delivery_annotations, latest_start_for
from partnerships.reports import queries
from partnerships.reports import tallies as tally
from tests.factories.reports import place
from tests.reports.test_queries import PAGES


def tally_of(line) -> DeliveryTally:
    return DeliveryTally.objects.get(pledge=line)


def test_tallies_count_what_the_delivery_rule_counts(report_world):
    today = timezone.localdate()
    assert tally.refresh(as_of=today) == DeliveryTally.objects.count()
    for line in (report_world.line1, report_world.line2, report_world.district_line):
        live = (
            type(line)
            .objects.filter(pk=line.pk)
            .annotate(**delivery_annotations(prefix="placements__", as_of=today))
            .values(*TALLY_COUNTS)
            .get()
        )
        stored = DeliveryTally.objects.filter(pledge=line).values(*TALLY_COUNTS).get()
        assert stored == live


def test_a_new_placement_outdates_its_line_only(report_world):
    w = report_world
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    place(w.line1, started_days_ago=5)
    assert tally_of(w.line1).as_of != today
    assert tally_of(w.line2).as_of == today
    assert not tally.is_fresh(as_of=today)
    assert tally.ensure_fresh(as_of=today) == 1
    assert tally_of(w.line1).delivered == 4


def test_bulk_updates_and_deletes_outdate_lines_too(report_world):
    w = report_world
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    Placement.objects.filter(pk=w.p1.pk).update(
        status=PlacementStatus.LEFT, end_date=w.p1.start_date + timedelta(days=10)
    )
    Placement.objects.filter(pk=w.p6.pk).delete()
    assert tally.ensure_fresh(as_of=today) == 2
    assert (tally_of(w.line1).retained_6, tally_of(w.line2).delivered) == (0, 0)


def test_services_keep_reports_current(report_world, client_as):
    w = report_world
    client = client_as(w.admin)
    before = client.get("/reports/mous/?q=20/BGN&_export=csv").content.decode("utf-8-sig")
    assert before.splitlines()[1].split(",")[11] == "1"
    placement = placements.report_placement(
        actor=w.staff,
        person=placements.PersonDetails(
            national_id="079203009999",
            full_name="Lê Văn Tư",
            gender="male",
            birth_year=1988,
            target_group=w.completed_prison,
            consent_given_on=w.term_start,
        ),
        placement=placements.PlacementDetails(
            pledge=w.district_line,
            start_date=timezone.localdate() - timedelta(days=3),
            contract_type="labour_12m_plus",
            occupation="Công nhân may",
        ),
    )
    assert placement.confirmation == "confirmed"
    after = client.get("/reports/mous/?q=20/BGN&_export=csv").content.decode("utf-8-sig")
    assert after.splitlines()[1].split(",")[11] == "2"


def test_a_new_day_recounts_every_line(report_world):
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    tomorrow = today + timedelta(days=1)
    assert tally.ensure_fresh(as_of=tomorrow) == DeliveryTally.objects.count()
    assert set(DeliveryTally.objects.values_list("as_of", flat=True)) == {tomorrow}


def test_the_triggers_are_in_place(db):
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'partnerships_tally_%%'"
    else:
        sql = (
            "SELECT name FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE 'partnerships_tally_%'"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "partnerships_tally_after_insert",
        "partnerships_tally_after_update",
        "partnerships_tally_after_delete",
        "partnerships_tally_after_person_update",
        # Migration 0023: referrals outdate their line's tally too.
        "partnerships_tally_after_referral_insert",
        "partnerships_tally_after_referral_update",
        "partnerships_tally_after_referral_delete",
        "partnerships_tally_after_person_referrals",
    }


def test_the_daily_command_recounts_once(report_world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_delivery_tallies", stdout=out)
    assert out.getvalue() == f"Pledge lines recounted: {DeliveryTally.objects.count()}\n"
    call_command("refresh_delivery_tallies", stdout=out)
    assert out.getvalue().endswith("Pledge lines recounted: 0\n")


# A SELECT, or one read through a server-side cursor (PostgreSQL, for the exports).
# A read: a SELECT, through a cursor or not; "(SELECT … UNION ALL …)" is one too (PostgreSQL
# wraps each part of a union in parentheses).
READ = re.compile(r"\s*(DECLARE \S+ NO SCROLL CURSOR (WITH(OUT)? HOLD )?FOR )?\(?SELECT\b", re.I)
EXPORTS = [
    "/reports/mous/?_export=csv",
    "/reports/partners/?_export=csv",
    "/reports/authorities/?_export=csv",
    "/reports/groups/?_export=csv",
    "/reports/periods/?_export=csv",
]


def test_reports_count_outdated_and_missing_tallies_from_the_placements(report_world, client_as):
    w = report_world
    client = client_as(w.admin)
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    fresh = {url: client.get(url).content for url in EXPORTS}
    # Yesterday's tallies (the daily recount has not run yet), holding counts nobody may
    # see today, and a line without any tally (added after the last recount).
    DeliveryTally.objects.update(
        as_of=today - timedelta(days=1), delivered=99, eligible_6=99, retained_6=99
    )
    DeliveryTally.objects.filter(pledge=w.line2).delete()
    assert {url: client.get(url).content for url in EXPORTS} == fresh


def test_retention_is_of_the_day_read_even_before_the_daily_recount(report_world):
    w = report_world
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    pledges = queries.report_pledges(user=w.admin)
    before = queries.totals(pledges, as_of=today)
    # Six whole months old today, not yesterday: eligible (and retained) from today on.
    started = latest_start_for(6, today)
    assert started > latest_start_for(6, yesterday)
    place(w.line1, started_days_ago=(today - started).days)
    tally.refresh(as_of=yesterday)
    after = queries.totals(pledges, as_of=today)
    assert (after.eligible_6, after.retained_6) == (before.eligible_6 + 1, before.retained_6 + 1)
    assert queries.totals(pledges, as_of=yesterday).eligible_6 == before.eligible_6


def test_the_recount_updates_rows_in_place(report_world):
    w = report_world
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    place(w.line1, started_days_ago=5)
    with CaptureQueriesContext(connection) as captured:
        assert tally.ensure_fresh(as_of=today) == 1
    statements = [query["sql"].split()[0].upper() for query in captured.captured_queries]
    assert "DELETE" not in statements
    assert tally_of(w.line1).delivered == 4


@pytest.mark.parametrize("user", ["admin", "official", "business"])
def test_report_pages_only_read(report_world, client_as, user):
    w = report_world
    # Lines outdated (a placement just added) and missing (a tally gone): what a report
    # page used to recount before reading.
    place(w.line1, started_days_ago=5)
    DeliveryTally.objects.filter(pledge=w.line2).delete()
    client = client_as(getattr(w, user))
    pages = [url for url in PAGES if not (user == "business" and "province" in url)]
    pages += [f"/partners/{w.garment.pk}/"]
    for url in pages:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        writes = [
            query["sql"] for query in captured.captured_queries if not READ.match(query["sql"])
        ]
        assert writes == [], url
    assert not tally.is_fresh(as_of=timezone.localdate())
