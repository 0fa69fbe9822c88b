"""Tables of the pledge-versus-delivery reports (django-tables2), with their footers.

Footer values come from reports.queries.totals(), computed in SQL over every filtered row,
not from the rows of the page.
"""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partnerships.core.shares import percent, ratio
from partnerships.models import AuthorityLevel, PledgeKind


def field(record, name: str):
    """A value of a row, whether the row is a model instance, a dict (values()) or a
    reports.queries.Row."""
    if isinstance(record, dict):
        return record.get(name)
    return getattr(record, name)


class CountedPaginator(Paginator):
    """A paginator told the number of rows (from the report's totals query), so paginating
    costs no COUNT query of its own."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count


def _footer(name: str, render=None):
    """A footer cell reading the table's `totals` (reports.queries.Figures)."""

    def footer(table):
        totals = getattr(table, "totals", None)
        if totals is None:
            return ""
        value = getattr(totals, name)
        return render(value) if render else number_format(value)

    return footer


NUM = {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}}


class NumberColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return number_format(value)


class PercentColumn(tables.Column):
    """A share shown as a percentage; the raw share goes to exports."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        kwargs.setdefault("empty_values", ())
        super().__init__(*args, **kwargs)

    def render(self, value):
        return percent(value)


class RetentionColumn(PercentColumn):
    """Still in place after 6 months: retained / eligible, with the counts in a tooltip."""

    def render(self, value, record):
        retained, eligible = field(record, "retained_6"), field(record, "eligible_6")
        if not eligible:
            return "—"
        share = percent(ratio(retained, eligible))
        return format_html('<span title="{} / {}">{}</span>', retained, eligible, share)


def lag_badge(lagging: bool):
    if not lagging:
        return ""
    return format_html('<span class="badge lagging">{}</span>', _("Lagging"))


class ReportTable(tables.Table):
    totals = None

    def __init__(self, *args, totals=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.totals = totals


# --- Per MoU: one row per pledge line ---


class LineReportTable(ReportTable):
    # The MoU's authority and year sit under its number: two authorities may both have a
    # 5/BGN-UBND, and two columns fewer let the figures fit a laptop's screen.
    mou = tables.Column(
        verbose_name=_("MoU"),
        accessor="mou__number",
        footer=_("Total"),
    )
    partner = tables.Column(
        verbose_name=_("Partner"),
        accessor="mou__partner__name",
        order_by=("mou__partner__name", "pk"),
        attrs={"td": {"class": "name"}},
    )
    line = tables.Column(verbose_name=_("Line"), attrs=NUM, orderable=False)
    kind = tables.Column(verbose_name=_("Kind"), order_by=("kind", "pk"))
    occupation = tables.Column(verbose_name=_("Occupation or trade"), orderable=False)
    quantity = NumberColumn(
        verbose_name=_("Pledged"), order_by=("quantity", "pk"), footer=_footer("pledged")
    )
    delivered = NumberColumn(
        verbose_name=_("Delivered"), order_by=("delivered", "pk"), footer=_footer("delivered")
    )
    fulfilment = PercentColumn(
        verbose_name=_("Fulfilment"),
        order_by=("fulfilment", "pk"),
        footer=_footer("fulfilment", percent),
    )
    retention = RetentionColumn(
        verbose_name=_("Still employed at 6 months"),
        accessor="retention_6",
        order_by=("retention_6", "pk"),
        footer=_footer("retention_6", percent),
    )
    elapsed = PercentColumn(verbose_name=_("Term elapsed"), order_by=("elapsed", "pk"))
    lagging = tables.Column(
        verbose_name=_("Lag"), accessor="mou_lagging", orderable=False, empty_values=()
    )

    class Meta:
        order_by = ("-mou",)
        empty_text = _("No pledge lines match these filters.")
        attrs = {"class": "data-table report-table", "data-testid": "report-table"}

    def order_mou(self, queryset, is_descending):
        # Newest MoUs first, but each MoU's lines in their own order (1, 2, 3).
        sign = "-" if is_descending else ""
        fields = ("mou__year", "mou__number", "mou_id")
        return queryset.order_by(*[f"{sign}{name}" for name in fields], "pk"), True

    def render_mou(self, record):
        mou = record.mou
        return format_html(
            '<a href="{}">{}</a><span class="of-authority">{} · {}</span>',
            reverse("mou_detail", args=[mou.pk]),
            mou.document_number,
            # As the signed document names it, not as the authority is called today.
            mou.sent_authority_name if mou.parties_fixed_at else mou.authority.name,
            mou.year,
        )

    def render_partner(self, value, record):
        # As the signed document names it, not as the partner is called today.
        return record.mou.sent_partner_name if record.mou.parties_fixed_at else value

    def render_kind(self, record):
        return PledgeKind(record.kind).label

    def render_lagging(self, record):
        return lag_badge(record.mou_lagging)


# --- Per partner ---


class PartnerReportTable(ReportTable):
    """Rows are dicts (reports.queries.partner_rows); ties are broken by the partner's id."""

    name = tables.Column(
        verbose_name=_("Partner"),
        order_by=("name", "partner_id"),
        footer=_("Total"),
        attrs={"td": {"class": "name"}},
    )
    tax_code = tables.Column(verbose_name=_("Tax code"))
    mou_count = NumberColumn(
        verbose_name=_("MoUs"), order_by=("mou_count", "partner_id"), footer=_footer("mous")
    )
    pledged = NumberColumn(
        verbose_name=_("Pledged"), order_by=("pledged", "partner_id"), footer=_footer("pledged")
    )
    delivered = NumberColumn(
        verbose_name=_("Delivered"),
        order_by=("delivered", "partner_id"),
        footer=_footer("delivered"),
    )
    fulfilment = PercentColumn(
        verbose_name=_("Fulfilment"),
        order_by=("fulfilment", "partner_id"),
        footer=_footer("fulfilment", percent),
    )
    retention = RetentionColumn(
        verbose_name=_("Still employed at 6 months"),
        accessor="retention_6",
        order_by=("retention_6", "partner_id"),
        footer=_footer("retention_6", percent),
    )
    lagging_mous = NumberColumn(
        verbose_name=_("MoUs lagging"), order_by=("lagging_mous", "partner_id")
    )

    class Meta:
        order_by = ("name",)
        empty_text = _("No partners match these filters.")
        attrs = {"class": "data-table report-table", "data-testid": "report-table"}

    def render_name(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("partner_detail", args=[record["partner_id"]]),
            record["name"],
        )

    def render_lagging_mous(self, value):
        if not value:
            return "0"
        return format_html('<span class="badge lagging">{}</span>', number_format(value))


