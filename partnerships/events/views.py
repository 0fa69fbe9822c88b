"""Event pages: the list (filtered, exported), record and edit, and the per-event report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from partnerships.authorities.permissions import (
    authorities_holding_events,
    can_manage_event,
    can_record_events,
    user_authority,
)
from partnerships.core.access import role_required
from partnerships.core.downloads import FORMATS, table_download
from partnerships.events import selectors, services
from partnerships.events.forms import EventForm
from partnerships.events.tables import EventFilter, EventTable
from partnerships.models import Authority, Event, Gender


@role_required
def event_list(request):
    events = selectors.event_list(user=request.user)
    event_filter = EventFilter(request.GET or None, events=events)
    table = EventTable(event_filter.qs if event_filter.is_bound else events)
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        # The export keeps the filters and the sort, and holds every matching event.
        RequestConfig(request, paginate=False).configure(table)
        return table_download(table, file_name="events", file_format=export_format)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "events/list.html",
        {
            "filter": event_filter,
            "table": table,
            "can_record_events": can_record_events(request.user),
        },
    )


@role_required
def event_detail(request, pk):
    event = get_object_or_404(selectors.event_for_detail(user=request.user), pk=pk)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "report": selectors.event_report(user=request.user, event=event),
            "genders": Gender.choices,
            "can_edit": can_manage_event(request.user, event),
        },
    )


@role_required
def event_create(request):
    if not can_record_events(request.user):
        raise PermissionDenied
    return _save(request, Event())


@role_required
def event_edit(request, pk):
    event = get_object_or_404(selectors.event_for_detail(user=request.user), pk=pk)
    if not can_manage_event(request.user, event):
        raise PermissionDenied
    return _save(request, event)


def _save(request, event: Event):
    authorities = authorities_holding_events(request.user)
    if event.pk:
        # An event keeps its authority even when that body has since been dissolved.
        authorities = authorities | Authority.objects.filter(pk=event.authority_id)
    form = EventForm(
        request.POST or None,
        user=request.user,
        authorities=authorities,
        event=event,
        initial=None if event.pk else _new_event_initial(request, authorities),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if event.pk:
                saved = services.update_event(
                    actor=request.user, event=event, details=form.details()
                )
            else:
                saved = services.create_event(actor=request.user, details=form.details())
        except services.EventError as error:
            for problem in error.problems:
                field = problem.field if problem.field in form.fields else None
                form.add_error(field, problem.message)
        else:
            messages.success(request, _("Event “%(title)s” saved.") % {"title": saved.title})
            return redirect(saved)
    return render(
        request, "events/form.html", {"form": form, "event": event, "genders": Gender.choices}
    )


def _new_event_initial(request, authorities) -> dict:
    """A new event is held by the staff member's own authority, today or earlier."""
    own = user_authority(request.user)
    if own is not None and authorities.filter(pk=own.pk).exists():
        return {"authority": own.pk}
    only = list(authorities.values_list("pk", flat=True)[:2])
    return {"authority": only[0]} if len(only) == 1 else {}
