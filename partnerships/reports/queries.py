"""Pledge-versus-delivery reports: the rows of each report and their totals, in SQL.

Every report starts from `report_pledges(user=…)`: the pledge lines of MoUs signed once,
scoped by permissions.visible_mous (officials their province, staff their authority and
what is under it, a business representative only their own partner). A report's filters
narrow that queryset; each report then groups it its own way:

- per MoU: one row per pledge line (`line_rows`);
- per partner (`partner_rows`);
- per authority, one level of the tree at a time, each row rolled up over everything under
  it, a dissolved body counted under its successor (`authority_rows`);
- per target group, split by gender (`group_rows`);
- per year and quarter (`period_rows`).

Delivery and retention per line come from the tallies (reports/tallies.py; a line whose
tally is not for the day is counted from its placements), so rows and totals read pledge
lines, not placements. The report by target group and gender reads the lines' tallies split
by group and gender (GroupTally), the report by quarter their tallies by quarter started
(PeriodTally); each counts only the lines not recounted for the day from their placements:
two grouped queries of a few rows each, added together. Totals
(`totals`) are one aggregate query whatever the number of rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.authorities.permissions import visible_mou_condition, visible_mous
from partnerships.core.shares import ratio
from partnerships.models import (
    GROUP_TALLY_COUNTS,
    Gender,
    GroupTally,
    Mou,
    MouState,
    PeriodTally,
    Placement,
    Pledge,
    TargetGroup,
)
from partnerships.placements.delivery import confirmed_filter, eligible_filter, retained_filter
from partnerships.reports.funnel import fresh_lines, outdated_lines
from partnerships.reports.measures import (
    RETENTION_MONTHS,
    line_measures,
    mou_measures,
    share,
    summed,
)


def report_pledges(*, user) -> QuerySet[Pledge]:
    """The pledge lines this user's reports may count (see the module docstring): those of
    the MoUs visible_mous() gives the user, once signed. The scope is a condition on the
    line's own MoU (permissions.visible_mou_condition), not a subquery of MoU ids, so a
    report joins each line to its MoU once (a third faster at 50,000 lines)."""
    condition = visible_mou_condition(user, prefix="mou__")
    if condition is None:
        return Pledge.objects.none()
    return Pledge.objects.filter(condition, mou__state__in=MouState.SIGNED_ONCE)


def _line_figures(*, as_of: date) -> dict:
    """Aggregates over pledge lines: their number, places pledged, and their tallies."""
    return {
        "lines": Count("pk"),
        "mous": Count("mou", distinct=True),
        "partners": Count("mou__partner", distinct=True),
        "pledged": Coalesce(Sum("quantity"), 0),
        "delivered": summed("delivered", as_of=as_of),
        "eligible_6": summed("eligible_6", as_of=as_of),
        "retained_6": summed("retained_6", as_of=as_of),
    }


def _delivery(*, as_of: date, extra: dict | None = None) -> dict:
    """Aggregates over Placement rows: delivered, eligible_6, retained_6 (+ `extra`)."""
    return {
        "delivered": Count("pk", filter=confirmed_filter()),
        "eligible_6": Count("pk", filter=eligible_filter(RETENTION_MONTHS, as_of=as_of)),
        "retained_6": Count("pk", filter=retained_filter(RETENTION_MONTHS, as_of=as_of)),
        **(extra or {}),
    }


# --- Figures ---


@dataclass
class Figures:
    """Pledged against delivered for one row or for a whole report."""

    pledged: int = 0
    delivered: int = 0
    eligible_6: int = 0
    retained_6: int = 0
    lines: int = 0
    mous: int = 0
    partners: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def fulfilment(self) -> float | None:
        return self.delivered / self.pledged if self.pledged else None

    @property
    def retention_6(self) -> float | None:
        return self.retained_6 / self.eligible_6 if self.eligible_6 else None

    def __getattr__(self, name):
        # The counts a report adds (by gender) read like the others: row.delivered_female.
        extra = self.__dict__.get("extra") or {}
        if name in extra:
            return extra[name]
        raise AttributeError(name)


def totals(
    pledges: QuerySet[Pledge], *, as_of: date, by_gender: bool = False, counts: dict | None = None
) -> Figures:
    """A report's footer: one aggregate query over every filtered line (and, by gender,
    the lines' counts by group and gender: `counts` if the page has them already)."""
    figures = Figures(**pledges.order_by().aggregate(**_line_figures(as_of=as_of)))
    if by_gender:
        extra = dict.fromkeys(_gender_names(), 0)
        if counts is None:
            counts = group_gender_counts(pledges, as_of=as_of)
        for (_group, gender), figures_of_key in counts.items():
            for name, value in figures_of_key.items():
                extra[f"{name}_{gender}"] += value
        figures.extra = extra
    return figures


