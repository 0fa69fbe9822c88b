"""Tables of the funnel pages (django-tables2), footers from funnel.funnel_totals().

Rows are pledge lines (a queryset), partners (dicts), or funnel.Funnel rows (authorities,
target groups and genders, cohorts): tables.field() reads each alike. Lines and partners
sort on any count (ties broken by the row's id, so pages never overlap); the short lists
keep the order they were built in.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerships.core.shares import percent, ratio
from partnerships.models import AuthorityLevel
from partnerships.reports.tables import NUM, NumberColumn, ReportTable, field

META_ATTRS = {"class": "data-table report-table", "data-testid": "funnel-table"}


def _footer(name: str):
    def footer(table):
        totals = getattr(table, "totals", None)
        return "" if totals is None else number_format(getattr(totals, name))

    return footer


def _retention_footer(months: int):
    def footer(table):
        totals = getattr(table, "totals", None)
        return "" if totals is None else percent(totals.retention(months))

    return footer


def count(heading, name: str, tie: str | None = None) -> NumberColumn:
    return NumberColumn(
        verbose_name=heading, footer=_footer(name), order_by=(name, tie) if tie else None
    )


class RetainedColumn(tables.Column):
    """Still employed N months after the start: retained / eligible, the counts in a
    tooltip; "—" while no placement is old enough."""

    def __init__(self, months: int, *, tie: str | None = None, **kwargs):
        self.months = months
        kwargs.setdefault("attrs", NUM)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("footer", _retention_footer(months))
        kwargs.setdefault("accessor", f"retained_{months}")
        if tie:
            kwargs.setdefault("order_by", (f"retention_{months}", tie))
        else:
            kwargs.setdefault("orderable", False)
        super().__init__(**kwargs)

    def render(self, record):
        retained = field(record, f"retained_{self.months}") or 0
        eligible = field(record, f"eligible_{self.months}") or 0
        if not eligible:
            return "—"
        return format_html(
            '<span title="{} / {}">{}</span>',
            retained,
            eligible,
            percent(ratio(retained, eligible)),
        )


def _stages(tie: str | None) -> dict:
    """The funnel's columns, in its order (a sort tie-breaker `tie` for sortable tables)."""
    return {
        "pledged": count(_("Pledged"), "pledged", tie),
        "referred": count(pgettext_lazy("funnel", "Referred"), "referred", tie),
        "interviewed": count(pgettext_lazy("funnel", "Interviewed"), "interviewed", tie),
        "delivered": count(_("Hired (confirmed)"), "delivered", tie),
        "not_hired": count(pgettext_lazy("funnel", "Not hired"), "not_hired", tie),
        "no_show": count(pgettext_lazy("funnel", "Did not come"), "no_show", tie),
        "referrals_expired": count(_("Expired"), "referrals_expired", tie),
        "referrals_ended": count(
            pgettext_lazy("funnel", "Consent withdrawn"), "referrals_ended", tie
        ),
        "retention_6": RetainedColumn(6, tie=tie, verbose_name=_("Still employed at 6 months")),
        "retention_12": RetainedColumn(12, tie=tie, verbose_name=_("Still employed at 12 months")),
    }


class FunnelLineTable(ReportTable):
    mou = tables.Column(verbose_name=_("MoU"), accessor="mou__number", footer=_("Total"))
    partner = tables.Column(
        verbose_name=_("Partner"),
        accessor="mou__partner__name",
        order_by=("mou__partner__name", "pk"),
        attrs={"td": {"class": "name"}},
    )
    line = tables.Column(verbose_name=_("Line"), attrs=NUM, orderable=False)
    occupation = tables.Column(verbose_name=_("Occupation or trade"), orderable=False)
    locals().update(_stages("pk"))

    class Meta:
        order_by = ("-mou",)
        empty_text = _("No pledge lines match these filters.")
        attrs = META_ATTRS

    def order_mou(self, queryset, is_descending):
        sign = "-" if is_descending else ""
        fields = ("mou__year", "mou__number", "mou_id")
        return queryset.order_by(*[f"{sign}{name}" for name in fields], "pk"), True

    def render_mou(self, record):
        mou = record.mou
        return format_html(
            '<a href="{}">{}</a><span class="of-authority">{} · {}</span>',
            reverse("mou_detail", args=[mou.pk]),
            mou.document_number,
            mou.sent_authority_name if mou.parties_fixed_at else mou.authority.name,
            mou.year,
        )


class FunnelPartnerTable(ReportTable):
    """Also the retention per employer: 3, 6 and 12 months."""

    name = tables.Column(
        verbose_name=_("Partner"),
        order_by=("name", "partner_id"),
        footer=_("Total"),
        attrs={"td": {"class": "name"}},
    )
    locals().update(_stages("partner_id"))
    retention_3 = RetainedColumn(3, tie="partner_id", verbose_name=_("Still employed at 3 months"))

    class Meta:
        order_by = ("name",)
        empty_text = _("No partners match these filters.")
        attrs = META_ATTRS
        sequence = ("name", "...", "retention_3", "retention_6", "retention_12")

    def render_name(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("partner_detail", args=[record["partner_id"]]),
            record["name"],
        )


class FunnelGroupedTable(ReportTable):
    """Authorities: a short list, in the order built."""

    label = tables.Column(verbose_name="", footer=_("Total"))
    locals().update(_stages(None))

    class Meta:
        orderable = False
        empty_text = _("Nothing matches these filters.")
        attrs = META_ATTRS

    def render_label(self, record):
        if record.note:
            return format_html(
                '{}<br><span class="muted">{} {}</span>',
                record.label,
                _("including, dissolved:"),
                record.note,
            )
        if record.level:
            return format_html(
                '{} <span class="muted">({})</span>',
                record.label,
                AuthorityLevel(record.level).label,
            )
        return record.label


# What a row per target group and gender counts: the people of that group and gender
# (places are pledged to lines, not to groups; the outcomes of referrals are counted per
# line only).
PERSON_GROUP_STAGES = ("referred", "interviewed", "delivered", "retention_6", "retention_12")


class FunnelPersonGroupTable(ReportTable):
    """Target groups and genders: a short list, in the order built."""

    label = tables.Column(verbose_name="", footer=_("Total"))
    locals().update(
        {name: column for name, column in _stages(None).items() if name in PERSON_GROUP_STAGES}
    )

    class Meta:
        orderable = False
        empty_text = _("Nothing matches these filters.")
        attrs = META_ATTRS


class CohortTable(ReportTable):
    """Placements started in the same quarter, and how many stayed 3, 6 and 12 months."""

    label = tables.Column(verbose_name=_("Quarter started"), footer=_("Total"))
    delivered = count(_("People placed (confirmed)"), "delivered")
    retention_3 = RetainedColumn(3, verbose_name=_("Still employed at 3 months"))
    retention_6 = RetainedColumn(6, verbose_name=_("Still employed at 6 months"))
    retention_12 = RetainedColumn(12, verbose_name=_("Still employed at 12 months"))

    class Meta:
        orderable = False
        empty_text = _("No placement has started yet.")
        attrs = {"class": "data-table report-table", "data-testid": "cohort-table"}
