"""The province summary: the figures provinces publish about reintegration through
partner businesses, and a ranking of partners for commendations. All counts in SQL.

The area is a province (or, for authority staff, their own authority and what is under it);
an optional year narrows it to MoUs in force during that year and placements started in it.
"""

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
    ContractType,
    Mou,
    MouState,
    Partner,
    PartnerStatus,
    Placement,
    PlacementStatus,
    Pledge,
    PledgeKind,
)
from partnerships.placements.delivery import confirmed_filter, eligible_filter, retained_filter
from partnerships.reports.measures import (
    mou_measures,
    share,
)
from partnerships.reports.queries import PARTNER_EXPORT_FIELDS, lagging_mou_ids, partner_rows

TRAINING_KINDS = [PledgeKind.VOCATIONAL_TRAINING, PledgeKind.APPRENTICESHIP]
RANKING_SIZE = 20
RANK_BY = {
    # name: ordering of the ranking's rows (queries.partner_rows())
    "delivered": ("-delivered", "-retention_6", "name", "partner_id"),
    "retention": ("-retention_6", "-delivered", "name", "partner_id"),
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
    confirmed = confirmed_filter()
    jobs, training = Q(kind=PledgeKind.JOB), Q(kind__in=TRAINING_KINDS)
    labour = Q(
        contract_type__in=[
            ContractType.LABOUR_12_MONTHS_OR_MORE,
            ContractType.LABOUR_UNDER_12_MONTHS,
        ]
    )
    placements = Placement.objects.filter(pledge__in=pledges.values("pk")).filter(
        area.placement_filter()
    )
    people = placements.aggregate(
        employed=Count("person", distinct=True, filter=confirmed & jobs),
        employed_now=Count(
            "person",
            distinct=True,
            filter=confirmed & jobs & Q(status=PlacementStatus.ACTIVE),
        ),
        employed_on_labour_contracts=Count(
            "person", distinct=True, filter=confirmed & jobs & labour
        ),
        trained=Count("person", distinct=True, filter=confirmed & training),
        women=Count("person", distinct=True, filter=confirmed & Q(person__gender="female")),
        delivered_jobs=Count("pk", filter=confirmed & jobs),
        delivered_training=Count("pk", filter=confirmed & training),
        awaiting=Count("pk", filter=Q(confirmation=Confirmation.REPORTED)),
        hiring_partners=Count("pledge__mou__partner", distinct=True, filter=confirmed),
        eligible_6=Count("pk", filter=eligible_filter(6, as_of=as_of)),
        retained_6=Count("pk", filter=retained_filter(6, as_of=as_of)),
        eligible_12=Count("pk", filter=eligible_filter(12, as_of=as_of)),
        retained_12=Count("pk", filter=retained_filter(12, as_of=as_of)),
    )
    pledged = pledges.aggregate(
        jobs=Coalesce(Sum("quantity", filter=jobs), 0),
        training=Coalesce(Sum("quantity", filter=training), 0),
    )
    state_counts = dict(mous.order_by().values_list("state").annotate(n=Count("pk")))
    status_counts = dict(
        Partner.objects.filter(pk__in=signed_mous.values("partner"))
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    lagging = (
        signed_mous.filter(state__in=MouState.IN_FORCE)
        .order_by()
        .annotate(**mou_measures(as_of=as_of))
        .filter(lagging=True)
        .count()
    )
    ranking = list(
        _ranking(pledges, as_of=as_of, year=area.year).order_by(
            *RANK_BY.get(rank_by, RANK_BY["delivered"])
        )
    )
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
        lagging_mous=lagging,
        ranking=ranking,
    )


def _ranking(pledges: QuerySet[Pledge], *, as_of: date, year: int | None) -> QuerySet:
    """Partners with their figures, as dicts like queries.partner_rows(). For a year, the
    placements counted are those started in it, counted directly (the tallies hold every
    year together), one correlated subquery per partner and figure."""
    if not year:
        return partner_rows(pledges, as_of=as_of)
    lines = Pledge.objects.filter(pk__in=pledges.values("pk"), mou__partner=OuterRef("pk"))
    placements = Placement.objects.filter(
        pledge__in=pledges.values("pk"),
        pledge__mou__partner=OuterRef("pk"),
        start_date__year=year,
    )
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
