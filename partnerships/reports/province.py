"""The province summary: the figures provinces publish about reintegration through
partner businesses, and a ranking of partners for commendations. All counts in SQL.

The area is a province (or, for authority staff, their own authority and what is under it);
an optional year narrows it to MoUs in force during that year and placements started in it.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from partnerships.authorities.permissions import visible_mous
from partnerships.core.shares import ratio
from partnerships.models import (
    Confirmation,
    Mou,
    MouState,
    Partner,
    PartnerStatus,
    Placement,
    Pledge,
    PledgeKind,
)
from partnerships.placements.delivery import (
    confirmed_filter,
    eligible_filter,
    people_filters,
    placed_elsewhere,
    retained_filter,
)
from partnerships.reports.funnel import outdated_lines
from partnerships.reports.funnel import partner_rows as funnel_partner_rows
from partnerships.reports.measures import is_lagging, share, summed
from partnerships.reports.queries import PARTNER_EXPORT_FIELDS, lagging_mou_ids

TRAINING_KINDS = [PledgeKind.VOCATIONAL_TRAINING, PledgeKind.APPRENTICESHIP]
RANKING_SIZE = 20


def _retention_first(row) -> float:
    # A partner with no placement 6 months old yet has no retention: after any that has one.
    return -row["retention_6"] if row["retention_6"] is not None else 1.0


RANK_BY = {
    # name: sort key of the ranking's rows, the same on every database (PostgreSQL and
    # SQLite place NULLs differently)
    "delivered": lambda row: (
        -row["delivered"],
        _retention_first(row),
        row["name"],
        row["partner_id"],
    ),
    "retention": lambda row: (
        _retention_first(row),
        -row["delivered"],
        row["name"],
        row["partner_id"],
    ),
}


@dataclass
class Area:
    """What the summary covers: authority ids (None: everything the user sees), a name,
    and an optional year."""

    authority_ids: set[int] | None
    name: str
    year: int | None = None

    def mous(self, user) -> QuerySet[Mou]:
        mous = visible_mous(user)
        if self.authority_ids is not None:
            mous = mous.filter(authority_id__in=self.authority_ids)
        if self.year:
            # In force at some time during the year.
            mous = mous.filter(
                Q(term_start__isnull=True) | Q(term_start__lte=date(self.year, 12, 31)),
                Q(term_end__isnull=True) | Q(term_end__gte=date(self.year, 1, 1)),
            )
        return mous

    def placement_filter(self) -> Q:
        if not self.year:
            return Q()
        return Q(start_date__year=self.year)


@dataclass
class ProvinceSummary:
    area: Area
    as_of: date
    people: dict
    pledged: dict
    mous_by_state: list[tuple[str, str, int]]
    partners_by_status: list[tuple[str, str, int]]
    lagging_mous: int
    ranking: list = field(default_factory=list)
    # Over every year: the funnel's partner rows the ranking was made from, for the yearly
    # figures (yearly_figures.yearly_report), so the page reads the lines once.
    partner_funnel: list | None = None

    @property
    def retention_6(self) -> float | None:
        return ratio(self.people["retained_6"], self.people["eligible_6"])

    @property
    def retention_12(self) -> float | None:
        return ratio(self.people["retained_12"], self.people["eligible_12"])

    @property
    def mou_total(self) -> int:
        return sum(count for _state, _label, count in self.mous_by_state)

    @property
    def partner_total(self) -> int:
        return sum(count for _status, _label, count in self.partners_by_status)


def province_summary(*, user, area: Area, as_of: date, rank_by: str = "delivered"):
    mous = area.mous(user)
    signed_mous = mous.filter(state__in=MouState.SIGNED_ONCE)
    pledges = Pledge.objects.filter(mou__in=signed_mous.values("pk"))
    state_counts = dict(mous.order_by().values_list("state").annotate(n=Count("pk")))
    status_counts = dict(
        Partner.objects.filter(pk__in=signed_mous.values("partner"))
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    # Each MoU with lines, its partner and whether it lags, found once: for the count of
    # lagging MoUs, and the ranking's columns (a pass over every MoU with its lines).
    mous_with_lines = _mous_with_lines(pledges, as_of=as_of)
    lagging = [pk for pk, _partner, lags in mous_with_lines if lags]
    partner_funnel = None
    if area.year:
        people = _people_counted(pledges, area=area, as_of=as_of)
        pledged = pledges.aggregate(**_places_pledged())
        ranking = list(_ranking(pledges, as_of=as_of, year=area.year, lagging=lagging))
    else:
        # One pass over the lines and their tallies, grouped by partner, gives the ranking,
        # the people figures and the places pledged (the rows' sums), and the yearly figures.
        outdated = outdated_lines(pledges, as_of=as_of)
        partner_funnel = funnel_partner_rows(
            pledges,
            as_of=as_of,
            extra=_summary_aggregates(as_of=as_of, outdated=outdated),
            outdated=outdated,
        )
        mou_count = Counter(partner for _pk, partner, _lags in mous_with_lines)
        lagging_count = Counter(partner for _pk, partner, lags in mous_with_lines if lags)
        for row in partner_funnel:
            row["fulfilment"] = ratio(row["delivered"], row["pledged"])
            row["mou_count"] = mou_count[row["partner_id"]]
            row["lagging_mous"] = lagging_count[row["partner_id"]]
        people = _people_tallied(pledges, partner_funnel, as_of=as_of, outdated=outdated)
        pledged = {name: sum(row[f"pledged_{name}"] for row in partner_funnel) for name in PLACES}
        ranking = list(partner_funnel)
    ranking.sort(key=RANK_BY.get(rank_by, RANK_BY["delivered"]))
    return ProvinceSummary(
        area=area,
        as_of=as_of,
        people=people,
        pledged=pledged,
        mous_by_state=[
            (state, label, state_counts.get(state, 0)) for state, label in MouState.choices
        ],
        partners_by_status=[
            (status, label, status_counts.get(status, 0)) for status, label in PartnerStatus.choices
        ],
        lagging_mous=len(lagging),
        ranking=ranking,
        partner_funnel=partner_funnel,
    )


# The places the summary counts apart: jobs, and training (vocational or apprenticeship).
PLACES = {"jobs": [PledgeKind.JOB], "training": TRAINING_KINDS}


def _places_pledged(prefix: str = "") -> dict:
    return {
        f"{prefix}{name}": Coalesce(Sum("quantity", filter=Q(kind__in=kinds)), 0)
        for name, kinds in PLACES.items()
    }


def _mous_with_lines(pledges: QuerySet[Pledge], *, as_of: date) -> list[tuple[int, int, bool]]:
    """(MoU id, partner id, lags behind its term) of each MoU with one of these lines: one
    query that weighs each MoU's lines as the lag flag does everywhere (measures.is_lagging).
    Counting MoUs per partner here, not with COUNT(DISTINCT …) in the partners' pass, spares
    that pass two sorts of every line."""
    pledged = Coalesce(Sum("pledges__quantity"), 0)
    delivered = summed("delivered", as_of=as_of, prefix="pledges__")
    return list(
        Mou.objects.filter(pk__in=pledges.values("mou"))
        .order_by()
        .annotate(lags=is_lagging(as_of=as_of, delivered=delivered, pledged=pledged))
        .values_list("pk", "partner_id", "lags")
    )


def _summary_aggregates(*, as_of: date, outdated) -> dict:
    """What the summary needs of each partner's lines besides the funnel: places pledged by
    kind, and from the lines' tallies for the day (the other lines are counted by
    _people_tallied) the people placed on that line alone, delivered by kind and awaiting
    confirmation. With no outdated line (`outdated` is None) every tally is read, as the
    funnel's counts are: a tally outdated meanwhile counts in both or in neither."""
    fresh = None if outdated is None else Q(tally__as_of=as_of)
    return {
        **_places_pledged(prefix="pledged_"),
        **{
            f"delivered_{name}": Coalesce(
                Sum("tally__delivered", filter=Q(kind__in=kinds) & (fresh or Q())), 0
            )
            for name, kinds in PLACES.items()
        },
        "awaiting": Coalesce(Sum("tally__reported", filter=fresh), 0),
        "shared_placements": Coalesce(Sum("tally__shared_placements", filter=fresh), 0),
        **{
            f"sole_{name}": Coalesce(Sum(f"tally__sole_{name}", filter=fresh), 0)
            for name in people_filters()
        },
    }


