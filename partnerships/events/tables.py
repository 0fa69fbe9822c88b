"""The event list's filters and table (and its CSV/XLSX export)."""

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerships.models import Authority, EventKind
from partnerships.mous.forms import DmyDateInput


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Title, place or organisers"), method="filter_search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=EventKind.choices)
    authority = django_filters.ModelChoiceFilter(
        label=_("Held by"), queryset=Authority.objects.none()
    )
    held_from = django_filters.DateFilter(
        label=_("Held from"), field_name="held_on", lookup_expr="gte", widget=DmyDateInput()
    )
    held_until = django_filters.DateFilter(
        label=_("Held until"), field_name="held_on", lookup_expr="lte", widget=DmyDateInput()
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, queryset=events, **kwargs)
        # Only the authorities of events the user may see are offered.
        self.filters["authority"].queryset = Authority.objects.filter(
            pk__in=events.order_by().values("authority_id")
        ).order_by("name")

    def filter_search(self, queryset, name, value):
        value = value.strip()[:200]
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(place__icontains=value) | Q(organisers__icontains=value)
        )


class EventTable(tables.Table):
    held_on = tables.DateColumn(verbose_name=_("Date"), short=True, order_by=("held_on", "pk"))
    title = tables.Column(verbose_name=_("Title"), linkify=True)
    kind = tables.Column(verbose_name=_("Kind"))
    authority = tables.Column(verbose_name=_("Held by"), accessor="authority__name")
    # In the export; on the page the title says enough and the figures need the room.
    place = tables.Column(verbose_name=_("Place"), visible=False)
    people = tables.Column(verbose_name=_("Attended"), attrs={"td": {"class": "num"}})
    businesses = tables.Column(verbose_name=_("Businesses"), attrs={"td": {"class": "num"}})
    mous_signed = tables.Column(verbose_name=_("MoUs signed"), attrs={"td": {"class": "num"}})
    referrals_made = tables.Column(verbose_name=_("Referrals"), attrs={"td": {"class": "num"}})

    class Meta:
        attrs = {"class": "data-table", "data-testid": "events"}
        order_by = ("-held_on",)
        empty_text = _("No events match these filters.")

    def render_kind(self, value, record):
        return EventKind(record.kind).label

    def value_kind(self, value, record):
        return EventKind(record.kind).label
