"""Read-side queries for people and placements. Lists start from the scoped querysets of
partnerships.authorities.permissions; counts come from partnerships.placements.delivery, in SQL."""

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from partnerships.authorities.permissions import (
    can_report_placement,
    has_role,
    identity_conflicts_to_settle,
    placements_to_confirm,
    visible_mous,
    visible_people,
    visible_placements,
)
from partnerships.models import (
    Confirmation,
    IdentityConflict,
    Mou,
    MouState,
    Person,
    Placement,
    Pledge,
    Role,
)
from partnerships.mous.selectors import pledge_total
from partnerships.placements.delivery import delivery_annotations


def placement_list(
    *,
    user,
    confirmation: str = "",
    mou_id: int | None = None,
    to_confirm: bool = False,
    identity_conflicts: bool = False,
):
    """Placements the user may see, with what the list shows, in constant queries;
    `to_confirm`: only those waiting for this user's confirmation (the dashboard's queue);
    `identity_conflicts`: only those held for this user's authority to check the person.
    Each row's `held` says whether it is held for an identity check."""
    queryset = (
        visible_placements(user)
        .select_related("pledge__mou__authority", "person__target_group")
        .annotate(held=Exists(IdentityConflict.objects.filter(placement=OuterRef("pk"))))
    )
    if to_confirm:
        queryset = placements_to_confirm(user, queryset)
    if identity_conflicts:
        queryset = identity_conflicts_to_settle(user, queryset)
    if confirmation in Confirmation.values:
        queryset = queryset.filter(confirmation=confirmation)
    if mou_id:
        queryset = queryset.filter(pledge__mou_id=mou_id)
    return queryset.order_by("-reported_at", "-id")


def placement_for_detail(*, user) -> QuerySet[Placement]:
    return visible_placements(user).select_related(
        "pledge__mou__authority",
        "pledge__mou__partner",
        "person__target_group",
        "person__owning_authority",
        "reported_by",
        "decided_by",
    )


def pledge_delivery(mou: Mou, *, as_of: date | None = None) -> QuerySet[Pledge]:
    """The MoU's pledge lines, each with reported, delivered, rejected and retention counts
    (see partnerships.placements.delivery), in one query."""
    return mou.pledges.order_by("line").annotate(
        **delivery_annotations(prefix="placements__", as_of=as_of)
    )


def mou_delivery_counts(*, user) -> QuerySet[Mou]:
    """Counts only, per MoU the user may see (officials' view): pledged places, reported,
    delivered. Pledged places come from a subquery so that joined placements do not
    multiply them."""
    confirmed = Q(pledges__placements__confirmation=Confirmation.CONFIRMED)
    reported = Q(pledges__placements__confirmation=Confirmation.REPORTED)
    return (
        visible_mous(user)
        .filter(state__in=MouState.SIGNED_ONCE)
        .select_related("authority", "partner")
        .annotate(
            pledged_places=pledge_total(),
            delivered=Count("pledges__placements", filter=confirmed),
            awaiting=Count("pledges__placements", filter=reported),
        )
        .order_by("-year", "-number", "pk")
    )


def people_list(*, user) -> QuerySet[Person]:
    """People the user manages, without names, with how many placements each has."""
    return (
        visible_people(user)
        .select_related("target_group", "commune")
        .annotate(placement_count=Count("placements"))
        .order_by("-created_at", "-id")
    )


def mous_open_for_reporting(*, user, limit: int = 10) -> list[Mou]:
    """The business representative's MoUs that take placement reports now (signed or
    active), newest first; staff record theirs from each MoU's page."""
    if not has_role(user, Role.BUSINESS_REPRESENTATIVE):
        return []
    candidates = (
        visible_mous(user)
        .filter(state__in=MouState.IN_FORCE)
        .select_related("authority", "partner")
        .order_by("-year", "-number", "-pk")[: limit * 2]
    )
    return [mou for mou in candidates if can_report_placement(user, mou)][:limit]
