"""Open places: pledge lines of MoUs in force that still have places to fill.

A line's places are taken by confirmed placements and by placements a business reported
that staff have not yet confirmed or rejected (they are people already hired, waiting for
the paperwork); what is left is open. Each user sees the lines of the MoUs they may see: staff
and officials those of their authorities, a business its own.
"""

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from partnerships.authorities.permissions import visible_mous
from partnerships.models import Confirmation, MouState, Placement, Pledge


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


def open_lines(*, user) -> QuerySet[Pledge]:
    """The user's pledge lines of signed or active MoUs with at least one place open, the
    nearest due date first; each annotated with `filled`, `awaiting` and `open_places`."""
    in_force = visible_mous(user).filter(state__in=MouState.IN_FORCE)
    return (
        Pledge.objects.filter(mou__in=in_force)
        .select_related("mou__authority", "mou__partner")
        .prefetch_related("target_groups")
        .annotate(
            filled=_placements_counted(Confirmation.CONFIRMED),
            awaiting=_placements_counted(Confirmation.REPORTED),
        )
        .annotate(open_places=F("quantity") - F("filled") - F("awaiting"))
        .filter(Q(open_places__gt=0))
        .order_by(F("due_date").asc(nulls_last=True), "mou__authority__name", "mou_id", "line")
    )
