"""The delivery funnel: places pledged → people referred → interviewed → hired (confirmed
placements) → still employed at 6 and 12 months, with what became of the referrals that did
not lead to a hire, and retention per cohort (placements started in the same quarter).

Rows, as the other reports (reports/queries.py), per MoU line, per partner (which is also
retention per employer), per authority (rolled up over each branch, a dissolved body under
its successor), and per target group and gender; a report's filters narrow the scoped lines
of queries.report_pledges().

Every count comes from the lines' tallies (models.DeliveryTally, GroupTally, PeriodTally;
reports/tallies.py and funnel_tallies.py recount them), a line whose tally is not for the
day being counted from its referrals and placements while the page is read
(measures.tallied). So a page reads pledge lines and tally rows, never the millions of
referrals and placements, and its queries do not grow with them.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.core.shares import ratio
from partnerships.models import (
    NOT_HIRED_REASON_COUNTS,
    REFERRAL_TALLY_COUNTS,
    DeliveryTally,
    Gender,
    GroupTally,
    NotHiredReason,
    Partner,
    PeriodTally,
    Placement,
    Pledge,
    Referral,
    TargetGroup,
)
from partnerships.placements.delivery import delivery_annotations
from partnerships.reports.measures import share, tallied
from partnerships.reports.referral_counts import REASON_COUNTS, referral_annotations

# Placement counts the funnel reads from the tallies (hired is "delivered").
DELIVERY_COUNTS = (
    "delivered",
    "eligible_3",
    "retained_3",
    "eligible_6",
    "retained_6",
    "eligible_12",
    "retained_12",
)
FUNNEL_COUNTS = ("pledged", *REFERRAL_TALLY_COUNTS, *DELIVERY_COUNTS)
ROW_REFERRAL_COUNTS = tuple(
    name for name in REFERRAL_TALLY_COUNTS if name not in NOT_HIRED_REASON_COUNTS
)
# By target group and gender (GroupTally's counts) and by cohort (PeriodTally's).
GROUP_COUNTS = (
    "referred",
    "interviewed",
    "delivered",
    "eligible_6",
    "retained_6",
    "eligible_12",
    "retained_12",
)
COHORT_COUNTS = DELIVERY_COUNTS


def tallied_referrals(name: str, *, as_of: date, prefix: str = "") -> Case:
    """A line's referral count (`prefix` reaches the line): from its tally when the tally
    is for `as_of`, else counted from its referrals now (as measures.tallied does for
    placements; reports never write)."""
    live = Subquery(
        Referral.objects.filter(pledge=OuterRef(f"{prefix}pk"))
        .order_by()
        .values("pledge")
        .annotate(count=referral_annotations()[name])
        .values("count"),
        output_field=IntegerField(),
    )
    return Case(
        When(**{f"{prefix}tally__as_of": as_of}, then=F(f"{prefix}tally__{name}")),
        default=Coalesce(live, 0),
        output_field=IntegerField(),
    )


# Passed for `outdated` when the lines to count live have not been looked for yet.
LOOK_FOR_OUTDATED = object()


def grouped_counts(
    pledges: QuerySet[Pledge],
    *,
    as_of: date,
    key=None,
    extra=None,
    outdated=LOOK_FOR_OUTDATED,
) -> dict:
    """{key: counts} over these lines, `key(prefix)` giving the grouping expression from a
    row reaching the line through `prefix` ("" on lines, "pledge__" on referrals and
    placements; None: one group, keyed None). Up to four queries (five for one group):

    - over the lines: places pledged (and `extra` aggregates), and the sums of the tally
      columns of lines whose tally is for `as_of` (plain sums: no line is counted twice;
      for one group, the tallies are summed by a query of their own);
    - the referrals, then the placements, of the other lines (changed since the recount,
      or every line before the day's), counted live; skipped when there are none (one
      query finds them: outdated_lines(), or pass what it returned as `outdated`, when a
      page counts the same lines twice).

    Splitting the two keeps each query simple for the planner: a sum per column, not a
    CASE with a subquery per column and line (measures.tallied), whose estimated cost
    led PostgreSQL to nested loops over every partner and MoU.
    """
    tally_names = (*REFERRAL_TALLY_COUNTS, *DELIVERY_COUNTS)
    other = outdated_lines(pledges, as_of=as_of) if outdated is LOOK_FOR_OUTDATED else outdated
    if key is None:
        # One group: the lines' own figures, and the sums of the tallies of these lines,
        # in two queries. Summing the tallies on their own (the lines as a subquery) lets
        # the database skip joining every line to its tally: about a third faster.
        tallies = DeliveryTally.objects.filter(pledge__in=pledges.order_by().values("pk"))
        if other is not None:
            tallies = tallies.filter(as_of=as_of)
        sources = [
            (pledges, "", {"pledged": Coalesce(Sum("quantity"), 0), **(extra or {})}),
            (tallies, "", {name: Coalesce(Sum(name), 0) for name in tally_names}),
        ]
    else:
        # With no outdated line every tally is for `as_of`: no need to test each row's day.
        fresh = None if other is None else Q(tally__as_of=as_of)
        line_figures = {
            "pledged": Coalesce(Sum("quantity"), 0),
            **(extra or {}),
            **{name: Coalesce(Sum(f"tally__{name}", filter=fresh), 0) for name in tally_names},
        }
        sources = [(pledges, "", line_figures)]
    referrals, placements = referral_annotations(), delivery_annotations(as_of=as_of)
    if other is not None:
        sources += [
            (
                Referral.objects.filter(pledge__in=other),
                "pledge__",
                {name: referrals[name] for name in REFERRAL_TALLY_COUNTS},
            ),
            (
                Placement.objects.filter(pledge__in=other),
                "pledge__",
                {name: placements[name] for name in DELIVERY_COUNTS},
            ),
        ]
    counts: dict = {}
    for queryset, prefix, figures in sources:
        queryset = queryset.order_by()
        if key is None:
            rows = [{"group_key": None, **queryset.aggregate(**figures)}]
        else:
            rows = queryset.values(group_key=key(prefix)).annotate(**figures)
        for row in rows:
            _add(counts, row.pop("group_key"), row, row.keys())
    return counts


@dataclass
class Funnel:
    """The funnel of one row or of a whole report: counts by name, and the shares a page
    shows. Missing counts read as 0."""

    counts: dict = field(default_factory=dict)
    key: object = None
    label: str = ""
    note: str = ""
    level: str = ""

    def __getattr__(self, name):
        counts = self.__dict__.get("counts")
        if counts is not None and (name in counts or name in FUNNEL_COUNTS):
            return counts.get(name) or 0
        raise AttributeError(name)

    def retention(self, months: int) -> float | None:
        return ratio(self.counts.get(f"retained_{months}"), self.counts.get(f"eligible_{months}"))

    @property
    def retention_3(self) -> float | None:
        return self.retention(3)

    @property
    def retention_6(self) -> float | None:
        return self.retention(6)

    @property
    def retention_12(self) -> float | None:
        return self.retention(12)

    @property
    def referred_share(self) -> float | None:
        """Referrals made for each place pledged."""
        return ratio(self.referred, self.pledged)

    @property
    def hired_share(self) -> float | None:
        """Places pledged that were filled (confirmed placements)."""
        return ratio(self.delivered, self.pledged)

    def reasons(self) -> list[tuple[str, str, int]]:
        """(reason, label, referrals not hired for it), in the list's order."""
        labels = dict(NotHiredReason.choices)
        return [
            (reason, str(labels[reason]), self.counts.get(name) or 0)
            for name, reason in REASON_COUNTS.items()
        ]


