"""Open places: pledge lines of MoUs in force that still have places to fill.

A line's places are taken by confirmed placements, by placements a business reported
that staff have not yet confirmed or rejected (they are people already hired, waiting for
the paperwork), and by referrals in progress (a person introduced to the business, not yet
hired or turned down: the place is held for them); what is left is open. Each user sees the
lines of the MoUs they may see: staff and officials those of their authorities, a business
its own.
"""

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerships.authorities.permissions import visible_mous
from partnerships.models import (
    REFERRAL_IN_PROGRESS,
    Confirmation,
    MouState,
    Placement,
    Pledge,
    Referral,
)


def _placements_counted(confirmation: str) -> Subquery:
    """Placements of the outer pledge line in one confirmation state, as a subquery: a count
    per line without grouping the whole list."""
    counted = (
        Placement.objects.filter(pledge=OuterRef("pk"), confirmation=confirmation)
        .order_by()
        .values("pledge")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _referrals_in_progress() -> Subquery:
    """Referrals in progress on the outer pledge line (each holds a place). One past its last
    day holds none, though the sweeper may not have expired it yet."""
    counted = (
        Referral.objects.filter(
            pledge=OuterRef("pk"),
            status__in=REFERRAL_IN_PROGRESS,
            expires_on__gte=timezone.localdate(),
        )
        .order_by()
        .values("pledge")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_open_places(queryset: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """Annotate each line with `filled`, `awaiting`, `referred` and `open_places`, in the
    same query (correlated subqueries: no query per line)."""
    return queryset.annotate(
        filled=_placements_counted(Confirmation.CONFIRMED),
        awaiting=_placements_counted(Confirmation.REPORTED),
        referred=_referrals_in_progress(),
    ).annotate(open_places=F("quantity") - F("filled") - F("awaiting") - F("referred"))


def open_lines(*, user) -> QuerySet[Pledge]:
    """The user's pledge lines of signed or active MoUs with at least one place open, the
    nearest due date first; each annotated as `with_open_places` does."""
    in_force = visible_mous(user).filter(state__in=MouState.IN_FORCE)
    return (
        with_open_places(Pledge.objects.filter(mou__in=in_force))
        .select_related("mou__authority", "mou__partner")
        .prefetch_related("target_groups")
        .filter(Q(open_places__gt=0))
        .order_by(F("due_date").asc(nulls_last=True), "mou__authority__name", "mou_id", "line")
    )


def open_places_on(pledge: Pledge) -> int:
    """How many places of this one line are open now (negative when over-filled)."""
    return with_open_places(Pledge.objects.filter(pk=pledge.pk)).values_list(
        "open_places", flat=True
    )[0]
