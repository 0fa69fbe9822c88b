"""The open places list's filters and table (and its CSV/XLSX export)."""

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _

from partnerships.models import Authority, Partner, PledgeKind, TargetGroup
from partnerships.mous.forms import DmyDateInput


class OpenPlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Occupation or workplace"), method="filter_search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PledgeKind.choices)
    target_group = django_filters.ModelChoiceFilter(
        label=_("Target group"),
        field_name="target_groups",
        queryset=TargetGroup.objects.filter(is_active=True),
    )
    authority = django_filters.ModelChoiceFilter(
        label=_("Authority"), field_name="mou__authority", queryset=Authority.objects.none()
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"), field_name="mou__partner", queryset=Partner.objects.none()
    )
    due_before = django_filters.DateFilter(
        label=_("Due by"), field_name="due_date", lookup_expr="lte", widget=DmyDateInput()
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, queryset=lines, **kwargs)
        # Only the authorities and partners of the user's own open lines are offered.
        self.filters["authority"].queryset = Authority.objects.filter(
            pk__in=lines.values("mou__authority")
        ).order_by("name")
        self.filters["partner"].queryset = Partner.objects.filter(
            pk__in=lines.values("mou__partner")
        ).order_by("name")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(occupation__icontains=value) | Q(workplace__icontains=value))


class OpenPlaceTable(tables.Table):
    mou = tables.Column(
        verbose_name=_("MoU"),
        accessor="mou__document_number",
        linkify=("mou_detail", {"pk": tables.A("mou_id")}),
        order_by=("mou__year", "mou__number", "mou_id"),
    )
    # The authority beside the number: two authorities may both have a 5/BGN-UBND.
    authority = tables.Column(verbose_name=_("Authority"), accessor="mou__authority__name")
    partner = tables.Column(verbose_name=_("Partner"), accessor="mou__partner__name")
    line = tables.Column(verbose_name=_("Line"), attrs={"td": {"class": "num"}})
    kind = tables.Column(verbose_name=_("Kind"))
    occupation = tables.Column(verbose_name=_("Occupation or trade"))
    min_monthly_wage = tables.Column(
        verbose_name=_("Minimum monthly wage (VND)"), attrs={"td": {"class": "num"}}, default="—"
    )
    workplace = tables.Column(verbose_name=_("Workplace"), default="—")
    target_groups = tables.ManyToManyColumn(verbose_name=_("Target groups"), orderable=False)
    due_date = tables.DateColumn(verbose_name=_("Due date"), short=True, default="—")
    quantity = tables.Column(verbose_name=_("Pledged"), attrs={"td": {"class": "num"}})
    filled = tables.Column(verbose_name=_("Filled"), attrs={"td": {"class": "num"}})
    awaiting = tables.Column(
        verbose_name=_("Awaiting confirmation"), attrs={"td": {"class": "num"}}
    )
    referred = tables.Column(
        verbose_name=_("Referrals in progress"), attrs={"td": {"class": "num"}}
    )
    open_places = tables.Column(verbose_name=_("Open places"), attrs={"td": {"class": "num"}})

    class Meta:
        attrs = {"class": "data-table", "data-testid": "open-places"}
        empty_text = _("No pledge line has places open.")

    def render_min_monthly_wage(self, value):
        return floatformat(value, "0g")

    def value_min_monthly_wage(self, value):
        # The export keeps the number itself, for the spreadsheet to sum.
        return value