def _gender_names() -> list[str]:
    return [f"{name}_{gender}" for gender in Gender.values for name in GROUP_TALLY_COUNTS]


def group_gender_counts(pledges: QuerySet[Pledge], *, as_of: date) -> dict:
    """{(target group id, gender): {delivered, eligible_6, retained_6}} over these lines:
    from the GroupTally rows of lines whose tally is for `as_of`, plus, for the other lines
    (changed since the last recount, or every line before the day's), from their
    placements. Two grouped queries; their dozen rows added here. When no line is outdated
    (the usual case once the day's recount has run: funnel.outdated_lines), the tallies
    are summed for the lines alone and the placements are not read."""
    other_lines = outdated_lines(pledges, as_of=as_of)
    counts: dict = {}

    def add(key, row):
        into = counts.setdefault(key, dict.fromkeys(GROUP_TALLY_COUNTS, 0))
        for name in GROUP_TALLY_COUNTS:
            into[name] += row[name] or 0

    for row in (
        GroupTally.objects.filter(pledge__in=fresh_lines(pledges, other=other_lines, as_of=as_of))
        .order_by()
        .values("target_group", "gender")
        .annotate(**{name: Sum(name) for name in GROUP_TALLY_COUNTS})
    ):
        add((row["target_group"], row["gender"]), row)
    if other_lines is None:
        return counts
    for row in (
        Placement.objects.filter(pledge__in=other_lines)
        .order_by()
        .values("person__target_group", "person__gender")
        .annotate(**_delivery(as_of=as_of))
    ):
        add((row["person__target_group"], row["person__gender"]), row)
    return counts


# --- Per MoU: one row per pledge line ---


def line_rows(pledges: QuerySet[Pledge], *, as_of: date) -> QuerySet[Pledge]:
    """Each pledge line with its delivery, its line number on the MoU, the share of the
    MoU's term elapsed and whether the MoU lags."""
    return (
        pledges.select_related("mou__authority", "mou__partner")
        .annotate(**line_measures(as_of=as_of))
        .annotate(
            fulfilment=share(F("delivered"), F("quantity")),
            retention_6=share(F("retained_6"), F("eligible_6")),
        )
    )


def as_sent(fixed: str, live: str) -> Case:
    """A party's value as the MoU's document names it (fixed when it was sent, Mou.parties),
    the live record's for an MoU without fixed parties."""
    return Case(When(mou__parties_fixed_at__isnull=False, then=F(f"mou__{fixed}")), default=F(live))


LINE_EXPORT_FIELDS = (
    "mou__number",
    as_sent("sent_authority_code", "mou__authority__code"),
    "mou__year",
    "mou__title",
    as_sent("sent_partner_name", "mou__partner__name"),
    as_sent("sent_partner_tax_code", "mou__partner__tax_code"),
    as_sent("sent_authority_name", "mou__authority__name"),
    "mou__state",
    "line",
    "kind",
    "occupation",
    "quantity",
    "delivered",
    "eligible_6",
    "retained_6",
    "elapsed",
    "mou_lagging",
)


# --- Per partner ---


def lagging_mou_ids(pledges: QuerySet[Pledge], *, as_of: date) -> QuerySet[Mou]:
    """The MoUs of these lines that lag behind their term, as a subquery of ids."""
    return (
        Mou.objects.filter(pk__in=pledges.values("mou"), state__in=MouState.IN_FORCE)
        .order_by()
        .annotate(**mou_measures(as_of=as_of))
        .filter(lagging=True)
        .values("pk")
    )


