"""CSV/XLSX exports of the funnel pages: the same filtered rows as the page, every count
the funnel has (the page leaves out a few for room), and the totals as the last row; the
not-hired reasons as a second sheet."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from partnerships.core.downloads import spreadsheet
from partnerships.core.shares import percent_number, ratio
from partnerships.models import DOCUMENT_TYPE_CODE
from partnerships.reports.tables import field

COUNTS = (
    "pledged",
    "referred",
    "interviewed",
    "delivered",
    "referrals_hired",
    "not_hired",
    "no_show",
    "referrals_expired",
    "referrals_ended",
    "referrals_in_progress",
)


def _count_headers() -> list[str]:
    return [
        _("Pledged"),
        pgettext("funnel", "Referred"),
        pgettext("funnel", "Interviewed"),
        _("Hired (confirmed)"),
        _("Referrals ending in a hire"),
        pgettext("funnel", "Not hired"),
        pgettext("funnel", "Did not come"),
        _("Expired"),
        pgettext("funnel", "Consent withdrawn"),
        _("Referrals in progress"),
    ]


def _retention_headers(months) -> list[str]:
    headers = []
    for m in months:
        headers += [
            _("Still employed at %(months)s months") % {"months": m},
            _("Started %(months)s months ago or more") % {"months": m},
            _("Still employed at %(months)s months (%%)") % {"months": m},
        ]
    return headers


# Per target group and gender: what a group counts (see funnel_tables.PERSON_GROUP_STAGES).
PERSON_GROUP_COUNTS = ("referred", "interviewed", "delivered")


def _figures(record, months, counts=COUNTS) -> list:
    values = [field(record, name) or 0 for name in counts]
    for m in months:
        retained = field(record, f"retained_{m}") or 0
        eligible = field(record, f"eligible_{m}") or 0
        values += [retained, eligible, percent_number(ratio(retained, eligible))]
    return values


def _reasons_sheet(totals):
    return (
        _("Reasons not hired"),
        [_("Reason"), pgettext("funnel", "Referrals")],
        [[label, n] for _reason, label, n in totals.reasons()],
    )


def funnel(view: str, rows, totals, *, file_format: str):
    """`rows`: pledge lines, partner dicts or funnel.Funnel rows, as the page's `view`."""
    months = (3, 6, 12) if view == "partners" else (6, 12)
    if view == "lines":
        labels = [_("MoU"), _("Authority"), _("Partner"), _("Line"), _("Occupation or trade")]

        def label(record):
            mou = record.mou
            return [
                f"{mou.number}/{DOCUMENT_TYPE_CODE}-{mou.authority.code}",
                mou.authority.name,
                mou.partner.name,
                record.line,
                record.occupation,
            ]
    elif view == "partners":
        labels = [_("Partner"), _("Tax code")]

        def label(record):
            return [record["name"], record["tax_code"]]
    else:
        labels = [_("Row"), _("Including, dissolved")]

        def label(record):
            return [record.label, record.note]

    counts, headers = COUNTS, _count_headers()
    if view == "groups":
        # A group counts its people, not places or the outcomes of referrals.
        counts = PERSON_GROUP_COUNTS
        headers = [header for name, header in zip(COUNTS, headers, strict=True) if name in counts]

    def body():
        for record in rows:
            yield [*label(record), *_figures(record, months, counts)]
        yield [_("Total"), *[""] * (len(labels) - 1), *_figures(totals, months, counts)]

    sheets = [
        (_("From pledge to job"), [*labels, *headers, *_retention_headers(months)], body()),
    ]
    if view != "groups":
        sheets.append(_reasons_sheet(totals))
    return spreadsheet(file_name=f"funnel-{view}", file_format=file_format, sheets=sheets)


def cohorts(rows, totals, *, file_format: str):
    months = (3, 6, 12)
    headers = [_("Quarter started"), _("People placed (confirmed)"), *_retention_headers(months)]

    def figures(record):
        values = [field(record, "delivered") or 0]
        for m in months:
            retained = field(record, f"retained_{m}") or 0
            eligible = field(record, f"eligible_{m}") or 0
            values += [retained, eligible, percent_number(ratio(retained, eligible))]
        return values

    body = [[row.label, *figures(row)] for row in rows]
    return spreadsheet(
        file_name="retention-cohorts",
        file_format=file_format,
        sheets=[(_("Retention by cohort"), headers, [*body, [_("Total"), *figures(totals)]])],
    )
