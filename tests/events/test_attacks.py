"""Attacks on the event pages: formulas in what staff typed reaching a spreadsheet, counts
posted for groups the form does not hold, another authority's staff posting to an event,
and MoU ids of another authority slipped into the form."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from partnerships.models import AuditEvent, Event, EventAttendance, TargetGroup
from tests.events.test_pages import form_data

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_typed_as_title_or_place_reaches_the_export_as_text(
    events_world, details, client_as, formula
):
    from partnerships.events import services

    w = events_world
    services.create_event(actor=w.staff, details=details(title=formula, place=formula))
    client = client_as(w.staff)

    text = client.get(reverse("event_list"), {"_export": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + formula in cells
    assert formula not in cells

    xlsx = client.get(reverse("event_list"), {"_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [v for row in sheet.iter_rows(min_row=2, values_only=True) for v in row]
    assert "'" + formula in values and formula not in values


def test_counts_for_groups_outside_the_form_are_ignored(events_world, client_as):
    """A count for a retired group, an unknown group id or a third gender is not in the
    form, so it is not saved (the grid holds the active groups only)."""
    w = events_world
    retired = TargetGroup.objects.create(
        code="retired_x", name_vi="Cũ", name_en="Retired", is_active=False
    )
    data = form_data(
        w,
        **{
            f"attendance_{retired.pk}_male": "50",
            "attendance_999999_male": "40",
            f"attendance_{w.groups['completed_prison'].pk}_other": "30",
        },
    )

    response = client_as(w.staff).submit(reverse("event_create"), data)

    assert response.status_code == 302
    event = Event.objects.get()
    assert sorted(event.attendance.values_list("count", flat=True)) == [3, 7]
    assert not EventAttendance.objects.filter(target_group=retired).exists()


def test_staff_of_another_authority_cannot_post_an_edit(events_world, event, client_as):
    w = events_world
    before = AuditEvent.objects.count()

    response = client_as(w.other_staff).post_by_hand(
        reverse("event_edit", args=[event.pk]), form_data(w, title="Hijacked")
    )

    assert response.status_code == 404
    event.refresh_from_db()
    assert event.title != "Hijacked"
    assert AuditEvent.objects.count() == before


def test_the_quarrys_mou_id_slipped_into_the_form_links_nothing(events_world, event, client_as):
    w = events_world
    response = client_as(w.staff).submit(
        reverse("event_edit", args=[event.pk]),
        form_data(w, mous=[w.active_mou.pk, w.quarry_mou.pk]),
    )

    assert response.status_code == 200
    assert "mous" in response.context["form"].errors
    assert list(event.mous.all()) == [w.active_mou]
