"""The funnel pages: from pledge to job (places pledged, people referred, interviewed,
hired, still employed at 6 and 12 months, and what became of the other referrals), seen per
partner, MoU line, authority, or target group and gender; and retention by cohort.

Counts only, for every role: no person and no name appears. What each user counts is
decided by permissions.visible_mous, through queries.report_pledges(), as on every report.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django_tables2 import RequestConfig

from partnerships.authorities.permissions import (
    authority_scope,
    authority_tree,
    can_see_province_summary,
)
from partnerships.core.access import role_required
from partnerships.core.downloads import FORMATS
from partnerships.core.params import whole_number
from partnerships.reports import funnel, funnel_exports, queries
from partnerships.reports.funnel_chart import funnel_chart
from partnerships.reports.funnel_filters import VIEWS, FunnelFilter
from partnerships.reports.funnel_tables import (
    CohortTable,
    FunnelGroupedTable,
    FunnelLineTable,
    FunnelPartnerTable,
    FunnelPersonGroupTable,
)
from partnerships.reports.navigation import REPORT_PAGES
from partnerships.reports.tables import CountedPaginator

PER_PAGE = 25
VIEW_LABELS = {
    "partners": gettext_lazy("Per partner"),
    "lines": gettext_lazy("Per MoU line"),
    "authorities": gettext_lazy("Per authority"),
    "groups": gettext_lazy("Per target group and gender"),
}


class _Funnel:
    """The scoped, filtered pledge lines a funnel page counts, and how it is asked for."""

    def __init__(self, request):
        self.request = request
        self.as_of = timezone.localdate()
        user = request.user
        self.scope = authority_scope(user)
        self.tree = authority_tree(user) if self.scope is None or self.scope else None
        self.filter = FunnelFilter(
            request.GET or None,
            queryset=queries.report_pledges(user=user),
            tree=self.tree,
            scope=self.scope,
        )
        self.pledges = self.filter.qs if self.filter.is_bound else self.filter.queryset
        export = request.GET.get("_export")
        self.export = export if export in FORMATS else None
        view = request.GET.get("by", "partners")
        self.view = view if view in VIEWS else "partners"

    def page(self, template: str, name: str, **context):
        return render(
            self.request,
            template,
            {
                "report": name,
                "reports": REPORT_PAGES,
                "filter": self.filter,
                "as_of": self.as_of,
                "can_see_province_summary": can_see_province_summary(self.request.user),
                **context,
            },
        )


def _stages(totals: funnel.Funnel) -> list[tuple[str, int]]:
    return [
        (_("Places pledged"), totals.pledged),
        (_("People referred"), totals.referred),
        (pgettext("funnel", "Interviewed"), totals.interviewed),
        (_("Hired (confirmed placements)"), totals.delivered),
        (_("Still employed at 6 months"), totals.retained_6),
        (_("Still employed at 12 months"), totals.retained_12),
    ]


def _table(report: _Funnel):
    """The table of the view asked for, the report's totals, and how many rows there are to
    page through (None: the table is not paged). Where the rows share out the lines
    (partners, authority branches) the totals are their sum, so the lines are read once."""
    pledges, as_of = report.pledges, report.as_of
    if report.view == "lines":
        outdated = funnel.outdated_lines(pledges, as_of=as_of)
        totals = funnel.funnel_totals(pledges, as_of=as_of, outdated=outdated)
        rows = funnel.line_rows(pledges, as_of=as_of, outdated=outdated)
        return FunnelLineTable(rows, totals=totals), totals, totals.lines
    if report.view == "partners":
        rows = funnel.partner_rows(pledges, as_of=as_of)
        totals = funnel.totals_of(rows)
        return FunnelPartnerTable(rows, totals=totals), totals, len(rows)
    if report.view == "authorities":
        tree = report.tree or authority_tree(report.request.user)
        scope = report.scope or None
        branches = queries.authority_branches(tree, root_id=_root(report, tree), scope=scope)
        rows, totals = funnel.authority_rows(pledges, tree=tree, branches=branches, as_of=as_of)
    else:
        rows = funnel.group_rows(pledges, as_of=as_of)
        totals = funnel.group_totals(pledges, rows)
        return FunnelPersonGroupTable(rows, totals=totals), totals, None
    return FunnelGroupedTable(rows, totals=totals), totals, None


def _root(report: _Funnel, tree) -> int | None:
    """The authority whose branches are rows: the filter's authority, or the only one the
    user sees at the top (as the report per authority)."""
    raw = report.request.GET.get("authority", "")
    if raw and report.filter.is_bound and report.filter.is_valid():
        root = whole_number(raw)
        if root is None or root not in tree or (report.scope and root not in report.scope):
            raise Http404
        return root
    if report.scope:
        roots = tree.roots(report.scope)
        if len(roots) == 1:
            return roots[0]
    return None


@role_required
def funnel_report(request):
    report = _Funnel(request)
    table, totals, count = _table(report)
    if report.export:
        RequestConfig(request, paginate=False).configure(table)
        rows = table.data.data
        if report.view == "lines":
            rows = rows.iterator(chunk_size=2000)
        return funnel_exports.funnel(report.view, rows, totals, file_format=report.export)
    if count is None:
        RequestConfig(request, paginate=False).configure(table)
    else:
        RequestConfig(
            request,
            paginate={"per_page": PER_PAGE, "paginator_class": CountedPaginator, "count": count},
        ).configure(table)
    title = _("From pledge to job")
    return report.page(
        "reports/funnel.html",
        "report_funnel",
        title=title,
        table=table,
        totals=totals,
        views=[(name, VIEW_LABELS[name]) for name in VIEWS],
        view=report.view,
        chart=funnel_chart(
            _stages(totals),
            title=title,
            description=_(
                "How many places were pledged, people referred, interviewed and hired, and "
                "still employed 6 and 12 months after starting, for the lines selected."
            ),
        ),
    )


@role_required
def cohort_report(request):
    report = _Funnel(request)
    rows = funnel.cohort_rows(report.pledges, as_of=report.as_of)
    totals = funnel.Funnel(counts=_cohort_totals(rows))
    if report.export:
        return funnel_exports.cohorts(rows, totals, file_format=report.export)
    table = CohortTable(rows, totals=totals)
    RequestConfig(request, paginate=False).configure(table)
    return report.page(
        "reports/cohorts.html", "report_cohorts", title=_("Retention by cohort"), table=table
    )


def _cohort_totals(rows) -> dict:
    """The cohorts added up (every placement counts in exactly one quarter)."""
    totals: dict = {}
    for row in rows:
        for name in funnel.COHORT_COUNTS:
            totals[name] = totals.get(name, 0) + (row.counts.get(name) or 0)
    return totals