def funnel_totals(pledges: QuerySet[Pledge], *, as_of: date, outdated=LOOK_FOR_OUTDATED) -> Funnel:
    """A report's funnel over every filtered line, with how many lines it covers (the page
    count of the table of lines; the partners' table counts its rows)."""
    extra = {"lines": Count("pk")}
    counts = grouped_counts(pledges, as_of=as_of, extra=extra, outdated=outdated).get(None, {})
    return Funnel(counts=counts)


def totals_of(rows) -> Funnel:
    """The funnel of rows that share out the lines between them, each line in exactly one
    row (partners, or authority branches with the lines outside them): their counts added
    up, with no second pass over the lines."""
    totals: dict = {}
    for row in rows:
        _add(totals, None, row, ("lines", *FUNNEL_COUNTS))
    return Funnel(counts=totals.get(None, {}))


# --- Rows per MoU line and per partner: querysets, paged and sorted by the table ---


def _shares() -> dict:
    return {
        "retention_6": share(F("retained_6"), F("eligible_6")),
        "retention_12": share(F("retained_12"), F("eligible_12")),
    }


# What a row of the table of lines shows (and its export): no reasons, retention at 6 and
# 12 months.
LINE_COUNTS = (
    *ROW_REFERRAL_COUNTS,
    "delivered",
    "eligible_6",
    "retained_6",
    "eligible_12",
    "retained_12",
)


