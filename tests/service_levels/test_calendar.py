"""The Thai working-day calendar: real 2026/2027 holidays from the ``holidays``
package, special days from the admins, and the arithmetic's laws (property tests)."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizportal.service_levels import calendar
from bizportal.service_levels.calendar import (
    CalendarError,
    add_working_days,
    days_left,
    is_working_day,
    working_days_between,
)
from bizportal.service_levels.models import SpecialDay

pytestmark = pytest.mark.django_db

D = dt.date


def official(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(
        "TH", categories=(holidays.PUBLIC, holidays.GOVERNMENT), years=year
    )


def test_songkran_2026_is_off_and_the_library_agrees() -> None:
    # Songkran 13-15 April 2026 falls Monday to Wednesday; Chakri Day is Monday 6 April.
    for day in (D(2026, 4, 6), D(2026, 4, 13), D(2026, 4, 14), D(2026, 4, 15)):
        assert day in official(2026)
        assert not is_working_day(day)
    # Ten working days from Friday 3 April 2026 skip Chakri Day and Songkran:
    # 7-10 April (4), 16-17 (6), 20-23 (10).
    assert add_working_days(D(2026, 4, 3), 10) == D(2026, 4, 23)
    assert working_days_between(D(2026, 4, 3), D(2026, 4, 23)) == 10


def test_substitution_days_are_off() -> None:
    # Visakha Bucha 2026 is a Sunday: Monday 1 June is its day in lieu; 2027's Labour
    # Day is a Saturday with Monday 3 May in lieu (the library's own dates).
    for day in (D(2026, 6, 1), D(2027, 5, 3), D(2027, 2, 22), D(2027, 10, 25)):
        assert day in official(day.year), day
        assert "in lieu" in official(day.year)[day]
        assert not is_working_day(day)
    assert add_working_days(D(2026, 5, 29), 1) == D(2026, 6, 2)


def test_due_dates_across_the_year_end() -> None:
    # 31 Dec 2026 (Thu) and 1 Jan 2027 (Fri) are off, as is the weekend after.
    assert D(2026, 12, 31) in official(2026) and D(2027, 1, 1) in official(2027)
    assert add_working_days(D(2026, 12, 30), 1) == D(2027, 1, 4)
    assert add_working_days(D(2026, 12, 28), 5) == D(2027, 1, 6)
    # 4 Dec 2026 (Fri) + 3: Mon 7 Dec is the Father's Day substitute, 10 Dec Constitution Day.
    assert add_working_days(D(2026, 12, 4), 3) == D(2026, 12, 11)
    # 25, 28-30 Dec and 4-8 Jan.
    assert working_days_between(D(2026, 12, 24), D(2027, 1, 8)) == 9


def test_a_special_day_added_by_an_admin_counts() -> None:
    assert add_working_days(D(2027, 1, 4), 1) == D(2027, 1, 5)
    SpecialDay.objects.create(date=D(2027, 1, 5), name_th="วันหยุดพิเศษ", name_en="Special holiday")
    calendar.forget()
    assert not is_working_day(D(2027, 1, 5))
    assert add_working_days(D(2027, 1, 4), 1) == D(2027, 1, 6)
    # A working day the cabinet swaps in (a Saturday) counts as one.
    SpecialDay.objects.create(
        date=D(2027, 1, 9),
        kind=SpecialDay.Kind.WORKING_DAY,
        name_th="วันทำการชดเชย",
        name_en="Make-up working day",
    )
    calendar.forget()
    assert is_working_day(D(2027, 1, 9))
    assert add_working_days(D(2027, 1, 8), 1) == D(2027, 1, 9)
    assert [d.date for d in calendar.days_off(2027) if d.date.month == 1] == [
        D(2027, 1, 1),
        D(2027, 1, 5),
    ]


def test_days_left_is_negative_once_past_due() -> None:
    assert days_left(D(2026, 4, 10), D(2026, 4, 16)) == 1  # Songkran between
    assert days_left(D(2026, 4, 16), D(2026, 4, 16)) == 0
    assert days_left(D(2026, 4, 20), D(2026, 4, 16)) == -2


def test_bad_counts_are_refused() -> None:
    with pytest.raises(CalendarError, match="ต้องไม่ติดลบ"):
        add_working_days(D(2026, 1, 5), -1)
    with pytest.raises(CalendarError, match="นับได้ไม่เกิน 2000 วันทำการ"):
        add_working_days(D(2026, 1, 5), 100_000)
    with translation.override("en"), pytest.raises(CalendarError, match="must not be negative"):
        add_working_days(D(2026, 1, 5), -1)


DATES = st.dates(min_value=D(2025, 11, 1), max_value=D(2028, 2, 1))
SLOW = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SLOW
@given(start=DATES, days=st.integers(min_value=1, max_value=300))
def test_counting_back_gives_the_days_added(start: dt.date, days: int) -> None:
    due = add_working_days(start, days)
    assert working_days_between(start, due) == days
    assert is_working_day(due)
    assert due.weekday() < 5 and due not in official(due.year)
    # The day before the due date has one working day fewer behind it.
    assert working_days_between(start, due - dt.timedelta(days=1)) == days - 1


@SLOW
@given(start=DATES, first=st.integers(0, 120), second=st.integers(0, 120))
def test_adding_in_two_goes_is_adding_once(start: dt.date, first: int, second: int) -> None:
    assert add_working_days(add_working_days(start, first), second) == add_working_days(
        start, first + second
    )


@SLOW
@given(a=DATES, b=DATES, c=DATES)
def test_counts_over_adjacent_spans_add_up(a: dt.date, b: dt.date, c: dt.date) -> None:
    a, b, c = sorted((a, b, c))
    assert working_days_between(a, c) == working_days_between(a, b) + working_days_between(b, c)
