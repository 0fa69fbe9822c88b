"""Read-side queries. Every list starts from the scoped querysets of
partnerships.authorities.permissions."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerships.authorities.permissions import has_any_role, visible_mous
from partnerships.models import (
    AuditEvent,
    Mou,
    MouState,
    Pledge,
    Role,
)


def pledge_total(field="quantity", *, mou=None) -> Coalesce:
    """A sum over every pledge line of an MoU (pledged places by default), as a subquery so
    joined rows never multiply it. `field` is a Pledge field to sum or an aggregate over the
    lines. On Mou rows the MoU is the row itself; on Pledge rows pass `mou=OuterRef("mou")`."""
    return Coalesce(
        Subquery(
            Pledge.objects.filter(mou=OuterRef("pk") if mou is None else mou)
            .order_by()
            .values("mou")
            .annotate(total=Sum(field) if isinstance(field, str) else field)
            .values("total"),
            output_field=IntegerField(),
        ),
        0,
    )


def mou_list(*, user) -> QuerySet[Mou]:
    """MoUs the user may see, with what the list and its export show, in constant queries."""
    return (
        visible_mous(user)
        .select_related("authority", "partner")
        .annotate(pledged_places=pledge_total())
    )


def mou_for_detail(*, user) -> QuerySet[Mou]:
    """MoUs the user may open, with what their page shows; anything else is a 404."""
    return visible_mous(user).select_related(
        "authority", "partner", "partner_signatory", "created_by"
    )


def mou_pledges(mou: Mou) -> QuerySet[Pledge]:
    return mou.pledges.prefetch_related("target_groups")


def mou_timeline(mou: Mou) -> QuerySet[AuditEvent]:
    return mou.audit_events.select_related("actor").order_by("created_at", "id")


def state_counts(*, user) -> dict[str, int]:
    """How many visible MoUs are in each state, in one query."""
    rows = visible_mous(user).order_by().values("state").annotate(n=Count("id"))
    counts = {state: 0 for state in MouState.values}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def mous_needing_action(*, user, today=None, limit: int = 20) -> QuerySet[Mou]:
    """Visible MoUs this user should act on now, by role: staff finish and send drafts and
    activate signed MoUs whose term has started; business representatives answer MoUs sent
    to them; officials hold reviews that are due."""
    today = today or timezone.localdate()
    review_due = (
        Q(state=MouState.ACTIVE, mid_review_date__lte=today)
        | Q(state=MouState.ACTIVE, final_review_date__lte=today)
        | Q(state=MouState.ACTIVE, term_end__lte=today)
    )
    needing = Q(pk__in=[])
    if has_any_role(user, [Role.AUTHORITY_STAFF, Role.ADMINISTRATOR]):
        needing |= (
            Q(state=MouState.DRAFT)
            | Q(state=MouState.SENT)
            | Q(state=MouState.SIGNED, term_start__lte=today)
            | review_due
        )
    if has_any_role(user, [Role.BUSINESS_REPRESENTATIVE]):
        needing |= Q(state=MouState.SENT)
    if has_any_role(user, [Role.OFFICIAL]):
        needing |= review_due
    return (
        visible_mous(user)
        .filter(needing)
        .select_related("authority", "partner")
        .order_by("updated_at")[:limit]
    )
