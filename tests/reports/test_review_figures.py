"""A review keeps the pledge and delivery figures of the moment it was recorded; what
happens to placements afterwards changes the live reports, never the review."""

from datetime import timedelta

from django.utils import timezone

from partnerships.models import (
    Assessment,
    Placement,
    PlacementStatus,
    ReviewKind,
)
from partnerships.mous import reviews as reviewing
from tests.factories.reports import place


def record(w, kind=ReviewKind.MID_TERM):
    return reviewing.record_review(
        mou=w.active_mou,
        actor=w.official,
        kind=kind,
        reviewed_on=timezone.localdate(),
        assessment=Assessment.PARTLY_MET,
        notes="Đạt một phần",
        recommendation="Tăng cường giới thiệu ứng viên",
    )


def test_the_review_keeps_each_lines_figures_and_the_totals(report_world):
    review = record(report_world)
    figures = review.figures
    assert figures["as_of"] == timezone.localdate().isoformat()
    line1, line2 = figures["lines"]
    assert (line1["line"], line1["pledged"], line1["delivered"]) == (1, 5, 3)
    assert (line1["reported"], line1["rejected"]) == (1, 1)
    assert (line1["eligible_6"], line1["retained_6"]) == (2, 1)
    assert (line2["line"], line2["kind"], line2["pledged"], line2["delivered"]) == (
        2,
        "training",
        3,
        1,
    )
    assert figures["totals"]["pledged"] == 8 and figures["totals"]["delivered"] == 4
    assert 0.6 < figures["term_elapsed"] < 0.7


def test_the_figures_never_change_afterwards(report_world, client_as):
    w = report_world
    review = record(w)
    kept = review.figures
    # Later: two more people placed, one person leaves, one report rejected away.
    place(w.line1, started_days_ago=2)
    place(w.line2, started_days_ago=1)
    Placement.objects.filter(pk=w.p1.pk).update(
        status=PlacementStatus.LEFT, end_date=w.p1.start_date + timedelta(days=20)
    )
    review.refresh_from_db()
    assert review.figures == kept
    assert review.figures["lines"][0]["delivered"] == 3
    # The MoU page shows the kept figures, the live report the new ones.
    page = client_as(w.official).get(f"/mous/{w.active_mou.pk}/").content.decode()
    kept_table = page.split('data-testid="review-figures"')[1].split("</details>")[0]
    assert "Figures when the review was recorded" in kept_table
    cells = kept_table.split("<tfoot>")[1]
    assert ">8<" in cells and ">4<" in cells and "50%" in cells
    live = client_as(w.official).get(f"/reports/mous/?q=10/BGN&authority={w.ben_luc.pk}")
    assert ">4<" in live.content.decode().split("<tbody")[1]  # line 1 now has 4


def test_a_final_review_keeps_its_figures_and_closes_the_mou(report_world):
    w = report_world
    review = record(w, ReviewKind.FINAL)
    w.active_mou.refresh_from_db()
    assert w.active_mou.state == "reviewed"
    assert review.figures["totals"]["delivered"] == 4
