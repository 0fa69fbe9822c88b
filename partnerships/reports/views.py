"""Pledge-versus-delivery reports: per MoU (pledge line), partner, authority, target group
and quarter. Each page: filters, a pledged-versus-delivered chart, the table with totals in
its footer, and CSV/XLSX exports of exactly what the filters select.

Reports hold counts only: no person, no placement and no name of anyone placed appears on
them, whoever reads them. What each user counts is decided by permissions.visible_mous.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from partnerships.authorities.permissions import (
    authority_scope,
    authority_tree,
    can_see_province_summary,
    summary_area_root,
)
from partnerships.core.access import role_required
from partnerships.core.downloads import FORMATS
from partnerships.core.params import whole_number
from partnerships.reports import exports as report_exports
from partnerships.reports import province, queries, yearly_figures
from partnerships.reports.charts import Bar, pledged_vs_delivered
from partnerships.reports.filters import ReportFilter
from partnerships.reports.measures import lag_margin
from partnerships.reports.navigation import REPORT_PAGES
from partnerships.reports.tables import (
    AuthorityReportTable,
    CountedPaginator,
    GroupReportTable,
    LineReportTable,
    PartnerReportTable,
    PeriodReportTable,
)

PER_PAGE = 25
CHART_ROWS = 15

REPORTS = REPORT_PAGES


class _Report:
    """What every report page starts from: the scoped, filtered pledge lines."""

    def __init__(self, request):
        self.request = request
        self.as_of = timezone.localdate()
        user = request.user
        self.scope = authority_scope(user)
        # Business representatives have no authority scope: no authority filter for them.
        self.tree = authority_tree(user) if self.scope is None or self.scope else None
        self.filter = ReportFilter(
            request.GET or None,
            queryset=queries.report_pledges(user=user),
            tree=self.tree,
            scope=self.scope,
        )
        self.pledges = self.filter.qs if self.filter.is_bound else self.filter.queryset
        export = request.GET.get("_export")
        self.export = export if export in FORMATS else None

    def page(self, template: str, name: str, title, *, table, bars, **context):
        return render(
            self.request,
            template,
            {
                "report": name,
                "reports": REPORTS,
                "title": title,
                "filter": self.filter,
                "table": table,
                "chart": pledged_vs_delivered(
                    bars,
                    title=str(title),
                    description=str(_("Places pledged and delivered for each row shown.")),
                ),
                "can_see_province_summary": can_see_province_summary(self.request.user),
                "as_of": self.as_of,
                "lag_margin": number_format(lag_margin() * 100, 0),
                **context,
            },
        )


def _paginate(request, table, count: int) -> list:
    RequestConfig(
        request,
        paginate={"per_page": PER_PAGE, "paginator_class": CountedPaginator, "count": count},
    ).configure(table)
    # The chart and the table read the same rows: one query for the page, not two.
    rows = list(table.page.object_list)
    table.page.object_list = rows
    return [row.record for row in rows]


@role_required
def mou_report(request):
    report = _Report(request)
    totals = queries.totals(report.pledges, as_of=report.as_of)
    table = LineReportTable(queries.line_rows(report.pledges, as_of=report.as_of), totals=totals)
    if report.export:
        RequestConfig(request, paginate=False).configure(table)
        return report_exports.lines(table.data.data, totals, file_format=report.export)
    records = _paginate(request, table, totals.lines)
    bars = [
        Bar(
            f"{record.mou.document_number} · {record.line} · {record.occupation}",
            record.quantity,
            record.delivered,
            flagged=record.mou_lagging,
        )
        for record in records[:CHART_ROWS]
    ]
    return report.page(
        "reports/report.html", "report_mous", _("Per MoU"), table=table, bars=bars, totals=totals
    )


@role_required
def partner_report(request):
    report = _Report(request)
    totals = queries.totals(report.pledges, as_of=report.as_of)
    table = PartnerReportTable(
        queries.partner_rows(report.pledges, as_of=report.as_of), totals=totals
    )
    if report.export:
        RequestConfig(request, paginate=False).configure(table)
        return report_exports.partners(table.data.data, totals, file_format=report.export)
    records = _paginate(request, table, totals.partners)
    bars = [
        Bar(
            record["name"],
            record["pledged"],
            record["delivered"],
            flagged=bool(record["lagging_mous"]),
        )
        for record in records[:CHART_ROWS]
    ]
    return report.page(
        "reports/report.html",
        "report_partners",
        _("Per partner"),
        table=table,
        bars=bars,
        totals=totals,
    )


def _root(report: _Report) -> int | None:
    """The authority whose branches the report shows: asked for, or the only one the user
    sees at the top; an authority outside the user's scope is not found."""
    tree = report.tree or authority_tree(report.request.user)
    raw = report.request.GET.get("root", "")
    if raw:
        root = whole_number(raw)
        if root is None or root not in tree:
            raise Http404
        if report.scope and root not in report.scope:
            raise Http404
        return root
    if report.scope:
        roots = tree.roots(report.scope)
        if len(roots) == 1:
            return roots[0]
    return None