def partner_rows(pledges: QuerySet[Pledge], *, as_of: date) -> QuerySet:
    """One row (a dict) per partner with at least one filtered line: the figures of those
    lines only (an official sees what a partner pledged in their province, not elsewhere),
    and how many of its MoUs lag. One GROUP BY over the lines, sorted and paged by the
    table; before it, the lagging MoUs' ids, as a list (as a subquery PostgreSQL ran it
    beside every partner: twice as slow at 50,000 lines)."""
    lagging = list(lagging_mou_ids(pledges, as_of=as_of).values_list("pk", flat=True))
    return (
        pledges.order_by()
        .values(partner_id=F("mou__partner"), name=F("mou__partner__name"))
        .annotate(
            tax_code=F("mou__partner__tax_code"),
            mou_count=Count("mou", distinct=True),
            pledged=Coalesce(Sum("quantity"), 0),
            delivered=summed("delivered", as_of=as_of),
            eligible_6=summed("eligible_6", as_of=as_of),
            retained_6=summed("retained_6", as_of=as_of),
            lagging_mous=Count("mou", distinct=True, filter=Q(mou__in=lagging)),
        )
        .annotate(
            fulfilment=share(F("delivered"), F("pledged")),
            retention_6=share(F("retained_6"), F("eligible_6")),
        )
    )


PARTNER_EXPORT_FIELDS = (
    "name",
    "tax_code",
    "mou_count",
    "pledged",
    "delivered",
    "eligible_6",
    "retained_6",
    "lagging_mous",
)


# --- Grouped reports: authorities, target groups, periods ---


@dataclass
class Row(Figures):
    """One row of a grouped report: its key and label, and its figures."""

    key: object = None
    label: str = ""
    note: str = ""
    level: str = ""
    drill: bool = False


def _row(figures: dict, **identity) -> Row:
    names = ("pledged", "delivered", "eligible_6", "retained_6", "lines", "mous", "partners")
    known = {name: figures.pop(name, 0) or 0 for name in names}
    return Row(**known, extra=figures, **identity)


def authority_branches(
    tree: AuthorityTree, *, root_id: int | None, scope: set[int] | None
) -> list[tuple[int, set[int]]]:
    """What the rows of the authority report stand for: under a chosen root, the root's own
    MoUs and each of its branches; without one, the highest authorities the user sees."""
    if root_id is not None:
        return tree.branches(root_id)
    return [(authority_id, tree.subtree(authority_id)) for authority_id in tree.roots(scope)]


def authority_rows(
    pledges: QuerySet[Pledge],
    *,
    tree: AuthorityTree,
    branches: list[tuple[int, set[int]]],
    root_id: int | None,
    as_of: date,
) -> list[Row]:
    """One row per branch, each rolled up over every authority in it: one GROUP BY over
    the lines, keyed by the branch their MoU's authority falls in."""
    if not branches:
        return []
    bucket = Case(
        *[When(mou__authority_id__in=sorted(ids), then=Value(key)) for key, ids in branches],
        default=Value(None),
        output_field=IntegerField(),
    )
    groups = {
        row.pop("bucket"): row
        for row in pledges.order_by()
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(**_line_figures(as_of=as_of))
    }
    rows = []
    for key, ids in branches:
        figures = groups.get(key)
        if not figures:
            continue
        # Dissolved bodies whose MoUs this authority took over (not every dissolved body
        # somewhere below it): said next to its name.
        merged = sorted(
            tree.name(pk)
            for pk in ids
            if tree.nodes[pk].is_merged_away and tree.nodes[pk].successor_id == key
        )
        node = tree.nodes[key]
        rows.append(
            _row(
                figures,
                key=key,
                label=node.name,
                note=", ".join(merged),
                level=node.level,
                # The root's own row (its own MoUs) has nothing further to open.
                drill=key != root_id and len(tree.branches(key)) > 1,
            )
        )
    return rows


def group_rows(pledges: QuerySet[Pledge], *, as_of: date, counts: dict | None = None) -> list[Row]:
    """One row per target group: places pledged on the lines that name the group (a line
    for several groups counts under each), and the people delivered from the group, by
    gender, with retention at 6 months (`counts`: group_gender_counts(), if the page has
    them already)."""
    links = Pledge.target_groups.through.objects.filter(pledge__in=pledges.values("pk"))
    groups: dict = {}
    for row in (
        links.order_by()
        .values("targetgroup")
        .annotate(lines=Count("pledge"), pledged=Coalesce(Sum("pledge__quantity"), 0))
    ):
        groups.setdefault(row.pop("targetgroup"), {}).update(row)
    if counts is None:
        counts = group_gender_counts(pledges, as_of=as_of)
    for (group_id, gender), figures_of_key in counts.items():
        figures = groups.setdefault(group_id, {})
        for name, value in figures_of_key.items():
            figures[name] = figures.get(name, 0) + value
            figures[f"{name}_{gender}"] = value
    empty = dict.fromkeys(_gender_names(), 0)
    rows = []
    for group in TargetGroup.objects.filter(Q(is_active=True) | Q(pk__in=list(groups))):
        rows.append(_row(empty | groups.get(group.pk, {}), key=group.code, label=str(group)))
    return rows


