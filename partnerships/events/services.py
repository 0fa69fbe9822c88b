"""Recording dialogue and job-fair events: create and edit, each checked and audited.

An event holds counts, never names: how many people of each target group and gender came.
The services check the actor's permission (PermissionDenied) and every rule of the values
(`EventError`, with a message per field the form shows beside it), save the event, its
attendance, the businesses present and the MoUs signed there in one transaction, and write
one audit event with ids and counts only.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import (
    authorities_holding_events,
    can_manage_event,
    can_record_events,
    event_authority_scope,
    visible_mous,
    visible_partners,
)
from partnerships.core.errors import RegistryError
from partnerships.models import (
    MAX_ATTENDANCE_COUNT,
    AuditEvent,
    Authority,
    Event,
    EventAttendance,
    EventKind,
    Gender,
    Mou,
    MouState,
    Partner,
    TargetGroup,
)

# An MoU "signed at the event" was at least sent for signing: a draft was not signed there,
# and a declined or cancelled one never was.
LINKABLE_MOU_STATES = (MouState.SENT, *MouState.SIGNED_ONCE)
# Events are recorded once held; this far back is older than any reintegration programme
# the registry follows, so an earlier date is a typing mistake.
EARLIEST_EVENT_DAY = date(2000, 1, 1)
TITLE_MAX_LENGTH = Event._meta.get_field("title").max_length
PLACE_MAX_LENGTH = Event._meta.get_field("place").max_length
ORGANISERS_MAX_LENGTH = Event._meta.get_field("organisers").max_length
NOTES_MAX_LENGTH = 5_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the values, and the form field it belongs to."""

    field: str
    message: str


class EventError(RegistryError):
    """An event that cannot be saved as given; says why, field by field."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(" ".join(str(problem.message) for problem in self.problems))

    @property
    def message(self) -> str:
        return " ".join(str(problem.message) for problem in self.problems)


@dataclass(frozen=True)
class EventDetails:
    """An event as staff give it. `attendance` maps (target group id, gender) to a count."""

    authority: Authority
    kind: str
    title: str
    held_on: date
    place: str
    organisers: str = ""
    notes: str = ""
    attendance: Mapping[tuple[int, str], int] = field(default_factory=dict)
    partners: Sequence[Partner] = ()
    mous: Sequence[Mou] = ()

    @property
    def attendance_total(self) -> int:
        return sum(self.attendance.values())


def detail_problems(details: EventDetails, *, today: date) -> list[Problem]:
    """The rules of the values themselves (the actor aside), for the form and the service."""
    problems = []
    if details.kind not in EventKind.values:
        problems.append(Problem("kind", _("Choose the kind of event from the list.")))
    for name, limit in (("title", TITLE_MAX_LENGTH), ("place", PLACE_MAX_LENGTH)):
        value = getattr(details, name).strip()
        if not value:
            problems.append(Problem(name, _("This cannot be left empty.")))
        elif len(value) > limit:
            problems.append(
                Problem(name, _("Write at most %(limit)d characters.") % {"limit": limit})
            )
    if len(details.organisers) > ORGANISERS_MAX_LENGTH:
        problems.append(
            Problem(
                "organisers",
                _("Write at most %(limit)d characters.") % {"limit": ORGANISERS_MAX_LENGTH},
            )
        )
    if len(details.notes) > NOTES_MAX_LENGTH:
        problems.append(
            Problem("notes", _("Write at most %(limit)d characters.") % {"limit": NOTES_MAX_LENGTH})
        )
    if details.held_on > today:
        problems.append(
            Problem(
                "held_on", _("Record an event once it has been held: the date is in the future.")
            )
        )
    elif details.held_on < EARLIEST_EVENT_DAY:
        problems.append(Problem("held_on", _("The date is too far in the past; check the year.")))
    problems += _attendance_problems(details.attendance)
    return problems


def too_many_people() -> str:
    return _("At most %(limit)s people of one group and gender: check the number.") % {
        "limit": f"{MAX_ATTENDANCE_COUNT:,}"
    }


def _attendance_problems(attendance: Mapping[tuple[int, str], int]) -> list[Problem]:
    problems = []
    groups = set(
        TargetGroup.objects.filter(
            pk__in={group_id for group_id, _gender in attendance}
        ).values_list("pk", flat=True)
    )
    for (group_id, gender), count in attendance.items():
        where = f"attendance_{group_id}_{gender}"
        if group_id not in groups or gender not in Gender.values:
            problems.append(
                Problem(
                    "attendance",
                    _("Attendance is counted by target group and gender from the lists only."),
                )
            )
        elif not isinstance(count, int) or count < 0:
            problems.append(Problem(where, _("A number of people cannot be negative.")))
        elif count > MAX_ATTENDANCE_COUNT:
            problems.append(Problem(where, too_many_people()))
    return problems


def _link_problems(actor, details: EventDetails, current: Event | None) -> list[Problem]:
    """MoUs and businesses the actor may name, and MoUs of the holding authority's area."""
    problems = []
    scope = event_authority_scope(actor, details.authority.pk)
    mou_ids = {mou.pk for mou in details.mous}
    state_allows = Q(state__in=LINKABLE_MOU_STATES)
    if current is not None:
        # An MoU signed there and declined or cancelled since stays on the record.
        state_allows |= Q(pk__in=current.mous.values("pk"))
    allowed = set(
        visible_mous(actor)
        .filter(state_allows, pk__in=mou_ids, authority_id__in=scope)
        .values_list("pk", flat=True)
    )
    if mou_ids - allowed:
        problems.append(
            Problem(
                "mous",
                _(
                    "Only MoUs of the authority holding the event (or of the authorities under "
                    "it) that were sent or signed can be listed as signed at the event."
                ),
            )
        )
    partner_ids = {partner.pk for partner in details.partners}
    if partner_ids - set(
        visible_partners(actor).filter(pk__in=partner_ids).values_list("pk", flat=True)
    ):
        problems.append(Problem("partners", _("Choose the businesses present from the list.")))
    return problems