def _people_counted(pledges: QuerySet[Pledge], *, area: Area, as_of: date) -> dict:
    """The people figures of a year, from the placements started in it (one aggregate
    query over them; the tallies hold every year together)."""
    confirmed = confirmed_filter()
    jobs, training = Q(kind=PledgeKind.JOB), Q(kind__in=TRAINING_KINDS)
    placements = Placement.objects.filter(pledge__in=pledges.values("pk")).filter(
        area.placement_filter()
    )
    return placements.aggregate(
        **{
            name: Count("person", distinct=True, filter=condition)
            for name, condition in people_filters().items()
        },
        delivered_jobs=Count("pk", filter=confirmed & jobs),
        delivered_training=Count("pk", filter=confirmed & training),
        awaiting=Count("pk", filter=Q(confirmation=Confirmation.REPORTED)),
        hiring_partners=Count("pledge__mou__partner", distinct=True, filter=confirmed),
        eligible_6=Count("pk", filter=eligible_filter(6, as_of=as_of)),
        retained_6=Count("pk", filter=retained_filter(6, as_of=as_of)),
        eligible_12=Count("pk", filter=eligible_filter(12, as_of=as_of)),
        retained_12=Count("pk", filter=retained_filter(12, as_of=as_of)),
    )


def _people_tallied(pledges: QuerySet[Pledge], rows: list[dict], *, as_of: date, outdated) -> dict:
    """The people figures over every year: the partner rows' sums (their tallies, and the
    retention counts of every line) plus, where needed, one query over the placements of
    the lines the tallies cannot answer for.

    Each person counts once. A person placed on one line only is in that line's sole_*
    counts; the others (placed on several lines), and everyone on a line not counted for
    the day, are counted from the placements of just those lines: the lines with shared
    placements and the outdated ones, usually few (as are the deliveries by kind and the
    placements awaiting confirmation of the outdated lines, counted in the same query).
    With no such line (`outdated`, from funnel.outdated_lines(), is None and no tally
    shares a placement), the rows answer alone."""
    if outdated is None and not any(row["shared_placements"] for row in rows):
        counted = dict.fromkeys([*people_filters(), *LIVE_COUNTS], 0)
    else:
        counted = _counted_live(pledges, as_of=as_of)
    figures = {name: sum(row[name] for row in rows) + counted[name] for name in LIVE_COUNTS}
    for name in ("eligible_6", "retained_6", "eligible_12", "retained_12"):
        figures[name] = sum(row[name] for row in rows)
    for name in people_filters():
        figures[name] = sum(row[f"sole_{name}"] for row in rows) + counted[name]
    figures["hiring_partners"] = sum(1 for row in rows if row["delivered"])
    return figures