@role_required
def authority_report(request):
    report = _Report(request)
    tree = report.tree or authority_tree(request.user)
    root = _root(report)
    pledges = report.pledges
    if root is not None:
        pledges = pledges.filter(mou__authority_id__in=tree.subtree(root))
    branches = queries.authority_branches(tree, root_id=root, scope=report.scope or None)
    rows = queries.authority_rows(
        pledges, tree=tree, branches=branches, root_id=root, as_of=report.as_of
    )
    totals = queries.totals(pledges, as_of=report.as_of)
    if report.export:
        return report_exports.authorities(rows, totals, file_format=report.export)
    table = AuthorityReportTable(rows, totals=totals)
    RequestConfig(request, paginate=False).configure(table)
    trail = []
    if root is not None:
        visible = [
            pk for pk in reversed(tree.ancestors(root)) if not report.scope or pk in report.scope
        ]
        trail = [(pk, tree.name(pk)) for pk in [*visible, root]]
    bars = [Bar(row.label, row.pledged, row.delivered) for row in rows[:CHART_ROWS]]
    return report.page(
        "reports/report.html",
        "report_authorities",
        _("Per authority"),
        table=table,
        bars=bars,
        totals=totals,
        trail=trail,
        root=root,
    )


@role_required
def group_report(request):
    report = _Report(request)
    # Counted once for the rows and the footer.
    counts = queries.group_gender_counts(report.pledges, as_of=report.as_of)
    rows = queries.group_rows(report.pledges, as_of=report.as_of, counts=counts)
    totals = queries.totals(report.pledges, as_of=report.as_of, by_gender=True, counts=counts)
    if report.export:
        return report_exports.groups(rows, totals, file_format=report.export)
    table = GroupReportTable(rows, totals=totals)
    RequestConfig(request, paginate=False).configure(table)
    bars = [Bar(row.label, row.pledged, row.delivered) for row in rows[:CHART_ROWS]]
    return report.page(
        "reports/report.html",
        "report_groups",
        _("Per target group and gender"),
        table=table,
        bars=bars,
        totals=totals,
        note=_(
            "A pledge line open to several target groups counts under each of them, so the "
            "pledged column adds up to more than the total. Delivered people count under "
            "their own group."
        ),
    )


@role_required
def period_report(request):
    report = _Report(request)
    rows = queries.period_rows(report.pledges, as_of=report.as_of)
    totals = queries.totals(report.pledges, as_of=report.as_of)
    if report.export:
        return report_exports.periods(rows, totals, file_format=report.export)
    table = PeriodReportTable(rows, totals=totals)
    RequestConfig(request, paginate=False).configure(table)
    # The latest quarters: what is happening now.
    bars = [Bar(row.label, row.pledged, row.delivered_to_date) for row in rows[-CHART_ROWS:]]
    return report.page(
        "reports/report.html",
        "report_periods",
        _("Per year and quarter"),
        table=table,
        bars=bars,
        totals=totals,
        note=_(
            "Each quarter counts the MoUs in force during it and the places they pledged; "
            "the placements that started in it; and what those MoUs had delivered by its "
            "end, which their fulfilment is measured on."
        ),
    )


def _summary_area(request) -> province.Area:
    user = request.user
    tree = authority_tree(user)
    root = summary_area_root(user)
    asked = whole_number(request.GET.get("area"))
    if root is None and asked in tree:
        root = asked
    year = whole_number(request.GET.get("year"))
    return province.Area(
        authority_ids=None if root is None else tree.subtree(root),
        name=tree.name(root) if root is not None else str(_("All provinces")),
        year=year if year is not None and 2000 <= year <= 2100 else None,
    )


def _is_whole_province(user) -> bool:
    root = summary_area_root(user)
    return root is None or authority_tree(user).province_of(root) == root


@role_required
def province_summary(request):
    if not can_see_province_summary(request.user):
        raise PermissionDenied
    area = _summary_area(request)
    rank_by = request.GET.get("rank_by", "")
    rank_by = rank_by if rank_by in province.RANK_BY else "delivered"
    summary = province.province_summary(
        user=request.user, area=area, as_of=timezone.localdate(), rank_by=rank_by
    )
    yearly = yearly_figures.yearly_report(
        user=request.user, area=area, as_of=summary.as_of, partner_rows=summary.partner_funnel
    )
    export = request.GET.get("_export")
    if export in FORMATS:
        return report_exports.province(summary, yearly=yearly, file_format=export)
    top = summary.ranking[: province.RANKING_SIZE]
    bars = [
        Bar(row["name"], row["pledged"], row["delivered"], flagged=bool(row["lagging_mous"]))
        for row in top[:CHART_ROWS]
    ]
    return render(
        request,
        "reports/province.html",
        {
            "report": "report_province",
            "reports": REPORTS,
            "can_see_province_summary": True,
            "summary": summary,
            # The figures reported each year, and the partners to commend (yearly_figures).
            "yearly": yearly.figures,
            "commended": yearly.commended,
            "people": summary.people,
            "ranking": top,
            "rank_by": rank_by,
            "areas": authority_tree(request.user).choices(set(authority_tree(request.user).roots()))
            if summary_area_root(request.user) is None
            else None,
            "selected_area": request.GET.get("area", ""),
            "years": province.summary_years(user=request.user, as_of=timezone.localdate()),
            # Staff see their own authority's area: the page is not "the whole province".
            "whole_province": _is_whole_province(request.user),
            "chart": pledged_vs_delivered(
                bars,
                title=str(_("Partners ranked: pledged and delivered")),
                description=str(_("The partners at the top of the ranking.")),
            ),
            "lag_margin": number_format(lag_margin() * 100, 0),
        },
    )
