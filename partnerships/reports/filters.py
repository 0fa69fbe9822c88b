"""Filters of the pledge-versus-delivery reports. They narrow the scoped pledge lines of
reports.queries.report_pledges(); every report, its chart, its totals and its exports read
the same filtered lines, so an export always holds what the page shows."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.models import Mou, MouState, PledgeKind
from partnerships.mous.filters import mou_search_condition
from partnerships.reports.measures import mou_measures


class ReportFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("MoU number, title, partner or tax code"), method="filter_search"
    )
    authority = django_filters.ChoiceFilter(
        label=_("Authority (with everything under it)"), method="filter_authority"
    )
    year = django_filters.NumberFilter(
        label=_("MoU year"),
        field_name="mou__year",
        widget=forms.NumberInput(attrs={"min": 2000, "max": 2100}),
    )
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        field_name="mou__state",
        choices=[(state, MouState(state).label) for state in MouState.SIGNED_ONCE],
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    kind = django_filters.ChoiceFilter(label=_("Kind of pledge"), choices=PledgeKind.choices)
    lagging = django_filters.BooleanFilter(
        label=_("Only MoUs lagging behind their term"),
        method="filter_lagging",
        widget=forms.CheckboxInput,
    )

    def __init__(self, data=None, queryset=None, *, request=None, tree=None, scope=None):
        """`tree` and `scope` (authority ids the user sees; None for all) give the choices
        of the authority filter; without any, the filter is left out (business users)."""
        super().__init__(data, queryset, request=request)
        self.tree = tree
        if tree is None or (scope is not None and not scope):
            del self.filters["authority"]
        else:
            self.filters["authority"].extra["choices"] = [
                (str(pk), name) for pk, name in tree.choices(scope)
            ]

    def filter_search(self, queryset, name, value):
        condition = mou_search_condition(value, prefix="mou__")
        return queryset if condition is None else queryset.filter(condition)

    def filter_authority(self, queryset, name, value):
        return queryset.filter(mou__authority_id__in=self.tree.subtree(int(value)))

    def filter_lagging(self, queryset, name, value):
        if not value:
            return queryset
        lagging = (
            Mou.objects.filter(pk__in=queryset.values("mou"))
            .annotate(**mou_measures(as_of=timezone.localdate()))
            .filter(lagging=True)
        )
        return queryset.filter(mou__in=lagging.values("pk"))