@dataclass
class PeriodRow(Row):
    """A quarter: the MoUs in force in it and the places they pledged; the placements that
    started in it; and what those MoUs had delivered by its end, which is what their
    fulfilment is measured on (a quarter whose MoU delivers is never shown at 0 %)."""

    delivered_to_date: int = 0

    @property
    def fulfilment(self) -> float | None:
        return ratio(self.delivered_to_date, self.pledged)


def period_rows(pledges: QuerySet[Pledge], *, as_of: date) -> list[PeriodRow]:
    """One row per quarter, from the first an MoU is in force (or a placement starts) to
    the current one: the MoUs' terms, pledged places and tallied delivery (one grouped
    query), the delivery by quarter started (`_started_by_quarter`), then a walk over the
    quarters in Python.

    What an MoU in force in a quarter had delivered by its end: its placements started in
    that quarter or before (a placement starts within its MoU's term, so the MoU was then
    already in force), counted while the MoU's term has not ended before the quarter. For
    lines counted for the day that is everything their placements started by the quarter,
    less all that the MoUs whose term ended before it delivered (their placements all
    started within their term): so the tallies by quarter are summed by quarter alone,
    without the MoU's term beside each of their rows."""
    terms, ended = [], {}
    for row in (
        pledges.order_by()
        .values("mou_id", start=F("mou__term_start"), end=F("mou__term_end"))
        .annotate(
            pledged=Coalesce(Sum("quantity"), 0),
            tallied=Coalesce(Sum("tally__delivered", filter=Q(tally__as_of=as_of)), 0),
        )
    ):
        if row["start"] is not None:
            terms.append((row["start"], row["end"], row["pledged"]))
        if row["end"] is not None and row["tallied"]:
            end = _quarter_of(row["end"])
            ended[end] = ended.get(end, 0) + row["tallied"]
    started: dict[tuple[int, int], dict] = {}
    tallied_started: dict[tuple[int, int], int] = {}
    # Lines counted from their placements: (quarter started, quarter the MoU's term ends
    # or None) -> delivered
    delivered_until: dict[tuple[tuple[int, int], tuple[int, int] | None], int] = {}
    for key, ends, counts in _started_by_quarter(pledges, as_of=as_of):
        figures = started.setdefault(key, dict.fromkeys(GROUP_TALLY_COUNTS, 0))
        for name in GROUP_TALLY_COUNTS:
            figures[name] += counts[name] or 0
        if ends is _TALLIED:
            tallied_started[key] = tallied_started.get(key, 0) + (counts["delivered"] or 0)
        else:
            delivered_until[key, ends] = delivered_until.get((key, ends), 0) + (
                counts["delivered"] or 0
            )
    keys = [_quarter_of(start) for start, _end, _pledged in terms] + list(started)
    if not keys:
        return []
    last = max([*started, _quarter_of(as_of)]) if started else _quarter_of(as_of)
    in_force = _InForceByQuarter(terms)
    rows = []
    for year, quarter in _quarters(min(keys), max(last, min(keys))):
        mous_in_force, pledged_in_force = in_force.running((year, quarter))
        to_date = sum(
            count
            for (key, ends), count in delivered_until.items()
            if key <= (year, quarter) and (ends is None or ends >= (year, quarter))
        )
        to_date += sum(count for key, count in tallied_started.items() if key <= (year, quarter))
        to_date -= sum(count for end, count in ended.items() if end < (year, quarter))
        figures = started.get((year, quarter), {})
        rows.append(
            PeriodRow(
                pledged=pledged_in_force,
                mous=mous_in_force,
                delivered=figures.get("delivered", 0),
                eligible_6=figures.get("eligible_6", 0),
                retained_6=figures.get("retained_6", 0),
                delivered_to_date=to_date,
                key=f"{year}-Q{quarter}",
                label=f"{year} Q{quarter}",
            )
        )
    return rows


