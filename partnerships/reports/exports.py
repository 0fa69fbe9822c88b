"""The columns of each report's CSV/XLSX export, built from the same filtered, sorted rows
as the page (partnerships.core.downloads writes the file)."""

from django.utils.translation import gettext as _

from partnerships.core.downloads import spreadsheet
from partnerships.core.shares import percent_number, ratio
from partnerships.formats import day
from partnerships.models import (
    DOCUMENT_TYPE_CODE,
    AuthorityLevel,
    MouState,
    PledgeKind,
)
from partnerships.reports.queries import LINE_EXPORT_FIELDS, PARTNER_EXPORT_FIELDS


def _yes(flag: bool) -> str:
    return _("yes") if flag else ""


def _share(part, whole) -> float | None:
    return percent_number(ratio(part, whole))


def _totals_row(totals, *, leading: int, trailing: int = 0) -> list:
    """The footer as a last row: label, blanks, then the shared figures."""
    return [
        _("Total"),
        *[""] * (leading - 1),
        totals.pledged,
        totals.delivered,
        percent_number(totals.fulfilment),
        totals.retained_6,
        totals.eligible_6,
        percent_number(totals.retention_6),
        *[""] * trailing,
    ]


def _figure_headers() -> list[str]:
    return [
        _("Pledged"),
        _("Delivered"),
        _("Fulfilment (%)"),
        _("Still employed at 6 months"),
        _("Started 6 months ago or more"),
        _("Still employed at 6 months (%)"),
    ]


def lines(queryset, totals, *, file_format: str):
    """One row per pledge line, read with values_list() in the table's order."""
    # The authority beside the number: two authorities may both have a 5/BGN-UBND.
    headers = [
        _("MoU"),
        _("Authority"),
        _("Year"),
        _("Title"),
        _("Partner"),
        _("Tax code"),
        _("State"),
        _("Line"),
        _("Kind"),
        _("Occupation or trade"),
        *_figure_headers(),
        _("Term elapsed (%)"),
        _("MoU lagging"),
    ]
    states = {state: str(label) for state, label in MouState.choices}
    kinds = {kind: str(label) for kind, label in PledgeKind.choices}

    def rows():
        for (
            number,
            code,
            year,
            title,
            partner,
            tax_code,
            authority,
            state,
            line,
            kind,
            occupation,
            quantity,
            delivered,
            eligible,
            retained,
            elapsed,
            lagging,
        ) in queryset.values_list(*LINE_EXPORT_FIELDS).iterator(chunk_size=2000):
            yield [
                f"{number}/{DOCUMENT_TYPE_CODE}-{code}",
                authority,
                year,
                title,
                partner,
                tax_code,
                states.get(state, state),
                line,
                kinds.get(kind, kind),
                occupation,
                quantity,
                delivered,
                _share(delivered, quantity),
                retained,
                eligible,
                _share(retained, eligible),
                percent_number(elapsed),
                _yes(lagging),
            ]
        yield _totals_row(totals, leading=10, trailing=2)

    return spreadsheet(
        file_name="report-mous",
        file_format=file_format,
        sheets=[(_("Per MoU"), headers, rows())],
    )


def partners(queryset, totals, *, file_format: str):
    headers = [_("Partner"), _("Tax code"), _("MoUs"), *_figure_headers(), _("MoUs lagging")]

    def rows():
        for (
            name,
            tax_code,
            mou_count,
            pledged,
            delivered,
            eligible,
            retained,
            lagging,
        ) in queryset.values_list(*PARTNER_EXPORT_FIELDS).iterator(chunk_size=2000):
            yield [
                name,
                tax_code,
                mou_count,
                pledged,
                delivered,
                _share(delivered, pledged),
                retained,
                eligible,
                _share(retained, eligible),
                lagging,
            ]
        total = _totals_row(totals, leading=3, trailing=1)
        total[2] = totals.mous
        yield total

    return spreadsheet(
        file_name="report-partners",
        file_format=file_format,
        sheets=[(_("Per partner"), headers, rows())],
    )


def _figures(row) -> list:
    return [
        row.pledged,
        row.delivered,
        percent_number(row.fulfilment),
        row.retained_6,
        row.eligible_6,
        percent_number(row.retention_6),
    ]


def authorities(rows, totals, *, file_format: str):
    headers = [_("Authority"), _("Level"), _("Including, dissolved"), _("MoUs"), *_figure_headers()]
    body = [
        [
            row.label,
            str(AuthorityLevel(row.level).label) if row.level else "",
            row.note,
            row.mous,
            *_figures(row),
        ]
        for row in rows
    ]
    total = _totals_row(totals, leading=4)
    total[3] = totals.mous
    return spreadsheet(
        file_name="report-authorities",
        file_format=file_format,
        sheets=[(_("Per authority"), headers, [*body, total])],
    )


