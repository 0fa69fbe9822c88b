"""The event form: what, when and where, the attendance grid (one number per target group
and gender), the businesses present and the MoUs signed there. The rules live in
partnerships.events.services; the form shows their messages beside the fields."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import mous_for_events, visible_mous, visible_partners
from partnerships.events.services import (
    LINKABLE_MOU_STATES,
    NOTES_MAX_LENGTH,
    EventDetails,
    detail_problems,
    too_many_people,
)
from partnerships.models import (
    MAX_ATTENDANCE_COUNT,
    Authority,
    Event,
    EventKind,
    Gender,
    TargetGroup,
)
from partnerships.mous.forms import DmyDateInput


class MouChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, mou):
        return f"{mou.document_number} · {mou.partner.name} · {mou.title}"


class EventForm(forms.Form):
    authority = forms.ModelChoiceField(label=_("Held by"), queryset=Authority.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=Event._meta.get_field("title").max_length)
    held_on = forms.DateField(label=_("Date"), widget=DmyDateInput())
    place = forms.CharField(label=_("Place"), max_length=Event._meta.get_field("place").max_length)
    organisers = forms.CharField(
        label=_("Other organisers"),
        required=False,
        max_length=Event._meta.get_field("organisers").max_length,
        help_text=_("The police, the Youth Union, a vocational school... as you would write it."),
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Businesses present"),
        queryset=None,  # set in __init__
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The businesses of the MoUs signed at the event count as present."),
    )
    mous = MouChoiceField(
        label=_("MoUs signed at the event"),
        queryset=None,  # set in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Never the names of the people who came: the registry keeps counts only."),
    )

    def __init__(self, *args, user, authorities, event: Event | None = None, **kwargs):
        if event is not None and event.pk and not kwargs.get("initial"):
            kwargs["initial"] = initial_for(event)
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.fields["partners"].queryset = visible_partners(user).order_by("name")
        # The MoUs the user may link; the service also checks they belong to the area of
        # the authority holding the event.
        linkable = Q(
            pk__in=mous_for_events(user).filter(state__in=LINKABLE_MOU_STATES).values("pk")
        )
        if event is not None and event.pk:
            linkable |= Q(pk__in=event.mous.values("pk"))
        self.fields["mous"].queryset = (
            visible_mous(user)
            .filter(linkable)
            .select_related("partner")
            .order_by("-year", "-number", "-pk")
        )
        self.groups = list(
            TargetGroup.objects.filter(is_active=True)
            | TargetGroup.objects.filter(pk__in=_counted_groups(event))
        )
        for group in self.groups:
            for gender, label in Gender.choices:
                self.fields[attendance_field(group.pk, gender)] = forms.IntegerField(
                    label=f"{group} · {label}",
                    required=False,
                    min_value=0,
                    max_value=MAX_ATTENDANCE_COUNT,
                    initial=0,
                    widget=forms.NumberInput(
                        attrs={
                            "min": 0,
                            "max": MAX_ATTENDANCE_COUNT,
                            "inputmode": "numeric",
                            "class": "count",
                            "data-gender": gender,
                            "data-group": group.pk,
                        }
                    ),
                    error_messages={
                        "min_value": _("A number of people cannot be negative."),
                        "max_value": too_many_people(),
                        "invalid": _("Write a whole number of people."),
                    },
                )

    def grid(self):
        """Rows of the attendance grid for the template: the group, its fields by gender,
        and the row's total as last entered (the page's script keeps totals live)."""
        rows = []
        for group in self.groups:
            cells = [self[attendance_field(group.pk, gender)] for gender in Gender.values]
            rows.append({"group": group, "cells": cells, "total": sum(_number(c) for c in cells)})
        return rows

    def grid_totals(self) -> dict:
        totals = {gender: 0 for gender in Gender.values}
        for group in self.groups:
            for gender in Gender.values:
                totals[gender] += _number(self[attendance_field(group.pk, gender)])
        return {"by_gender": [totals[g] for g in Gender.values], "all": sum(totals.values())}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for problem in detail_problems(self.details(), today=timezone.localdate()):
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        return cleaned

    def details(self) -> EventDetails:
        data = self.cleaned_data
        return EventDetails(
            authority=data["authority"],
            kind=data["kind"],
            title=data["title"],
            held_on=data["held_on"],
            place=data["place"],
            organisers=data.get("organisers") or "",
            notes=data.get("notes") or "",
            attendance={
                (group.pk, gender): data.get(attendance_field(group.pk, gender)) or 0
                for group in self.groups
                for gender in Gender.values
            },
            partners=list(data.get("partners") or []),
            mous=list(data.get("mous") or []),
        )


def attendance_field(group_id: int, gender: str) -> str:
    return f"attendance_{group_id}_{gender}"


def initial_for(event: Event) -> dict:
    initial = {
        "authority": event.authority_id,
        "kind": event.kind,
        "title": event.title,
        "held_on": event.held_on,
        "place": event.place,
        "organisers": event.organisers,
        "notes": event.notes,
        "partners": list(event.partners.values_list("pk", flat=True)),
        "mous": list(event.mous.values_list("pk", flat=True)),
    }
    for group_id, gender, count in event.attendance.values_list(
        "target_group_id", "gender", "count"
    ):
        initial[attendance_field(group_id, gender)] = count
    return initial


def _counted_groups(event: Event | None):
    if event is None or not event.pk:
        return []
    return list(event.attendance.values_list("target_group_id", flat=True))


def _number(bound_field) -> int:
    value = bound_field.value()
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 <= number <= MAX_ATTENDANCE_COUNT else 0
