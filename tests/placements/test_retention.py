"""Delivered counts and 3/6/12-month retention, computed by the database, checked against
cases worked out by hand (the rule is in partnerships/placements/delivery.py)."""

from datetime import date, timedelta

import pytest
from django.db.models import DateField, Value

from partnerships.core.shares import ratio
from partnerships.models import (
    Confirmation,
    Gender,
    Mou,
    Person,
    Placement,
    PlacementStatus,
    TargetGroup,
)
from partnerships.placements.delivery import (
    completed_months_expr,
    delivery_annotations,
    latest_start_for,
)
from partnerships.placements.selectors import pledge_delivery

AS_OF = date(2025, 7, 15)


def completed_months(start: date, end: date) -> int:
    """The whole-months rule worked out in Python, to check the database's against."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months - 1 if end.day < start.day else months


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 3, 15), date(2025, 4, 15), 1),
        (date(2025, 3, 15), date(2025, 4, 14), 0),
        (date(2025, 1, 31), date(2025, 2, 28), 0),  # 31 February does not exist...
        (date(2025, 1, 31), date(2025, 3, 1), 1),  # ...so the month completes on 1 March
        (date(2024, 2, 29), date(2025, 2, 28), 11),
        (date(2024, 2, 29), date(2025, 3, 1), 12),
        (date(2024, 7, 15), date(2025, 7, 15), 12),
        (date(2024, 12, 20), date(2025, 1, 19), 0),  # across the new year
        (date(2024, 12, 20), date(2025, 1, 20), 1),
    ],
)
@pytest.mark.django_db
def test_whole_months_by_hand(start, end, months):
    assert completed_months(start, end) == months
    in_sql = completed_months_expr(Value(start, DateField()), Value(end, DateField()))
    rows = TargetGroup.objects.annotate(months=in_sql).values_list("months", flat=True)
    assert rows.first() == months


def test_the_eligibility_cutoff_agrees_with_the_month_rule():
    # Every day of two years as `as_of`, every start in the year before: the cutoff date
    # (used in SQL) separates exactly the starts with N whole months done.
    for as_of in (date(2024, 1, 1) + timedelta(days=n) for n in range(0, 731, 7)):
        for months in (3, 6, 12):
            cutoff = latest_start_for(months, as_of)
            assert completed_months(cutoff, as_of) >= months
            assert completed_months(cutoff + timedelta(days=1), as_of) < months


def test_latest_start_by_hand():
    assert latest_start_for(3, AS_OF) == date(2025, 4, 15)
    assert latest_start_for(12, AS_OF) == date(2024, 7, 15)
    assert latest_start_for(1, date(2025, 3, 31)) == date(2025, 2, 28)


def place(pledge, start, end=None, *, confirmation=Confirmation.CONFIRMED, status=None):
    number = Person.objects.count() + 1
    person = Person.objects.create(
        id_hash=f"{number:064x}",
        target_group=TargetGroup.objects.get(code="completed_prison"),
        gender=Gender.FEMALE,
        owning_authority=pledge.mou.authority,
        consent_given_on=start,
    )
    return Placement.objects.create(
        person=person,
        pledge=pledge,
        kind=pledge.kind,
        start_date=start,
        end_date=end,
        status=status or (PlacementStatus.LEFT if end else PlacementStatus.ACTIVE),
        occupation="x",
        contract_type="labour_12m_plus",
        confirmation=confirmation,
    )


@pytest.fixture
def hand_cases(placements_world):
    """Placements on the job pledge (line 1), and what each counts for on 15/07/2025:

    | start      | end        | kept | eligible 3/6/12 | retained 3/6/12 |
    |------------|------------|------|-----------------|-----------------|
    | 10/01/2024 | —          |  18+ | y y y           | y y y           |
    | 15/07/2024 | 14/07/2025 |  11  | y y y           | y y n           |
    | 15/01/2025 | 14/04/2025 |   2  | y y n           | n n -           |
    | 15/01/2025 | 15/04/2025 |   3  | y y n           | y n -           |
    | 15/04/2025 | —          |   3  | y n n           | y - -           |
    | 16/04/2025 | —          |   2  | n n n           | - - -           |
    | 31/01/2025 | 28/02/2025 |   0  | y n n           | n - -           |
    | 01/01/2024 | — rejected |      | not counted     |                 |
    | 01/01/2024 | — reported |      | not counted (1 awaiting)          |
    """
    w = placements_world
    pledge = w.job_pledge
    place(pledge, date(2024, 1, 10))
    place(pledge, date(2024, 7, 15), date(2025, 7, 14))
    place(pledge, date(2025, 1, 15), date(2025, 4, 14))
    place(pledge, date(2025, 1, 15), date(2025, 4, 15), status=PlacementStatus.COMPLETED)
    place(pledge, date(2025, 4, 15))
    place(pledge, date(2025, 4, 16))
    place(pledge, date(2025, 1, 31), date(2025, 2, 28), status=PlacementStatus.DISMISSED)
    place(pledge, date(2024, 1, 1), confirmation=Confirmation.REJECTED)
    place(pledge, date(2024, 1, 1), confirmation=Confirmation.REPORTED)
    place(w.training_pledge, date(2024, 3, 1))  # another line: not in line 1's counts
    return w


EXPECTED_LINE_1 = {
    "reported": 1,
    "delivered": 7,
    "rejected": 1,
    "eligible_3": 6,
    "retained_3": 4,
    "eligible_6": 4,
    "retained_6": 2,
    "eligible_12": 2,
    "retained_12": 1,
}


def test_per_pledge_counts_match_the_hand_computed_table(hand_cases):
    w = hand_cases
    lines = {pledge.pk: pledge for pledge in pledge_delivery(w.active_mou, as_of=AS_OF)}
    line_1 = lines[w.job_pledge.pk]
    assert {name: getattr(line_1, name) for name in EXPECTED_LINE_1} == EXPECTED_LINE_1
    assert ratio(line_1.retained_6, line_1.eligible_6) == pytest.approx(2 / 4)
    assert lines[w.training_pledge.pk].delivered == 1
    assert lines[w.training_pledge.pk].retained_12 == 1


def test_the_same_counts_aggregate_per_mou_and_over_placements(hand_cases):
    w = hand_cases
    per_mou = (
        Mou.objects.filter(pk=w.active_mou.pk)
        .annotate(**delivery_annotations(prefix="pledges__placements__", as_of=AS_OF))
        .get()
    )
    assert per_mou.delivered == 8
    assert per_mou.retained_6 == 3 and per_mou.eligible_6 == 5
    over_rows = Placement.objects.filter(pledge=w.job_pledge).aggregate(
        **delivery_annotations(as_of=AS_OF)
    )
    assert over_rows == EXPECTED_LINE_1


def test_the_retention_share_is_unknown_without_eligible_placements():
    assert ratio(0, 0) is None