# --- Grouped reports (lists of reports.queries.Row): small, ordered as built ---


class GroupedReportTable(ReportTable):
    label = tables.Column(verbose_name="", orderable=False, footer=_("Total"))
    pledged = NumberColumn(verbose_name=_("Pledged"), orderable=False, footer=_footer("pledged"))
    delivered = NumberColumn(
        verbose_name=_("Delivered"), orderable=False, footer=_footer("delivered")
    )
    fulfilment = PercentColumn(
        verbose_name=_("Fulfilment"), orderable=False, footer=_footer("fulfilment", percent)
    )
    retention = RetentionColumn(
        verbose_name=_("Still employed at 6 months"),
        accessor="retention_6",
        orderable=False,
        footer=_footer("retention_6", percent),
    )

    class Meta:
        orderable = False
        attrs = {"class": "data-table report-table", "data-testid": "report-table"}


class AuthorityReportTable(GroupedReportTable):
    label = tables.Column(verbose_name=_("Authority"), orderable=False, footer=_("Total"))
    level = tables.Column(verbose_name=_("Level"), orderable=False)
    mous = NumberColumn(verbose_name=_("MoUs"), orderable=False, footer=_footer("mous"))

    class Meta(GroupedReportTable.Meta):
        sequence = ("label", "level", "mous", "...")
        empty_text = _("No MoUs match these filters.")

    def render_label(self, record):
        name = record.label
        if record.drill:
            # The filters of the page shown stay on the link one level down.
            request = getattr(self, "request", None)
            query = request.GET if request else QueryDict()
            name = render_to_string(
                "reports/_drill_link.html", {"query": query, "key": record.key, "name": name}
            )
        if record.note:
            return format_html(
                '{}<br><span class="muted">{} {}</span>',
                name,
                _("including, dissolved:"),
                record.note,
            )
        return name

    def render_level(self, value):
        return AuthorityLevel(value).label if value else ""


class GroupReportTable(GroupedReportTable):
    label = tables.Column(verbose_name=_("Target group"), orderable=False, footer=_("Total"))
    pledged = NumberColumn(
        verbose_name=_("Pledged on lines for the group"),
        orderable=False,
        footer=_footer("pledged"),
    )
    delivered_female = NumberColumn(
        verbose_name=_("Delivered: women"), orderable=False, footer=_footer("delivered_female")
    )
    delivered_male = NumberColumn(
        verbose_name=_("Delivered: men"), orderable=False, footer=_footer("delivered_male")
    )
    retention_female = PercentColumn(
        verbose_name=_("Still employed at 6 months: women"), orderable=False
    )
    retention_male = PercentColumn(
        verbose_name=_("Still employed at 6 months: men"), orderable=False
    )

    class Meta(GroupedReportTable.Meta):
        sequence = (
            "label",
            "pledged",
            "delivered",
            "delivered_female",
            "delivered_male",
            "fulfilment",
            "retention",
            "retention_female",
            "retention_male",
        )
        empty_text = _("No target groups.")

    def render_retention_female(self, record):
        return percent(ratio(record.retained_6_female, record.eligible_6_female))

    def render_retention_male(self, record):
        return percent(ratio(record.retained_6_male, record.eligible_6_male))


class PeriodReportTable(GroupedReportTable):
    """Rows are reports.queries.PeriodRow: each column says what it counts, and the
    fulfilment is of the MoUs in force, by the quarter's end."""

    label = tables.Column(verbose_name=_("Quarter"), orderable=False, footer=_("Total"))
    mous = NumberColumn(verbose_name=_("MoUs in force"), orderable=False, footer=_footer("mous"))
    pledged = NumberColumn(
        verbose_name=_("Places pledged by MoUs in force"),
        orderable=False,
        footer=_footer("pledged"),
    )
    delivered = NumberColumn(
        verbose_name=_("Placements started in the quarter (confirmed)"),
        orderable=False,
        footer=_footer("delivered"),
    )
    delivered_to_date = NumberColumn(
        verbose_name=_("Delivered by these MoUs by the quarter's end"),
        orderable=False,
        footer=_footer("delivered"),
    )
    fulfilment = PercentColumn(
        verbose_name=_("Fulfilment by the quarter's end"),
        orderable=False,
        footer=_footer("fulfilment", percent),
    )

    class Meta(GroupedReportTable.Meta):
        sequence = (
            "label",
            "mous",
            "pledged",
            "delivered",
            "delivered_to_date",
            "fulfilment",
            "retention",
        )
        exclude = ()
        empty_text = _("Nothing in these periods.")
