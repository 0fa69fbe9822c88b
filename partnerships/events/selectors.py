"""Reads of events, scoped by partnerships.authorities.permissions: the list with its
figures, and the per-event report. Every figure is counted in SQL."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from partnerships.authorities.permissions import (
    is_administrator,
    roles_of,
    user_partner_id,
    visible_events,
    visible_mous,
)
from partnerships.models import (
    Confirmation,
    Event,
    EventAttendance,
    Gender,
    Mou,
    Partner,
    Referral,
    ReferralStatus,
    Role,
    TargetGroup,
)


def _count_of(queryset, column: str = "pk") -> Subquery:
    """One number per event from a correlated subquery: several counts annotated side by
    side, without the joins multiplying each other."""
    return Coalesce(
        Subquery(
            queryset.filter(event_id=OuterRef("pk"))
            .order_by()
            .values("event_id")
            .annotate(total=Count(column, distinct=True))
            .values("total"),
            output_field=IntegerField(),
        ),
        0,
    )


def event_list(*, user) -> QuerySet[Event]:
    """Events the user may see, each with its people, businesses, MoUs and referrals."""
    people = (
        EventAttendance.objects.filter(event_id=OuterRef("pk"))
        .order_by()
        .values("event_id")
        .annotate(total=Sum("count"))
        .values("total")
    )
    return (
        visible_events(user)
        .select_related("authority")
        .annotate(
            people=Coalesce(Subquery(people, output_field=IntegerField()), 0),
            businesses=_count_of(Event.partners.through.objects, "partner_id"),
            mous_signed=_count_of(Event.mous.through.objects, "mou_id"),
            referrals_made=_count_of(referrals_counted_for(user)),
        )
    )


def event_for_detail(*, user) -> QuerySet[Event]:
    return visible_events(user).select_related("authority", "created_by")


@dataclass(frozen=True)
class AttendanceRow:
    target_group: TargetGroup
    female: int
    male: int

    @property
    def total(self) -> int:
        return self.female + self.male


@dataclass(frozen=True)
class ReferralOutcome:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class EventReport:
    attendance: list[AttendanceRow]
    female: int
    male: int
    partners: list[Partner]
    mous: list[Mou]
    outcomes: list[ReferralOutcome]
    referred: int
    hired: int
    placements_confirmed: int
    # Whose referrals the counts cover: every one made at the event, or the business's own.
    referrals_of_own_business_only: bool

    @property
    def total(self) -> int:
        return self.female + self.male


def event_report(*, user, event: Event) -> EventReport:
    """The figures of one event the user may see (the caller checked that): attendance by
    target group and gender with totals, the businesses present, the MoUs signed there that
    the user may see, and the referrals made there counted by outcome (no names)."""
    by_group = {
        row["target_group"]: row
        for row in event.attendance.order_by()
        .values("target_group")
        .annotate(
            female=Coalesce(Sum("count", filter=Q(gender=Gender.FEMALE)), 0),
            male=Coalesce(Sum("count", filter=Q(gender=Gender.MALE)), 0),
        )
    }
    # Every group in use, and any retired group that still has people counted.
    groups = TargetGroup.objects.filter(Q(is_active=True) | Q(pk__in=by_group))
    attendance = [
        AttendanceRow(
            group,
            by_group.get(group.pk, {}).get("female", 0),
            by_group.get(group.pk, {}).get("male", 0),
        )
        for group in groups
    ]
    totals = event.attendance.aggregate(
        female=Coalesce(Sum("count", filter=Q(gender=Gender.FEMALE)), 0),
        male=Coalesce(Sum("count", filter=Q(gender=Gender.MALE)), 0),
    )
    referrals, own_only = _referrals_seen(user, event)
    by_status = dict(
        referrals.order_by()
        .values("status")
        .annotate(total=Count("pk"))
        .values_list("status", "total")
    )
    confirmed = referrals.filter(
        status=ReferralStatus.HIRED, placement__confirmation=Confirmation.CONFIRMED
    ).count()
    return EventReport(
        attendance=attendance,
        female=totals["female"],
        male=totals["male"],
        partners=list(event.partners.order_by("name")),
        mous=list(
            visible_mous(user, event.mous.all())
            .select_related("authority", "partner")
            .order_by("year", "number", "pk")
        ),
        outcomes=[
            ReferralOutcome(status, label, by_status.get(status, 0))
            for status, label in ReferralStatus.choices
        ],
        referred=sum(by_status.values()),
        hired=by_status.get(ReferralStatus.HIRED, 0),
        placements_confirmed=confirmed,
        referrals_of_own_business_only=own_only,
    )


def referrals_counted_for(user) -> QuerySet[Referral]:
    """The referrals whose counts a user reads on the events they may see: staff, officials
    and administrators every one made there; a business only those to its own lines."""
    if is_administrator(user) or roles_of(user) & {Role.AUTHORITY_STAFF, Role.OFFICIAL}:
        return Referral.objects.all()
    return Referral.objects.filter(pledge__mou__partner_id=user_partner_id(user))


def _referrals_seen(user, event: Event) -> tuple[QuerySet[Referral], bool]:
    own_only = not (
        is_administrator(user) or roles_of(user) & {Role.AUTHORITY_STAFF, Role.OFFICIAL}
    )
    return referrals_counted_for(user).filter(event=event), own_only