def _check(actor, details: EventDetails, *, today: date, current: Event | None) -> None:
    may_hold = authorities_holding_events(actor).filter(pk=details.authority.pk).exists()
    keeps_own = current is not None and current.authority_id == details.authority.pk
    if not (may_hold or keeps_own):
        raise EventError([Problem("authority", _("Choose an authority you record events for."))])
    problems = detail_problems(details, today=today) + _link_problems(actor, details, current)
    if problems:
        raise EventError(problems)


def create_event(*, actor, details: EventDetails, today: date | None = None) -> Event:
    """Record an event held by an authority in the actor's care, with its attendance counts,
    the businesses present and the MoUs signed there (their businesses count as present).
    Audited as "event.created"."""
    if not can_record_events(actor):
        raise PermissionDenied
    _check(actor, details, today=today or timezone.localdate(), current=None)
    with transaction.atomic():
        event = Event(created_by=actor)
        _save(event, details)
        AuditEvent.objects.create(
            actor=actor, action="event.created", details=_audit_details(event, details)
        )
    return event


def update_event(*, actor, event: Event, details: EventDetails, today: date | None = None) -> Event:
    """Change an event the actor manages: its details, counts and links are replaced by
    those given. Audited as "event.edited", with what changed."""
    if not can_manage_event(actor, event):
        raise PermissionDenied
    _check(actor, details, today=today or timezone.localdate(), current=event)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = _snapshot(event)
        _save(event, details)
        after = _snapshot(event)
        changed = sorted(key for key in after if after[key] != before[key])
        AuditEvent.objects.create(
            actor=actor,
            action="event.edited",
            details=_audit_details(event, details) | {"changed": changed},
        )
    return event


def _save(event: Event, details: EventDetails) -> None:
    event.authority = details.authority
    event.kind = details.kind
    event.title = details.title.strip()
    event.held_on = details.held_on
    event.place = details.place.strip()
    event.organisers = details.organisers.strip()
    event.notes = details.notes.strip()
    event.save()
    event.attendance.all().delete()
    # Zero is the absence of a row: the report shows it as 0 all the same.
    EventAttendance.objects.bulk_create(
        EventAttendance(event=event, target_group_id=group_id, gender=gender, count=count)
        for (group_id, gender), count in sorted(details.attendance.items())
        if count
    )
    event.mous.set(details.mous)
    # A business that signed at the event was there.
    present = {partner.pk for partner in details.partners}
    present |= {mou.partner_id for mou in details.mous}
    event.partners.set(present)


def _snapshot(event: Event) -> dict:
    return {
        "authority": event.authority_id,
        "kind": event.kind,
        "title": event.title,
        "held_on": event.held_on.isoformat(),
        "place": event.place,
        "organisers": event.organisers,
        "notes": event.notes,
        "attendance": sorted(event.attendance.values_list("target_group_id", "gender", "count")),
        "partners": sorted(event.partners.values_list("pk", flat=True)),
        "mous": sorted(event.mous.values_list("pk", flat=True)),
    }


def _audit_details(event: Event, details: EventDetails) -> dict:
    return {
        "event": event.pk,
        "authority": event.authority_id,
        "attendance_total": details.attendance_total,
        "partners": sorted(event.partners.values_list("pk", flat=True)),
        "mous": sorted(mou.pk for mou in details.mous),
    }