def line_rows(
    pledges: QuerySet[Pledge], *, as_of: date, outdated=LOOK_FOR_OUTDATED
) -> QuerySet[Pledge]:
    """Each line with its funnel. When no line is outdated (`outdated`, from
    outdated_lines(), is None: the usual case) the counts are the tallies' columns, read by
    one join; else each line's count is its tally's or, for an outdated line, counted live
    (a subquery per count, evaluated only for the page's rows)."""
    other = outdated_lines(pledges, as_of=as_of) if outdated is LOOK_FOR_OUTDATED else outdated
    if other is None:
        counts = {name: F(f"tally__{name}") for name in LINE_COUNTS}
    else:
        counts = {
            **{
                name: tallied_referrals(name, as_of=as_of)
                for name in LINE_COUNTS
                if name in REFERRAL_TALLY_COUNTS
            },
            **{
                name: tallied(name, as_of=as_of)
                for name in LINE_COUNTS
                if name not in REFERRAL_TALLY_COUNTS
            },
        }
    return (
        pledges.select_related("mou__authority", "mou__partner")
        .annotate(**counts)
        .annotate(pledged=F("quantity"), **_shares())
    )


def partner_rows(
    pledges: QuerySet[Pledge],
    *,
    as_of: date,
    extra: dict | None = None,
    outdated=LOOK_FOR_OUTDATED,
) -> list[dict]:
    """One row (a dict) per partner with a filtered line: the funnel of those lines (with
    the reasons for not hiring and the number of lines, so the rows add up to the report's
    totals: totals_of()) and its retention at 3, 6 and 12 months (retention per employer),
    sorted and paged by the table (a few hundred partners, not the lines). `extra`: more
    aggregates over each partner's lines, computed in the same pass; `outdated`: as for
    grouped_counts()."""
    counts = grouped_counts(
        pledges,
        as_of=as_of,
        key=lambda prefix: F(f"{prefix}mou__partner"),
        extra={"lines": Count("pk"), **(extra or {})},
        outdated=outdated,
    )
    names = Partner.objects.filter(pk__in=list(counts)).values_list("pk", "name", "tax_code")
    rows = []
    for partner_id, name, tax_code in names:
        row = {"partner_id": partner_id, "name": name, "tax_code": tax_code}
        row |= dict.fromkeys(("lines", *FUNNEL_COUNTS), 0)
        row |= counts[partner_id]
        for months in (3, 6, 12):
            row[f"retention_{months}"] = ratio(row[f"retained_{months}"], row[f"eligible_{months}"])
        rows.append(row)
    return rows


# --- Rows per authority and per target group and gender: short lists ---