# Said of rows from the tallies by quarter, which do not carry the MoU's term.
_TALLIED = object()


class _InForceByQuarter:
    """The MoUs in force in each quarter and the places they pledged, for quarters asked
    in order: an MoU is in force from the quarter its term starts to the quarter it ends
    (a term that ends on a quarter's first day still counts in it), so each term adds
    itself at its first quarter and takes itself off after its last, and a quarter's
    figures are what has been added so far (one pass over the terms, not one a quarter)."""

    def __init__(self, terms: list[tuple[date, date | None, int]]):
        changes: dict[tuple[int, int], list[int]] = {}
        for start, end, pledged in terms:
            if end is not None and _quarter_of(end) < _quarter_of(start):
                continue  # a term that ends before it starts is in force in no quarter
            for key, sign in ((_quarter_of(start), 1), (_after(end), -1)):
                if key is not None:
                    change = changes.setdefault(key, [0, 0])
                    change[0] += sign
                    change[1] += sign * pledged
        self._changes = sorted(changes.items())
        self._next = 0
        self._mous = self._pledged = 0

    def running(self, quarter: tuple[int, int]) -> tuple[int, int]:
        while self._next < len(self._changes) and self._changes[self._next][0] <= quarter:
            mous, pledged = self._changes[self._next][1]
            self._mous += mous
            self._pledged += pledged
            self._next += 1
        return self._mous, self._pledged


def _after(end: date | None) -> tuple[int, int] | None:
    """The quarter after the one `end` falls in (None: no end)."""
    if end is None:
        return None
    year, quarter = _quarter_of(end)
    return (year, quarter + 1) if quarter < 4 else (year + 1, 1)


def _started_by_quarter(pledges: QuerySet[Pledge], *, as_of: date):
    """(quarter started, quarter the MoU's term ends, counts) over these lines: from the
    PeriodTally rows of lines whose tally is for `as_of`, summed by quarter alone (their
    end: _TALLIED), and from the placements of the other lines. Two grouped queries of a
    few hundred rows at most; the second skipped when no line is outdated, as in
    group_gender_counts()."""
    other_lines = outdated_lines(pledges, as_of=as_of)
    tallied = (
        PeriodTally.objects.filter(pledge__in=fresh_lines(pledges, other=other_lines, as_of=as_of))
        .order_by()
        .values("year", "quarter")
        .annotate(**{name: Sum(name) for name in GROUP_TALLY_COUNTS})
    )
    for row in tallied:
        yield (row["year"], row["quarter"]), _TALLIED, row
    if other_lines is None:
        return
    counted = (
        Placement.objects.filter(pledge__in=other_lines)
        .order_by()
        .values(
            year=ExtractYear("start_date"),
            quarter=ExtractQuarter("start_date"),
            end_year=ExtractYear("pledge__mou__term_end"),
            end_quarter=ExtractQuarter("pledge__mou__term_end"),
        )
        .annotate(**_delivery(as_of=as_of))
    )
    for row in counted:
        end = (row["end_year"], row["end_quarter"]) if row["end_year"] is not None else None
        yield (int(row["year"]), int(row["quarter"])), end, row


def _quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, first_month + 3, 1)
    return date(year, first_month, 1), following - timedelta(days=1)


def _quarters(first: tuple[int, int], last: tuple[int, int]) -> Iterable[tuple[int, int]]:
    year, quarter = first
    while (year, quarter) <= last:
        yield year, quarter
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)


# --- The dashboard ---


def lagging_mous(*, user, as_of: date, limit: int = 10) -> tuple[int, list[Mou]]:
    """How many MoUs in force the user sees lag behind their term, and the `limit` that lag
    most (largest gap between time elapsed and places delivered)."""
    lagging = (
        visible_mous(user)
        .filter(state__in=MouState.IN_FORCE)
        .annotate(**mou_measures(as_of=as_of))
        .filter(lagging=True)
    )
    count = lagging.count()
    if not count:
        return 0, []
    worst = lagging.select_related("authority", "partner").order_by("-gap", "pk")[:limit]
    return count, list(worst)
