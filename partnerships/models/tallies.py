"""Delivery counts per pledge line, kept so reports over a million placements read fifty
thousand rows instead (see partnerships/reports/tallies.py).

A cache the database keeps honest: triggers on the placement table (created by migration
0006) mark outdated the rows of every pledge line whose placements are inserted, changed or
deleted, however that happens (a service, an import, the admin, raw SQL). The worker and a
daily command recount outdated rows, missing ones (new lines) and those of an earlier day
(retention moves with the calendar), in place, from the rule in
partnerships.placements.delivery; until then readers count those lines from their
placements. GroupTally and PeriodTally split a line's delivery by target group and gender,
and by the quarter placements started in, recounted with it.
"""

from django.db import models

from partnerships.models.mous import Pledge
from partnerships.models.parties import TargetGroup

TALLY_COUNTS = (
    "reported",
    "delivered",
    "rejected",
    "eligible_3",
    "retained_3",
    "eligible_6",
    "retained_6",
    "eligible_12",
    "retained_12",
)


class DeliveryTally(models.Model):
    pledge = models.OneToOneField(
        Pledge, primary_key=True, on_delete=models.CASCADE, related_name="tally"
    )
    # The day the retention counts are for (placements old enough on that day).
    as_of = models.DateField(db_index=True)
    reported = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    eligible_3 = models.PositiveIntegerField(default=0)
    retained_3 = models.PositiveIntegerField(default=0)
    eligible_6 = models.PositiveIntegerField(default=0)
    retained_6 = models.PositiveIntegerField(default=0)
    eligible_12 = models.PositiveIntegerField(default=0)
    retained_12 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "delivery tally"
        verbose_name_plural = "delivery tallies"

    def __str__(self) -> str:
        return f"pledge {self.pledge_id} as of {self.as_of}"


GROUP_TALLY_COUNTS = ("delivered", "eligible_6", "retained_6")


class GroupTally(models.Model):
    """A pledge line's delivery split by the people's target group and gender: the report
    by target group reads these (about two rows a line) instead of the placements and their
    people.

    Recounted with the line's DeliveryTally, in the same transaction, and valid exactly when
    that tally is: the same triggers outdate both (placements written, and a person's gender
    or target group changed, migration 0021). The foreign keys have no database
    constraint: the recount writes these rows while writers may hold a pledge line's lock,
    and a constraint check would wait for it (reports/tallies.py explains why it must
    never wait); Django still deletes them with their line.
    """

    # No index of their own: the unique key (pledge, target group, gender) serves lookups by
    # line, and each index is one more write per row in the daily recount.
    pledge = models.ForeignKey(
        Pledge,
        on_delete=models.CASCADE,
        related_name="group_tallies",
        db_constraint=False,
        db_index=False,
    )
    target_group = models.ForeignKey(
        TargetGroup, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    gender = models.CharField(max_length=10)
    delivered = models.PositiveIntegerField(default=0)
    eligible_6 = models.PositiveIntegerField(default=0)
    retained_6 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "delivery tally by target group and gender"
        verbose_name_plural = "delivery tallies by target group and gender"
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "target_group", "gender"], name="one_group_tally_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"pledge {self.pledge_id}, {self.target_group_id}, {self.gender}"


class PeriodTally(models.Model):
    """A pledge line's delivery split by the quarter its placements started in: the report
    per quarter reads these instead of the placements. Kept exactly as GroupTally is (same
    recount, same validity, no database constraint on the line)."""

    pledge = models.ForeignKey(
        Pledge,
        on_delete=models.CASCADE,
        related_name="period_tallies",
        db_constraint=False,
        db_index=False,
    )
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    delivered = models.PositiveIntegerField(default=0)
    eligible_6 = models.PositiveIntegerField(default=0)
    retained_6 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "delivery tally by quarter"
        verbose_name_plural = "delivery tallies by quarter"
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "year", "quarter"], name="one_period_tally_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"pledge {self.pledge_id}, {self.year} Q{self.quarter}"
