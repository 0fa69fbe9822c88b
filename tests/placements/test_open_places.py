"""Open places: each in-force pledge line with places left (referrals in progress hold
theirs), counted by hand, seen only by those who may see its MoU, filterable and
exportable."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from partnerships.models import Confirmation, NotHiredReason, Pledge, PledgeKind
from partnerships.placements.open_places import open_lines
from partnerships.referrals import services as referrals
from tests.factories.referrals import refer
from tests.factories.reports import place

pytestmark = pytest.mark.django_db

OPEN = reverse("open_places")


@pytest.fixture
def lines(placements_world):
    """The garment MoU's job line: 5 places, 2 confirmed, 1 awaiting, 1 rejected (3 taken,
    2 open); its training line: 3 places, all confirmed (full); the quarry's line: open."""
    w = placements_world
    Pledge.objects.filter(pk=w.job_pledge.pk).update(quantity=5, occupation="Công nhân may")
    w.quarry_mou.pledges.update(occupation="Thợ khai thác đá")
    for confirmation in [Confirmation.CONFIRMED] * 2 + [
        Confirmation.REPORTED,
        Confirmation.REJECTED,
    ]:
        place(w.job_pledge, started_days_ago=30, confirmation=confirmation)
    for _ in range(3):
        place(w.training_pledge, started_days_ago=30)
    return w


def rows(response) -> list[dict]:
    table = response.context["table"]
    return [
        {"mou": row.record.mou_id, "line": row.record.line, "open": row.record.open_places}
        for row in table.paginated_rows
    ]


def test_open_places_are_pledged_less_confirmed_and_awaiting(lines, client_as):
    w = lines
    response = client_as(w.staff).get(OPEN)

    assert response.status_code == 200
    listed = rows(response)
    assert {"mou": w.active_mou.pk, "line": 1, "open": 2} in listed
    # The full training line, and the lines of a sent MoU, are not offered.
    assert not [row for row in listed if row["mou"] == w.active_mou.pk and row["line"] == 2]
    assert not [row for row in listed if row["mou"] == w.sent_mou.pk]
    page = response.content.decode()
    assert "Công nhân may" in page


@pytest.mark.parametrize(
    ("who", "sees_garment", "sees_quarry"),
    [
        ("staff", True, False),
        ("official", True, False),
        ("business", True, False),
        ("other_business", False, True),
        ("other_staff", False, False),
        ("other_province_official", False, True),
        ("admin", True, True),
    ],
)
def test_each_user_sees_only_the_lines_of_mous_they_may_see(
    lines, client_as, who, sees_garment, sees_quarry
):
    w = lines
    listed = {row["mou"] for row in rows(client_as(getattr(w, who)).get(OPEN))}
    assert (w.active_mou.pk in listed) is sees_garment
    assert (w.quarry_mou.pk in listed) is sees_quarry


def test_people_without_a_role_or_a_login_are_kept_out(lines, client_as):
    assert client_as(lines.no_role).get(OPEN).status_code == 403
    assert client_as(None).get(OPEN).status_code == 302


def test_the_filters_narrow_the_lines(lines, client_as):
    w = lines
    Pledge.objects.filter(pk=w.job_pledge.pk).update(due_date=w.today + timedelta(days=10))
    Pledge.objects.filter(pk=w.training_pledge.pk).update(quantity=9)
    browser = client_as(w.admin)

    def listed(**query):
        return {(row["mou"], row["line"]) for row in rows(browser.get(OPEN, query))}

    garment_jobs, garment_training = (w.active_mou.pk, 1), (w.active_mou.pk, 2)
    assert {garment_jobs, garment_training} <= listed()
    assert garment_training not in listed(kind=PledgeKind.JOB)
    assert listed(kind=PledgeKind.VOCATIONAL_TRAINING) == {garment_training}
    assert listed(q="công nhân") == {garment_jobs}
    assert listed(partner=w.quarry.pk) == {(w.quarry_mou.pk, 1)}
    due = (w.today + timedelta(days=20)).strftime("%d/%m/%Y")
    assert listed(due_before=due) == {garment_jobs}


def test_the_export_keeps_the_filter_and_says_what_is_open(lines, client_as):
    w = lines
    response = client_as(w.staff).get(OPEN, {"kind": PledgeKind.JOB, "_export": "csv"})

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    assert "Open places" in header
    assert len(body) == 1
    assert body[0][header.index("Open places")] == "2"
    assert body[0][header.index("Awaiting confirmation")] == "1"


def test_referrals_in_progress_hold_places_and_finished_ones_do_not(lines, client_as):
    """Open = pledged − confirmed − awaiting − referrals in progress (referred, interviewed)."""
    w = lines
    refer(w)
    interviewed = referrals.record_interview(
        referral=refer(w), actor=w.business, interviewed_on=w.today
    )
    # 5 pledged, 2 confirmed, 1 awaiting, 2 referred: full, so not offered.
    assert (w.active_mou.pk, 1) not in {
        (r["mou"], r["line"]) for r in rows(client_as(w.staff).get(OPEN))
    }

    referrals.record_not_hired(
        referral=interviewed, actor=w.business, reason=NotHiredReason.SKILLS, decided_on=w.today
    )

    response = client_as(w.staff).get(OPEN)
    assert {"mou": w.active_mou.pk, "line": 1, "open": 1} in rows(response)
    line = next(
        row.record
        for row in response.context["table"].paginated_rows
        if row.record.pk == w.job_pledge.pk
    )
    assert (line.filled, line.awaiting, line.referred) == (2, 1, 1)


def test_the_open_lines_are_counted_in_one_query_however_many_referrals(
    lines, django_assert_num_queries
):
    w = lines
    for _ in range(2):
        refer(w)

    list(open_lines(user=w.admin))  # the user's roles, read once per request
    # One query for the lines with their counts, one for their target groups.
    with django_assert_num_queries(2):
        counted = {line.pk: line.open_places for line in open_lines(user=w.admin)}
    assert w.job_pledge.pk not in counted  # 5 − 2 − 1 − 2 = 0
    assert counted[w.quarry_mou.pledges.get().pk] == 5
