"""Read-side queries for referrals. Lists start from permissions.visible_referrals; the lines
a person may be referred to come from the open places (counted in SQL, one query)."""

from django.db.models import Count, Q, QuerySet

from partnerships.authorities.permissions import visible_mous, visible_referrals
from partnerships.models import REFERRAL_IN_PROGRESS, Person, Pledge, Referral, ReferralStatus
from partnerships.placements.open_places import open_lines

# What the list's status filter offers besides each status.
IN_PROGRESS = "in_progress"


def referral_list(*, user, status: str = "") -> QuerySet[Referral]:
    """Referrals the user may see (no names: the list shows references), newest first;
    `status`: one status, or "in_progress" for referred and interviewed."""
    queryset = visible_referrals(user).select_related(
        "pledge__mou__authority", "pledge__mou__partner", "person__target_group", "placement"
    )
    if status == IN_PROGRESS:
        queryset = queryset.filter(status__in=REFERRAL_IN_PROGRESS)
    elif status in ReferralStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-referred_on", "-id")


def referral_for_detail(*, user) -> QuerySet[Referral]:
    return visible_referrals(user).select_related(
        "pledge__mou__authority",
        "pledge__mou__partner",
        "person__target_group",
        "person__owning_authority",
        "placement",
        "event",
    )


def lines_for(*, user, person: Person) -> QuerySet[Pledge]:
    """Open lines the user may refer this person to: those with a place open whose target
    groups include the person's (or that name none)."""
    lines = open_lines(user=user)
    matching = Pledge.objects.filter(
        Q(target_groups=person.target_group_id) | Q(target_groups__isnull=True)
    ).values("pk")
    return lines.filter(pk__in=matching)


def referrals_of(*, user, person: Person) -> QuerySet[Referral]:
    """The person's referrals, for their page."""
    return referral_list(user=user).filter(person=person)


def referral_counts(*, user) -> list[tuple[str, int]]:
    """How many referrals were made to the lines of the MoUs the user may see, by status
    (one grouped query): what officials see instead of a list."""
    counted = dict(
        Referral.objects.filter(pledge__mou__in=visible_mous(user))
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return [(label, counted.get(status, 0)) for status, label in ReferralStatus.choices]
