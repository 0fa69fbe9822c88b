"""Event pages: who sees the list, the report and the form, with an outsider of each kind;
the form's messages for bad input; the export."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from partnerships.events import services
from partnerships.models import Event

SEES = ["staff", "official", "business", "admin"]
DOES_NOT_SEE = ["other_staff", "other_province_official", "other_business"]


def form_data(w, **overrides) -> dict:
    """What the event form posts: every attendance field (blank means none)."""
    data = {
        "authority": w.ben_luc.pk,
        "kind": "dialogue",
        "title": "Đối thoại tháng Mười",
        "held_on": w.held_on.strftime("%d/%m/%Y"),
        "place": "Nhà văn hóa xã Bến Lức",
        "organisers": "",
        "notes": "",
        f"attendance_{w.groups['completed_prison'].pk}_male": "7",
        f"attendance_{w.groups['post_rehab'].pk}_female": "3",
        "mous": [w.active_mou.pk],
    }
    return data | overrides


@pytest.mark.parametrize("who", SEES)
def test_the_holder_the_province_the_business_present_and_admins_see_the_event(
    events_world, event, client_as, who
):
    client = client_as(getattr(events_world, who))
    listed = client.get(reverse("event_list"))
    assert event.title in listed.content.decode()
    assert client.get(event.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_outsiders_neither_list_nor_open_the_event(events_world, event, client_as, who):
    client = client_as(getattr(events_world, who))
    assert event.title not in client.get(reverse("event_list")).content.decode()
    assert client.get(event.get_absolute_url()).status_code == 404
    assert client.get(reverse("event_edit", args=[event.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_and_roleless_users_refused(
    events_world, event, client_as
):
    for url in [reverse("event_list"), event.get_absolute_url(), reverse("event_create")]:
        response = client_as(None).get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert client_as(events_world.no_role).get(url).status_code == 403


@pytest.mark.parametrize("who", ["official", "business"])
def test_those_who_only_read_may_not_record_or_edit(events_world, event, client_as, who):
    client = client_as(getattr(events_world, who))
    assert client.get(reverse("event_create")).status_code == 403
    assert client.get(reverse("event_edit", args=[event.pk])).status_code == 403
    response = client.post_by_hand(reverse("event_create"), form_data(events_world))
    assert response.status_code == 403
    assert Event.objects.count() == 1


def test_staff_record_an_event_through_the_form(events_world, client_as):
    w = events_world
    response = client_as(w.staff).submit(reverse("event_create"), form_data(w))
    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == event.get_absolute_url()
    assert event.attendance.count() == 2
    assert list(event.mous.all()) == [w.active_mou]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-3", "A number of people cannot be negative."),
        ("10001", "At most 10,000 people of one group and gender: check the number."),
        ("mười", "Write a whole number of people."),
    ],
)
def test_a_bad_count_is_shown_beside_its_field_and_nothing_saved(
    events_world, client_as, value, message
):
    w = events_world
    field = f"attendance_{w.groups['amnesty'].pk}_female"
    response = client_as(w.staff).submit(reverse("event_create"), form_data(w, **{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert "Nothing has been saved yet." in response.content.decode()
    assert not Event.objects.exists()


def test_the_form_shows_the_totals_of_the_numbers_typed(events_world, client_as):
    w = events_world
    # A wrong date sends the form back with the numbers as typed.
    data = form_data(w, held_on="01/01/2999")
    response = client_as(w.staff).submit(reverse("event_create"), data)
    assert "Record an event once it has been held" in response.content.decode()
    assert response.context["form"].grid_totals() == {"by_gender": [3, 7], "all": 10}


def test_an_mou_of_another_authority_cannot_be_posted(events_world, client_as):
    w = events_world
    response = client_as(w.staff).submit(
        reverse("event_create"), form_data(w, mous=[w.quarry_mou.pk])
    )
    assert "mous" in response.context["form"].errors
    assert not Event.objects.exists()


def test_the_form_offers_only_mous_the_staff_may_link(events_world, client_as):
    w = events_world
    offered = set(
        client_as(w.staff)
        .get(reverse("event_create"))
        .context["form"]
        .fields["mous"]
        .queryset.values_list("pk", flat=True)
    )
    assert offered == {w.active_mou.pk, w.sent_mou.pk, w.district_mou.pk}


def test_staff_edit_their_event_and_the_form_starts_from_it(events_world, event, client_as):
    w = events_world
    client = client_as(w.staff)
    form = client.get(reverse("event_edit", args=[event.pk])).context["form"]
    assert form.grid_totals()["all"] == 12
    data = form_data(w, title="Đối thoại (đã sửa)")
    response = client.submit(reverse("event_edit", args=[event.pk]), data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Đối thoại (đã sửa)"


def test_the_business_sees_only_the_mous_it_may_see(events_world, details, client_as):
    """An event where both the garment factory and the quarry were present: the quarry's
    representative sees the event, not the garment factory's MoU signed there."""
    w = events_world
    event = services.create_event(actor=w.staff, details=details(partners=[w.quarry]))
    report = client_as(w.other_business).get(event.get_absolute_url()).context["report"]
    assert report.mous == []
    assert {partner.pk for partner in report.partners} == {w.garment.pk, w.quarry.pk}
    assert client_as(w.business).get(event.get_absolute_url()).context["report"].mous == [
        w.active_mou
    ]


def test_the_list_exports_what_it_shows(events_world, event, client_as):
    client = client_as(events_world.staff)
    csv = client.get(reverse("event_list"), {"_export": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert "Attended" in header and "Place" in header
    assert event.title in row and ",12," in row
    xlsx = client.get(reverse("event_list"), {"_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == event.title
    assert 12 in rows[1]


def test_the_list_filters_by_kind(events_world, event, client_as):
    response = client_as(events_world.staff).get(reverse("event_list"), {"kind": "job_fair"})
    assert event.title not in response.content.decode()
