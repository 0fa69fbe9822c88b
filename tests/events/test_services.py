"""Recording events: what is saved, what is refused (and then nothing is saved), and the
audit trail of each create and edit."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from partnerships.events import services
from partnerships.models import AuditEvent, Event, EventAttendance, MouState
from partnerships.mous import lifecycle


@pytest.fixture(autouse=True)
def english():
    """Messages are read in English here; the Vietnamese ones are checked by the pages."""
    with translation.override("en"):
        yield


def problem_fields(error) -> set[str]:
    return {problem.field for problem in error.value.problems}


def test_it_records_the_event_its_counts_and_links(events_world, event):
    w = events_world
    assert event.authority == w.ben_luc
    assert event.created_by == w.staff
    counts = set(event.attendance.values_list("target_group__code", "gender", "count"))
    assert counts == {("completed_prison", "male", 10), ("completed_prison", "female", 2)}
    assert list(event.mous.all()) == [w.active_mou]
    # The business that signed there was present, though nobody ticked it.
    assert list(event.partners.all()) == [w.garment]


def test_creating_is_audited_with_ids_and_counts_only(events_world, event):
    audit = AuditEvent.objects.get(action="event.created")
    assert audit.actor == events_world.staff
    assert audit.details == {
        "event": event.pk,
        "authority": events_world.ben_luc.pk,
        "attendance_total": 12,
        "partners": [events_world.garment.pk],
        "mous": [events_world.active_mou.pk],
    }


def test_editing_replaces_counts_and_links_and_audits_what_changed(events_world, event, details):
    w = events_world
    services.update_event(
        actor=w.staff,
        event=event,
        details=details(
            attendance={(w.groups["post_rehab"].pk, "female"): 4},
            mous=[],
            partners=[w.quarry],
        ),
    )
    counts = set(event.attendance.values_list("target_group__code", "gender", "count"))
    assert counts == {("post_rehab", "female", 4)}
    assert list(event.mous.all()) == []
    assert list(event.partners.all()) == [w.quarry]
    audit = AuditEvent.objects.get(action="event.edited")
    assert audit.actor == w.staff
    assert audit.details["changed"] == ["attendance", "mous", "partners"]
    assert audit.details["attendance_total"] == 4


@pytest.mark.parametrize(
    ("count", "expected"),
    [(-1, "cannot be negative"), (10_001, "At most 10,000 people")],
)
def test_a_count_out_of_range_is_refused_and_nothing_saved(events_world, details, count, expected):
    w = events_world
    group = w.groups["amnesty"]
    with pytest.raises(services.EventError) as error:
        services.create_event(
            actor=w.staff, details=details(attendance={(group.pk, "male"): count})
        )
    assert problem_fields(error) == {f"attendance_{group.pk}_male"}
    assert expected in error.value.message
    assert not Event.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="event.").exists()


def test_the_largest_sane_count_is_accepted(events_world, details):
    w = events_world
    group = w.groups["amnesty"]
    event = services.create_event(
        actor=w.staff, details=details(attendance={(group.pk, "male"): 10_000})
    )
    assert event.attendance.get().count == 10_000


def test_the_database_refuses_an_absurd_count_written_around_the_service(event):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EventAttendance.objects.filter(event=event).update(count=10_001)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, "in the future"), (400, "in the future")],
)
def test_an_event_in_the_future_is_refused(events_world, details, days, expected):
    w = events_world
    with pytest.raises(services.EventError) as error:
        services.create_event(
            actor=w.staff, details=details(held_on=w.today + timedelta(days=days))
        )
    assert problem_fields(error) == {"held_on"}
    assert expected in error.value.message
    assert not Event.objects.exists()


def test_a_date_before_2000_is_refused_as_a_typing_mistake(events_world, details):
    with pytest.raises(services.EventError) as error:
        services.create_event(actor=events_world.staff, details=details(held_on=date(1925, 5, 1)))
    assert problem_fields(error) == {"held_on"}


def test_blank_title_and_place_are_refused(events_world, details):
    with pytest.raises(services.EventError) as error:
        services.create_event(actor=events_world.staff, details=details(title="  ", place=""))
    assert problem_fields(error) == {"title", "place"}


def test_an_mou_of_another_authority_is_refused_and_nothing_saved(events_world, details):
    w = events_world
    with pytest.raises(services.EventError) as error:
        services.create_event(actor=w.staff, details=details(mous=[w.active_mou, w.quarry_mou]))
    assert problem_fields(error) == {"mous"}
    assert not Event.objects.exists()


def test_an_mou_the_holder_may_not_list_is_refused_even_to_an_administrator(events_world, details):
    """The province may see both, but Kim Bảng's MoU was not signed at Bến Lức's event."""
    w = events_world
    with pytest.raises(services.EventError):
        services.create_event(actor=w.admin, details=details(mous=[w.quarry_mou]))


def test_a_draft_mou_was_not_signed_there(events_world, details):
    w = events_world
    with pytest.raises(services.EventError) as error:
        services.create_event(actor=w.staff, details=details(mous=[w.mou]))
    assert problem_fields(error) == {"mous"}


def test_an_mou_of_the_dissolved_district_counts_under_its_successor(events_world, details):
    w = events_world
    event = services.create_event(actor=w.staff, details=details(mous=[w.district_mou]))
    assert list(event.mous.all()) == [w.district_mou]


def test_staff_record_events_only_for_their_own_authorities(events_world, details):
    w = events_world
    with pytest.raises(services.EventError) as error:
        services.create_event(actor=w.other_staff, details=details(mous=[]))
    assert problem_fields(error) == {"authority"}
    # Nor for the dissolved district, whose successor holds events now.
    with pytest.raises(services.EventError):
        services.create_event(actor=w.staff, details=details(authority=w.ben_luc_district, mous=[]))
    assert not Event.objects.exists()


@pytest.mark.parametrize("who", ["official", "business", "no_role"])
def test_officials_businesses_and_others_record_no_events(events_world, details, who):
    with pytest.raises(PermissionDenied):
        services.create_event(actor=getattr(events_world, who), details=details(mous=[]))


@pytest.mark.parametrize("who", ["other_staff", "official", "business", "other_business"])
def test_only_staff_managing_the_holder_edit_an_event(events_world, event, details, who):
    with pytest.raises(PermissionDenied):
        services.update_event(
            actor=getattr(events_world, who), event=event, details=details(title="Khác")
        )
    event.refresh_from_db()
    assert event.title != "Khác"
    assert not AuditEvent.objects.filter(action="event.edited").exists()


def test_staff_of_the_province_edit_an_event_of_a_commune_under_it(events_world, event, details):
    from tests.factories.world import make_user

    w = events_world
    province_staff = make_user("province_staff", "authority_staff", authority=w.long_an)
    services.update_event(actor=province_staff, event=event, details=details(title="Đã sửa"))
    event.refresh_from_db()
    assert event.title == "Đã sửa"


def test_an_mou_signed_there_and_cancelled_since_does_not_block_an_edit(events_world, details):
    from tests.factories.world import bring_to, make_mou

    w = events_world
    sent = bring_to(make_mou(w.ben_luc, w.garment, number=12), MouState.SENT)
    event = services.create_event(actor=w.staff, details=details(mous=[sent]))
    lifecycle.perform(sent, "recall", actor=w.staff)
    lifecycle.perform(sent, "cancel", actor=w.staff, note="Đối tác chưa sẵn sàng.")
    services.update_event(actor=w.staff, event=event, details=details(mous=[sent], title="Mới"))
    assert list(event.mous.all()) == [sent]
    # But it cannot be listed on another event now.
    with pytest.raises(services.EventError):
        services.create_event(actor=w.staff, details=details(mous=[sent]))
