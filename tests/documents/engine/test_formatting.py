"""How dates and money are written in MoU documents (Decree 30 style for Vietnamese)."""

from datetime import date

import pytest

from partnerships.documents.engine.formatting import (
    date_in_full,
    english_date_in_full,
    money,
    short_date,
    vietnamese_date_in_full,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
        (date(2026, 1, 9), "ngày 09 tháng 01 năm 2026"),
        (date(2026, 1, 10), "ngày 10 tháng 01 năm 2026"),
        (date(2023, 11, 30), "ngày 30 tháng 11 năm 2023"),
        (date(2026, 3, 15), "ngày 15 tháng 3 năm 2026"),
        (date(2026, 3, 1), "ngày 01 tháng 3 năm 2026"),
        (date(2027, 12, 31), "ngày 31 tháng 12 năm 2027"),
    ],
)
def test_vietnamese_dates_have_leading_zeros_only_for_days_1_to_9_and_months_1_and_2(
    value, expected
):
    assert vietnamese_date_in_full(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 2, 5), "5 February 2026"),
        (date(2023, 11, 30), "30 November 2023"),
        (date(2026, 3, 1), "1 March 2026"),
    ],
)
def test_english_dates_are_written_day_month_year_without_leading_zeros(value, expected):
    assert english_date_in_full(value) == expected


def test_the_document_language_chooses_how_a_date_is_written():
    day = date(2026, 2, 5)

    assert date_in_full(day, "vi") == "ngày 05 tháng 02 năm 2026"
    assert date_in_full(day, "en") == "5 February 2026"


def test_a_missing_date_is_left_as_a_blank_to_fill_in():
    assert vietnamese_date_in_full(None) == "…"
    assert english_date_in_full(None) == "…"


@pytest.mark.parametrize(
    ("amount", "vietnamese", "english"),
    [
        (6_500_000, "6.500.000", "6,500,000"),
        (4_960_000, "4.960.000", "4,960,000"),
        (12_000_000_000, "12.000.000.000", "12,000,000,000"),
        (999, "999", "999"),
        (0, "0", "0"),
    ],
)
def test_vnd_amounts_are_grouped_by_thousands_in_each_language(amount, vietnamese, english):
    assert money(amount, "vi") == vietnamese
    assert money(amount, "en") == english


def test_a_missing_amount_is_shown_as_a_dash():
    assert money(None, "vi") == "—"


def test_a_table_date_is_written_day_first_and_a_missing_one_as_a_dash():
    assert short_date(date(2026, 6, 30)) == "30/06/2026"
    assert short_date(None) == "—"
