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

The referral columns (REFERRAL_TALLY_COUNTS, migration 0023) count the line's referrals by
how far they went and how they ended, for the delivery funnel (reports/funnel.py); triggers
on the referral table outdate the line's tally as those on placements do.
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
# Recounted only when a line's placements changed: they do not move with the day.
PEOPLE_COUNTS = (
    "sole_employed",
    "sole_employed_now",
    "sole_employed_on_labour_contracts",
    "sole_trained",
    "sole_women",
    "shared_placements",
)


# A line's referrals: all of them, those the business met (an interview recorded, or a
# hire), and each outcome; "not hired" also by reason (one column per NotHiredReason: a
# reason added there needs its column here and in a migration).
NOT_HIRED_REASON_COUNTS = (
    "not_hired_skills",
    "not_hired_position_filled",
    "not_hired_declined_offer",
    "not_hired_conditions",
    "not_hired_health",
    "not_hired_papers",
    "not_hired_other",
)
REFERRAL_TALLY_COUNTS = (
    "referred",
    "interviewed",
    "referrals_in_progress",
    "referrals_hired",
    "not_hired",
    "no_show",
    "referrals_expired",
    "referrals_ended",
    *NOT_HIRED_REASON_COUNTS,
)


class DeliveryTally(models.Model):
    # The columns added with migration 0023 and later have a database default: the recount
    # writes rows with raw INSERTs naming only some columns (reports/tallies.py).
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
    referred = models.PositiveIntegerField(default=0, db_default=0)
    interviewed = models.PositiveIntegerField(default=0, db_default=0)
    referrals_in_progress = models.PositiveIntegerField(default=0, db_default=0)
    referrals_hired = models.PositiveIntegerField(default=0, db_default=0)
    not_hired = models.PositiveIntegerField(default=0, db_default=0)
    no_show = models.PositiveIntegerField(default=0, db_default=0)
    referrals_expired = models.PositiveIntegerField(default=0, db_default=0)
    referrals_ended = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_skills = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_position_filled = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_declined_offer = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_conditions = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_health = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_papers = models.PositiveIntegerField(default=0, db_default=0)
    not_hired_other = models.PositiveIntegerField(default=0, db_default=0)
    # People counted once however many placements they have (the province summary): those
    # placed on this line only, by the filters of placements.delivery.people_filters()...
    sole_employed = models.PositiveIntegerField(default=0, db_default=0)
    sole_employed_now = models.PositiveIntegerField(default=0, db_default=0)
    sole_employed_on_labour_contracts = models.PositiveIntegerField(default=0, db_default=0)
    sole_trained = models.PositiveIntegerField(default=0, db_default=0)
    sole_women = models.PositiveIntegerField(default=0, db_default=0)
    # ...and how many of its placements are of people placed on other lines too: readers
    # count those people from the placements of the lines that have any.
    shared_placements = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = "delivery tally"
        verbose_name_plural = "delivery tallies"

    def __str__(self) -> str:
        return f"pledge {self.pledge_id} as of {self.as_of}"


GROUP_TALLY_COUNTS = ("delivered", "eligible_6", "retained_6")
# Kept beside those for the funnel by target group and gender (reports/funnel_tallies.py).
GROUP_FUNNEL_COUNTS = ("referred", "interviewed", "eligible_12", "retained_12")
# Kept beside those for retention per cohort (placements started in the same quarter).
PERIOD_COHORT_COUNTS = ("eligible_3", "retained_3", "eligible_12", "retained_12")


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
    referred = models.PositiveIntegerField(default=0, db_default=0)
    interviewed = models.PositiveIntegerField(default=0, db_default=0)
    eligible_12 = models.PositiveIntegerField(default=0, db_default=0)
    retained_12 = models.PositiveIntegerField(default=0, db_default=0)

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
    eligible_3 = models.PositiveIntegerField(default=0, db_default=0)
    retained_3 = models.PositiveIntegerField(default=0, db_default=0)
    eligible_12 = models.PositiveIntegerField(default=0, db_default=0)
    retained_12 = models.PositiveIntegerField(default=0, db_default=0)

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
