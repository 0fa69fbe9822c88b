"""Filters for the MoU list; the choices offered come from the user's own scope."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from partnerships.forms import DmyDateInput
from partnerships.models import Authority, MouState, Partner, Pledge, TargetGroup


class MouFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=MouState.choices,
        widget=forms.CheckboxSelectMultiple,
        # A column of the MoU itself cannot repeat rows; DISTINCT over every selected column
        # (the pledge total included) made both queries of a filtered list twice as slow.
        distinct=False,
    )
    authority = django_filters.ModelChoiceFilter(
        label=_("Authority"), queryset=Authority.objects.none()
    )
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=Partner.objects.none())
    in_force_from = django_filters.DateFilter(
        label=_("In force from"), method="filter_in_force_from", widget=DmyDateInput()
    )
    in_force_until = django_filters.DateFilter(
        label=_("In force until"), method="filter_in_force_until", widget=DmyDateInput()
    )
    target_group = django_filters.ModelChoiceFilter(
        label=_("Target group"),
        queryset=TargetGroup.objects.filter(is_active=True),
        method="filter_target_group",
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        # Offer only authorities and partners that appear in the user's own MoUs.
        visible = queryset.order_by()
        self.filters["authority"].queryset = Authority.objects.filter(
            pk__in=visible.values("authority_id")
        )
        self.filters["partner"].queryset = Partner.objects.filter(
            pk__in=visible.values("partner_id")
        )

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(title__icontains=value)
            | Q(partner__name__icontains=value)
            | Q(partner__tax_code__startswith=value)
        )
        number = value.split("/", 1)[0]
        if number.isdigit():
            condition |= Q(number=int(number))
        return queryset.filter(condition)

    def filter_in_force_from(self, queryset, name, value):
        return queryset.filter(Q(term_end__isnull=True) | Q(term_end__gte=value))

    def filter_in_force_until(self, queryset, name, value):
        return queryset.filter(Q(term_start__isnull=True) | Q(term_start__lte=value))

    def filter_target_group(self, queryset, name, value):
        # EXISTS rather than a join, so an MoU with two matching pledges shows once.
        return queryset.filter(
            Exists(Pledge.objects.filter(mou=OuterRef("pk"), target_groups=value))
        )
