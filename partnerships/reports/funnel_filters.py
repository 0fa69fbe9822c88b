"""The funnel's filters: those of every report (authority with everything under it, MoU
year, state, kind, lagging, a search by MoU or partner), and the target group a line is
open to."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partnerships.models import TargetGroup
from partnerships.reports.filters import ReportFilter

VIEWS = ("partners", "lines", "authorities", "groups")


class FunnelFilter(ReportFilter):
    target_group = django_filters.ModelChoiceFilter(
        label=_("Lines open to the target group"),
        field_name="target_groups",
        queryset=TargetGroup.objects.filter(is_active=True),
        distinct=False,
    )
