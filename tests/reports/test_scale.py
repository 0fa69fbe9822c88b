"""The large data set: `generate_scale_data` into the configured database, and the
`reports` area of `manage.py benchmark` in a throw-away one, both on a tiny size."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from partnerships.models import (
    Confirmation,
    DeliveryTally,
    Mou,
    MouState,
    Person,
    Placement,
    Pledge,
)
from partnerships.reports import queries
from partnerships.reports import tallies as tally


@pytest.mark.django_db
def test_it_generates_the_asked_sizes_into_the_configured_database():
    out = StringIO()
    call_command(
        "generate_scale_data", mous=40, pledges=100, placements=500, partners=10, stdout=out
    )
    assert (Mou.objects.count(), Pledge.objects.count()) == (40, 100)
    assert Placement.objects.count() == 500 and Person.objects.count() == 500
    today = timezone.localdate()
    # Placements only on signed MoUs, within the term and never after today.
    placed = Placement.objects.select_related("pledge__mou")
    for placement in placed:
        mou = placement.pledge.mou
        assert mou.state not in (MouState.DRAFT, MouState.SENT, MouState.DECLINED)
        assert mou.term_start <= placement.start_date <= min(today, mou.term_end)
        assert placement.end_date is None or placement.end_date <= today
    # People look real to the code that reads them: hashed IDs, encrypted names.
    person = Person.objects.exclude(id_hash=None).first()
    assert len(person.id_hash) == 64 and person.full_name_encrypted.startswith("gAAAA")
    # The reports count them.
    tally.ensure_fresh(as_of=today)
    assert DeliveryTally.objects.count() == 100
    totals = queries.totals(
        queries.report_pledges(user=User.objects.get(username="bench_admin")), as_of=today
    )
    assert totals.delivered == Placement.objects.filter(confirmation=Confirmation.CONFIRMED).count()
    with pytest.raises(CommandError, match="already holds 40 MoU"):
        call_command("generate_scale_data", mous=5, placements=5, stdout=StringIO())
    assert Mou.objects.count() == 40


def test_it_refuses_a_database_that_holds_mous_and_adds_nothing(world):
    before = (Mou.objects.count(), Pledge.objects.count(), Placement.objects.count())

    with pytest.raises(CommandError, match="already holds 1 MoU") as refused:
        call_command("generate_scale_data", mous=5, placements=5, stdout=StringIO())

    assert "empty, migrated database" in str(refused.value)
    assert (Mou.objects.count(), Pledge.objects.count(), Placement.objects.count()) == before
    assert not User.objects.filter(username__startswith="bench_").exists()


@pytest.mark.django_db
def test_it_refuses_fewer_lines_than_mous():
    with pytest.raises(CommandError, match="at least one pledge line"):
        call_command("generate_scale_data", mous=10, pledges=5, stdout=StringIO())


@pytest.mark.slow  # the benchmark
def test_the_benchmark_reports_the_report_figures(world):
    out = StringIO()
    call_command(
        "benchmark",
        "--only",
        "reports",
        "--mous",
        "40",
        "--pledges",
        "100",
        "--placements",
        "400",
        "--runs",
        "2",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    report = json.loads(out.getvalue())
    figures = {figure["name"]: figure for figure in report["figures"]}
    assert figures["reports.placements"]["value"] == 400
    assert figures["reports.pledge_lines"]["value"] == 100
    for page in ("mous.admin", "partners.admin", "mous.staff", "partners.staff"):
        assert figures[f"reports.{page}.queries"]["value"] <= 8
        assert figures[f"reports.{page}.queries_unchanged"]["met"] is True
    for page in ("authorities.admin", "groups.admin", "periods.admin", "province.official"):
        assert figures[f"reports.{page}.queries"]["met"] is True, page
    pages = ("mous.admin", "groups.admin", "periods.admin", "province.official")
    for page in pages:
        median = figures[f"reports.{page}.median"]
        assert median["target"] == "< 300 ms"
        # A full request through the test client, from as many runs as asked.
        assert (median["kind"], median["n"]) == ("request", 2)
        assert figures[f"reports.{page}.p95"]["value"] >= median["value"]
    after = figures["reports.after_changes.groups.admin.median"]
    assert after["target"] == "< 1000 ms" and after["kind"] == "request"
    # The smallest batch: a registry this small may run out of placements to change.
    assert figures["reports.after_changes.placements_changed"]["unit"] == "placements"
    # The export is timed at the size of its target, not scaled: a registry this small
    # has fewer lines than that, and the figure says so.
    rows = figures["reports.export_csv.rows"]
    assert rows["target"].startswith("= 10000") and rows["met"] is (rows["value"] == 10_000)
    assert 0 < rows["value"] == figures["reports.export_xlsx.rows"]["value"]
    assert figures["reports.export_csv.median"]["target"] == "< 5 s"
    assert figures["reports.export_csv.queries"]["met"] is True
    assert report["machine"]["runs"] == 2
    # The real database is as it was.
    assert Mou.objects.get() == world.mou
    # Every page has its first-read-after-changes figure; the recounts are direct calls;
    # every timing in the area says what it timed ("kind": "request" or "function").
    for page in pages:
        after = figures[f"reports.after_changes.{page}.median"]
        assert after["target"] == "< 1000 ms" and timing_kind(after) == "request"
    for name in ("reports.tally_recount", "reports.tally_recount_daily"):
        assert (timing_kind(figures[name]), figures[name]["unit"]) == ("function", "s")
    timed = [figure for figure in figures.values() if figure["unit"] in ("ms", "s")]
    assert timed and all(timing_kind(figure) in ("request", "function") for figure in timed)


def timing_kind(figure: dict) -> str | None:
    # `kind` in the --json format that names every field for the README's table, `how`
    # before it.
    return figure.get("kind", figure.get("how"))