def groups(rows, totals, *, file_format: str):
    headers = [
        _("Target group"),
        *_figure_headers(),
        _("Delivered: women"),
        _("Delivered: men"),
        _("Still employed at 6 months: women (%)"),
        _("Still employed at 6 months: men (%)"),
    ]

    def by_gender(row) -> list:
        return [
            row.delivered_female,
            row.delivered_male,
            _share(row.retained_6_female, row.eligible_6_female),
            _share(row.retained_6_male, row.eligible_6_male),
        ]

    body = [[row.label, *_figures(row), *by_gender(row)] for row in rows]
    total = [_("Total"), *_figures(totals), *by_gender(totals)]
    return spreadsheet(
        file_name="report-target-groups",
        file_format=file_format,
        sheets=[(_("Per target group"), headers, [*body, total])],
    )


def periods(rows, totals, *, file_format: str):
    """Per quarter: MoUs in force and their pledged places, placements started in the
    quarter, and what the MoUs in force had delivered by its end (the fulfilment's base)."""
    headers = [
        _("Quarter"),
        _("MoUs in force"),
        _("Places pledged by MoUs in force"),
        _("Placements started in the quarter (confirmed)"),
        _("Delivered by these MoUs by the quarter's end"),
        _("Fulfilment by the quarter's end (%)"),
        _("Still employed at 6 months"),
        _("Started 6 months ago or more"),
        _("Still employed at 6 months (%)"),
    ]

    def figures(row, to_date):
        return [
            row.pledged,
            row.delivered,
            to_date,
            percent_number(row.fulfilment),
            row.retained_6,
            row.eligible_6,
            percent_number(row.retention_6),
        ]

    body = [[row.label, row.mous, *figures(row, row.delivered_to_date)] for row in rows]
    total = [_("Total"), totals.mous, *figures(totals, totals.delivered)]
    return spreadsheet(
        file_name="report-periods",
        file_format=file_format,
        sheets=[(_("Per quarter"), headers, [*body, total])],
    )


def province(summary, *, yearly, file_format: str):
    """Three sheets: the published figures (with those of the yearly report), the ranking
    of partners, and the partners proposed for commendation (yearly_figures.yearly_report)."""
    people, pledged = summary.people, summary.pledged
    figures_of_the_year = yearly.figures
    figures = [
        (_("Area"), summary.area.name),
        (_("Year"), summary.area.year or _("all years")),
        (_("As of"), day(summary.as_of)),
        (_("People employed by partner businesses"), people["employed"]),
        (_("of whom still employed now"), people["employed_now"]),
        (_("of whom on labour contracts"), people["employed_on_labour_contracts"]),
        (_("People trained (vocational training, apprenticeship)"), people["trained"]),
        (_("Women placed"), people["women"]),
        (_("Job places pledged"), pledged["jobs"]),
        (_("Job placements delivered"), people["delivered_jobs"]),
        (_("Training places pledged"), pledged["training"]),
        (_("Training placements delivered"), people["delivered_training"]),
        (_("Placements awaiting confirmation"), people["awaiting"]),
        (_("Still employed at 6 months (%)"), percent_number(summary.retention_6)),
        (_("Still employed at 12 months (%)"), percent_number(summary.retention_12)),
        (_("Partners with signed MoUs"), summary.partner_total),
        (_("Partners that took on people"), people["hiring_partners"]),
        *[
            (_("Partners: %(status)s") % {"status": label}, n)
            for _s, label, n in summary.partners_by_status
        ],
        (_("MoUs"), summary.mou_total),
        *[(_("MoUs: %(state)s") % {"state": label}, n) for _s, label, n in summary.mous_by_state],
        (_("MoUs lagging behind their term"), summary.lagging_mous),
        (
            _("People supported (registered with consent for referral and placement)"),
            figures_of_the_year.supported,
        ),
        (_("Referrals to partner businesses"), figures_of_the_year.referred),
        (_("of which the business met the person"), figures_of_the_year.interviewed),
        (_("of which ended in a hire"), figures_of_the_year.referrals_hired),
    ]
    commended_headers = [
        _("Rank"),
        _("Partner"),
        _("Tax code"),
        _("Pledged"),
        _("Delivered"),
        _("Fulfilment"),
        _("Still employed at 6 months"),
        _("Score"),
    ]
    commended = [
        [
            rank,
            row["name"],
            row["tax_code"],
            row["pledged"],
            row["delivered"],
            _share(row["delivered"], row["pledged"]),
            _share(row["retained_6"], row["eligible_6"]),
            percent_number(row["commendation"]),
        ]
        for rank, row in enumerate(yearly.commended, start=1)
    ]
    ranking_headers = [
        _("Rank"),
        _("Partner"),
        _("Tax code"),
        _("MoUs"),
        *_figure_headers(),
        _("MoUs lagging"),
    ]
    ranking = [
        [
            rank,
            row["name"],
            row["tax_code"],
            row["mou_count"],
            row["pledged"],
            row["delivered"],
            _share(row["delivered"], row["pledged"]),
            row["retained_6"],
            row["eligible_6"],
            _share(row["retained_6"], row["eligible_6"]),
            row["lagging_mous"],
        ]
        for rank, row in enumerate(summary.ranking, start=1)
    ]
    return spreadsheet(
        file_name="province-summary",
        file_format=file_format,
        sheets=[
            (_("Summary"), [_("Figure"), _("Value")], [[str(k), v] for k, v in figures]),
            (_("Ranking of partners"), ranking_headers, ranking),
            (_("Partners proposed for commendation"), commended_headers, commended),
        ],
    )