def authority_rows(
    pledges: QuerySet[Pledge],
    *,
    tree: AuthorityTree,
    branches: list[tuple[int, set[int]]],
    as_of: date,
) -> tuple[list[Funnel], Funnel]:
    """One row per branch (queries.authority_branches), rolled up over every authority in
    it, a dissolved body's MoUs under its successor: grouped by branch; and the totals of
    every line (those of no branch too), from the same query."""
    if not branches:
        return [], funnel_totals(pledges, as_of=as_of)

    def bucket(prefix: str) -> Case:
        return Case(
            *[
                When(**{f"{prefix}mou__authority_id__in": sorted(ids)}, then=Value(key))
                for key, ids in branches
            ],
            default=Value(None),
            output_field=IntegerField(),
        )

    groups = grouped_counts(pledges, as_of=as_of, key=bucket, extra={"lines": Count("pk")})
    rows = []
    for key, ids in branches:
        if key not in groups:
            continue
        merged = sorted(
            tree.name(pk)
            for pk in ids
            if tree.nodes[pk].is_merged_away and tree.nodes[pk].successor_id == key
        )
        node = tree.nodes[key]
        rows.append(
            Funnel(
                counts=groups[key],
                key=key,
                label=node.name,
                note=", ".join(merged),
                level=node.level,
            )
        )
    return rows, totals_of(groups.values())


def fresh_lines(pledges: QuerySet[Pledge], *, other, as_of: date):
    """The lines whose breakdown tallies are read, as a subquery of ids: all of them when
    none is outdated (`other`, from outdated_lines(), is None: the usual case, and the
    database then need not read the delivery tallies to find them)."""
    if other is None:
        return pledges.values("pk")
    return _fresh_and_other(pledges, as_of=as_of)[0]


def _fresh_and_other(pledges: QuerySet[Pledge], *, as_of: date):
    """The lines whose tally is for `as_of` (read from their breakdown tallies), and the
    others (counted from their referrals and placements), as subqueries of ids."""
    fresh = pledges.filter(tally__as_of=as_of).values("pk")
    other = pledges.filter(
        Q(tally__isnull=True) | Q(tally__as_of__lt=as_of) | Q(tally__as_of__gt=as_of)
    ).values("pk")
    return fresh, other


# Up to this many outdated lines are named in the live queries (the database then reads
# their referrals and placements by index); beyond, a subquery selects them.
OUTDATED_LISTED = 5000


def outdated_lines(pledges: QuerySet[Pledge], *, as_of: date):
    """These lines that must be counted live, or None when there are none (the usual
    case once the recount has run: the live queries are then skipped).

    Found from the tallies' side, one query that needs no scan of the scoped lines: tallies
    of another day (the index on as_of), and lines without a tally yet (new since the last
    recount); then narrowed to these lines. A short list is passed on as ids, so the
    database reads those lines' referrals and placements by index rather than planning
    for many lines and scanning them all."""
    other_day = DeliveryTally.objects.filter(Q(as_of__lt=as_of) | Q(as_of__gt=as_of)).values_list(
        "pledge_id", flat=True
    )
    untallied = Pledge.objects.filter(tally__isnull=True).values_list("pk", flat=True)
    ids = list(other_day.order_by().union(untallied.order_by(), all=True)[: OUTDATED_LISTED + 1])
    if not ids:
        return None
    if len(ids) > OUTDATED_LISTED:
        return _fresh_and_other(pledges, as_of=as_of)[1]
    return pledges.filter(pk__in=ids).values("pk")


def _add(into: dict, key, row: dict, names) -> None:
    counts = into.setdefault(key, {})
    for name in names:
        if name in row:
            counts[name] = counts.get(name, 0) + (row[name] or 0)


