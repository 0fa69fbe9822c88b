"""What the province summary adds for the figures officials report each year (people
supported, referred, trained, employed by partner businesses, still employed), and the
ranking of partners for commendation. Counts in SQL; reports/province.py has the rest.

Commendation rule (said on the page): partners that took on at least one person and have
at least one placement 6 months old are ranked by the mean of their fulfilment (people
delivered over places pledged, counted up to 100 %) and their retention at 6 months (the
share still employed 6 months after starting); ties go to the partner that delivered more.
Both halves weigh the same: a partner that fills every place but loses people soon after
ranks below one that fills most and keeps them.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from partnerships.core.shares import ratio
from partnerships.models import MouState, Person, Pledge, Referral
from partnerships.reports import province
from partnerships.reports.funnel import partner_rows as funnel_partner_rows
from partnerships.reports.referral_counts import interviewed_filter

COMMENDED = 10
REFERRAL_FIGURES = ("referred", "interviewed", "referrals_hired")


@dataclass
class YearlyFigures:
    supported: int
    referred: int
    interviewed: int
    referrals_hired: int


def _pledges(user, area: "province.Area") -> QuerySet[Pledge]:
    mous = area.mous(user).filter(state__in=MouState.SIGNED_ONCE)
    return Pledge.objects.filter(mou__in=mous.values("pk"))


@dataclass
class YearlyReport:
    figures: YearlyFigures
    commended: list[dict]


def yearly_report(
    *, user, area: "province.Area", as_of: date, partner_rows: list[dict] | None = None
) -> YearlyReport:
    """The yearly figures and the partners to commend, for the summary page: over every
    year both come from the funnel's partner rows (one pass over the tallies: the rows
    share out the lines, so their sums are the area's referral figures), `partner_rows`
    when the summary has read them already (ProvinceSummary.partner_funnel)."""
    pledges = _pledges(user, area)
    if area.year:
        return YearlyReport(
            figures=_figures_of_year(area=area, pledges=pledges),
            commended=_commended(province._ranking(pledges, as_of=as_of, year=area.year)),
        )
    rows = partner_rows if partner_rows is not None else funnel_partner_rows(pledges, as_of=as_of)
    counts = {name: sum(row[name] for row in rows) for name in REFERRAL_FIGURES}
    return YearlyReport(
        figures=YearlyFigures(supported=_people(area).count(), **counts),
        commended=_commended(rows),
    )


def _people(area: "province.Area") -> QuerySet[Person]:
    people = Person.objects.all()
    if area.authority_ids is not None:
        people = people.filter(owning_authority_id__in=area.authority_ids)
    if area.year:
        people = people.filter(consent_given_on__year=area.year)
    return people


def _figures_of_year(*, area: "province.Area", pledges) -> YearlyFigures:
    counts = Referral.objects.filter(
        pledge__in=pledges.values("pk"), referred_on__year=area.year
    ).aggregate(
        referred=Count("pk"),
        interviewed=Count("pk", filter=interviewed_filter()),
        referrals_hired=Count("pk", filter=Q(status="hired")),
    )
    return YearlyFigures(supported=_people(area).count(), **counts)


def yearly_figures(*, user, area: "province.Area", as_of: date) -> YearlyFigures:
    """People supported: people registered with consent by the area's authorities (for a
    year: who gave consent in it). Referred, interviewed, hired through a referral: the
    referrals to the area's lines (for a year: made in it); from the tallies over every
    year, counted from the referrals for one year."""
    return yearly_report(user=user, area=area, as_of=as_of).figures


def commendation_ranking(*, user, area: "province.Area", as_of: date) -> list[dict]:
    """The partners to commend, best first (the rule in the module docstring), as dicts
    with name, pledged, delivered, eligible_6, retained_6 and their `commendation` score
    (0 to 1). Over every year from the funnel's partner rows (tallies); for one year, from
    the province summary's ranking (placements started in it)."""
    return yearly_report(user=user, area=area, as_of=as_of).commended


def _commended(rows) -> list[dict]:
    scored = []
    for row in rows:
        if not row["delivered"] or not row["eligible_6"]:
            continue
        fulfilment = min(ratio(row["delivered"], row["pledged"]) or 0.0, 1.0)
        retention = ratio(row["retained_6"], row["eligible_6"])
        scored.append({**row, "commendation": (fulfilment + retention) / 2})
    scored.sort(key=lambda row: (-row["commendation"], -row["delivered"], row["name"]))
    return scored[:COMMENDED]
