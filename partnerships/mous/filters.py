"""Filters for the MoU list; the choices offered come from the user's own scope."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from partnerships.core.params import whole_number
from partnerships.models import (
    Authority,
    MouState,
    Partner,
    Pledge,
    TargetGroup,
)
from partnerships.mous.forms import DmyDateInput
from partnerships.mous.queues import QUEUE_CHOICES, queue_condition


def mou_search_condition(value: str, *, prefix: str = "") -> Q | None:
    """What the search box matches on an MoU: title, partner name, the start of the tax code,
    or the number ("12" or "12/BGN-UBND"). `prefix` reaches the MoU from another model,
    e.g. "mou__" from a pledge line. None for an empty search."""
    value = value.strip()
    if not value:
        return None
    condition = (
        Q(**{f"{prefix}title__icontains": value})
        | Q(**{f"{prefix}partner__name__icontains": value})
        | Q(**{f"{prefix}partner__tax_code__startswith": value})
    )
    number = whole_number(value.split("/", 1)[0])
    if number is not None:
        condition |= Q(**{f"{prefix}number": number})
    return condition


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

    queue = django_filters.ChoiceFilter(
        label=_("Work queue"), choices=QUEUE_CHOICES, method="filter_queue"
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
        condition = mou_search_condition(value)
        return queryset if condition is None else queryset.filter(condition)

    def filter_queue(self, queryset, name, value):
        return queryset.filter(queue_condition(value))

    def filter_in_force_from(self, queryset, name, value):
        return queryset.filter(Q(term_end__isnull=True) | Q(term_end__gte=value))

    def filter_in_force_until(self, queryset, name, value):
        return queryset.filter(Q(term_start__isnull=True) | Q(term_start__lte=value))

    def filter_target_group(self, queryset, name, value):
        # EXISTS rather than a join, so an MoU with two matching pledges shows once.
        return queryset.filter(
            Exists(Pledge.objects.filter(mou=OuterRef("pk"), target_groups=value))
        )