def group_totals(pledges: QuerySet[Pledge], rows: list[Funnel]) -> Funnel:
    """The totals of the page per target group and gender: its rows added up (every person
    is of one group and one gender, so they add up to the lines' referrals, interviews,
    hires and retention) and the places the lines pledged (one short query). What a group
    does not count (places, the outcomes of referrals) the page leaves out."""
    totals = totals_of(row.counts for row in rows)
    totals.counts["pledged"] = pledges.order_by().aggregate(n=Coalesce(Sum("quantity"), 0))["n"]
    return totals


def group_rows(pledges: QuerySet[Pledge], *, as_of: date) -> list[Funnel]:
    """One row per target group and gender with people in it: referrals, interviews,
    hires and retention of the people of that group and gender. The tallies of fresh
    lines, then (when there are any) the referrals and placements of the others."""
    other = outdated_lines(pledges, as_of=as_of)
    fresh = fresh_lines(pledges, other=other, as_of=as_of)
    counts: dict = {}
    for row in (
        GroupTally.objects.filter(pledge__in=fresh)
        .order_by()
        .values("target_group", "gender")
        .annotate(**{name: Sum(name) for name in GROUP_COUNTS})
    ):
        _add(counts, (row["target_group"], row["gender"]), row, GROUP_COUNTS)
    if other is not None:
        referrals = referral_annotations()
        placements = delivery_annotations(as_of=as_of)
        live = [
            Referral.objects.filter(pledge__in=other)
            .order_by()
            .values("person__target_group", "person__gender")
            .annotate(referred=referrals["referred"], interviewed=referrals["interviewed"]),
            Placement.objects.filter(pledge__in=other)
            .order_by()
            .values("person__target_group", "person__gender")
            .annotate(**{name: placements[name] for name in GROUP_COUNTS[2:]}),
        ]
        for row in (row for queryset in live for row in queryset):
            key = (row["person__target_group"], row["person__gender"])
            _add(counts, key, row, GROUP_COUNTS)
    genders = dict(Gender.choices)
    rows = []
    for group in TargetGroup.objects.filter(Q(is_active=True) | Q(pk__in=[k for k, _ in counts])):
        for gender in Gender.values:
            figures = counts.get((group.pk, gender))
            if figures and any(figures.values()):
                rows.append(
                    Funnel(
                        counts=figures,
                        key=f"{group.code}-{gender}",
                        label=f"{group} · {genders[gender]}",
                    )
                )
    return rows


# --- Retention per cohort ---


@dataclass
class Cohort(Funnel):
    year: int = 0
    quarter: int = 0


def cohort_rows(pledges: QuerySet[Pledge], *, as_of: date) -> list[Cohort]:
    """One row per quarter placements started in, newest first: how many were placed
    (confirmed), and of those old enough, the share still employed 3, 6 and 12 months after
    their start. The quarter tallies of fresh lines, then (when there are any) the
    placements of the others."""
    other = outdated_lines(pledges, as_of=as_of)
    fresh = fresh_lines(pledges, other=other, as_of=as_of)
    counts: dict = {}
    for row in (
        PeriodTally.objects.filter(pledge__in=fresh)
        .order_by()
        .values("year", "quarter")
        .annotate(**{name: Sum(name) for name in COHORT_COUNTS})
    ):
        _add(counts, (row["year"], row["quarter"]), row, COHORT_COUNTS)
    if other is not None:
        placements = delivery_annotations(as_of=as_of)
        for row in (
            Placement.objects.filter(pledge__in=other)
            .order_by()
            .values(year=ExtractYear("start_date"), quarter=ExtractQuarter("start_date"))
            .annotate(**{name: placements[name] for name in COHORT_COUNTS})
        ):
            _add(counts, (row["year"], row["quarter"]), row, COHORT_COUNTS)
    return [
        Cohort(
            counts=figures,
            key=f"{year}-Q{quarter}",
            label=f"{year} Q{quarter}",
            year=year,
            quarter=quarter,
        )
        for (year, quarter), figures in sorted(counts.items(), reverse=True)
        if figures.get("delivered")
    ]
