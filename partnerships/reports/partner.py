"""What a partner's page shows about delivery: its MoUs with their figures, and the share
of its workforce that are people placed through the registry (Decision 22/2023/QĐ-TTg)."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, F, QuerySet

from partnerships.authorities.permissions import visible_mous
from partnerships.core.shares import ratio
from partnerships.models import (
    ContractType,
    Mou,
    Partner,
    Placement,
    PlacementStatus,
    PledgeKind,
    TargetGroup,
)
from partnerships.placements.delivery import confirmed_filter
from partnerships.reports.measures import mou_measures, share
from partnerships.reports.queries import report_pledges

LABOUR_CONTRACTS = [ContractType.LABOUR_12_MONTHS_OR_MORE, ContractType.LABOUR_UNDER_12_MONTHS]


def partner_mous(*, user, partner: Partner, as_of: date) -> QuerySet[Mou]:
    """The partner's MoUs the user may see, each with pledged, delivered, retention at 6
    months, the share of its term elapsed and the lag flag."""
    return (
        visible_mous(user)
        .filter(partner=partner)
        .select_related("authority")
        .annotate(**mou_measures(as_of=as_of))
        .annotate(fulfilment=share(F("delivered"), F("pledged")))
        .order_by("-year", "-number", "pk")
    )


def partner_pledges(*, user, partner: Partner):
    """The partner's pledge lines that count in the user's reports."""
    return report_pledges(user=user).filter(mou__partner=partner)


@dataclass(frozen=True)
class WorkforceShare:
    """People placed through the registry and employed now, against the workforce."""

    placed_now: int
    workforce: int | None
    threshold: float
    target_groups: list[str]

    @property
    def share(self) -> float | None:
        return ratio(self.placed_now, self.workforce)

    @property
    def qualifies(self) -> bool:
        return self.share is not None and self.share >= self.threshold


def workforce_share(partner: Partner, *, user) -> WorkforceShare:
    """Decision 22/2023/QĐ-TTg: an employer qualifies for preferential credit when at
    least a tenth (settings.PREFERENTIAL_CREDIT_WORKFORCE_SHARE) of its workforce are people
    who completed a prison sentence, on labour contracts.

    Counted across the partner's MoUs the user may see (another province's placements are
    not the reader's to count, and counting them gave shares above 100 %): distinct people
    with a confirmed job placement still running, on a labour contract (not seasonal work),
    from the target groups the rule names
    (settings.PREFERENTIAL_CREDIT_TARGET_GROUPS; which groups the Decision covers is a
    legal reading, so it is configurable)."""
    codes = list(settings.PREFERENTIAL_CREDIT_TARGET_GROUPS)
    placed_now = Placement.objects.filter(
        confirmed_filter(),
        pledge__mou__partner=partner,
        pledge__mou__in=visible_mous(user),
        kind=PledgeKind.JOB,
        status=PlacementStatus.ACTIVE,
        contract_type__in=LABOUR_CONTRACTS,
        person__target_group__code__in=codes,
    ).aggregate(people=Count("person", distinct=True))["people"]
    return WorkforceShare(
        placed_now=placed_now,
        workforce=partner.workforce_size,
        threshold=settings.PREFERENTIAL_CREDIT_WORKFORCE_SHARE,
        target_groups=[str(group) for group in TargetGroup.objects.filter(code__in=codes)],
    )