# What _counted_live() adds to the rows' sums besides the people.
LIVE_COUNTS = ("delivered_jobs", "delivered_training", "awaiting")


def _counted_live(pledges: QuerySet[Pledge], *, as_of: date) -> dict:
    """The people placed on several lines, or on lines outdated for the day, and the
    outdated lines' deliveries by kind and placements awaiting confirmation, counted from
    the placements of just those lines."""
    lines = pledges.order_by()
    outdated = Q(tally__isnull=True) | Q(tally__as_of__lt=as_of) | Q(tally__as_of__gt=as_of)
    counted_lines = lines.filter(outdated | Q(tally__shared_placements__gt=0)).values("pk")
    on_outdated_line = Q(pledge__in=lines.filter(outdated).values("pk"))
    confirmed = confirmed_filter()
    return (
        Placement.objects.filter(pledge__in=counted_lines)
        .annotate(elsewhere=placed_elsewhere())
        .filter(on_outdated_line | Q(elsewhere=True))
        .aggregate(
            **{
                name: Count("person", distinct=True, filter=condition)
                for name, condition in people_filters().items()
            },
            **{
                f"delivered_{name}": Count(
                    "pk", filter=on_outdated_line & confirmed & Q(pledge__kind__in=kinds)
                )
                for name, kinds in PLACES.items()
            },
            awaiting=Count("pk", filter=on_outdated_line & Q(confirmation=Confirmation.REPORTED)),
        )
    )


def _ranking(pledges: QuerySet[Pledge], *, as_of: date, year: int, lagging=None) -> QuerySet:
    """Partners with their figures of one year, as dicts like queries.partner_rows()
    (`lagging`: the ids of the lagging MoUs, when already found): the placements started in
    the year, counted directly (the tallies hold every year together), one correlated
    subquery per partner and figure. Over every year the summary ranks the funnel's
    partner rows instead."""
    lines = Pledge.objects.filter(pk__in=pledges.values("pk"), mou__partner=OuterRef("pk"))
    placements = Placement.objects.filter(
        pledge__in=pledges.values("pk"),
        pledge__mou__partner=OuterRef("pk"),
        start_date__year=year,
    )
    if lagging is None:
        lagging = lagging_mou_ids(pledges, as_of=as_of)

    def number(queryset, aggregate) -> Coalesce:
        grouped = queryset.order_by().values(
            "mou__partner" if queryset.model is Pledge else "pledge__mou__partner"
        )
        return Coalesce(
            Subquery(grouped.annotate(n=aggregate).values("n"), output_field=IntegerField()), 0
        )

    return (
        Partner.objects.filter(pk__in=pledges.values("mou__partner"))
        .annotate(
            mou_count=number(lines, Count("mou", distinct=True)),
            pledged=number(lines, Sum("quantity")),
            delivered=number(placements, Count("pk", filter=confirmed_filter())),
            eligible_6=number(placements, Count("pk", filter=eligible_filter(6, as_of=as_of))),
            retained_6=number(placements, Count("pk", filter=retained_filter(6, as_of=as_of))),
            lagging_mous=number(lines.filter(mou__in=lagging), Count("mou", distinct=True)),
        )
        .annotate(
            fulfilment=share(F("delivered"), F("pledged")),
            retention_6=share(F("retained_6"), F("eligible_6")),
        )
        .values(*PARTNER_EXPORT_FIELDS, "fulfilment", "retention_6", partner_id=F("pk"))
    )


def summary_years(*, user, as_of: date) -> list[int]:
    """The years the year filter offers, newest first: from the first year an MoU the user
    sees was in force to this year (one short aggregate query)."""
    first = visible_mous(user).aggregate(first=Min("term_start"))["first"]
    first_year = min(first.year, as_of.year) if first else as_of.year
    return list(range(as_of.year, first_year - 1, -1))
