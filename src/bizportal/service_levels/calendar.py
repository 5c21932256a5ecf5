"""The Thai working-day calendar every service-level clock counts on.

Why one module: the citizen manual's "working days" exclude weekends, the public and
government holidays (including substitution and bridge days) and the special days the
cabinet announces during the year. The ``holidays`` package knows the first two for
every year by rule; the cabinet's decisions come later, so admins add them as
:class:`~.models.SpecialDay` rows (a holiday, or a working day that would otherwise be
off). Every count in the portal goes through :func:`add_working_days` and
:func:`working_days_between` so pages, reports and alerts agree.

Counting convention (that of Thai administrative practice): the day something arrives
is day 0; the first working day *after* it is day 1. So ``add_working_days(d, n)`` is
the n-th working day after ``d`` and ``working_days_between(a, b)`` counts the working
days in ``(a, b]``; one undoes the other.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from dataclasses import dataclass

import holidays
from django.utils.translation import gettext as _

#: How long one process trusts its copy of the admins' special days. Changes made in
#: this process are seen at once (:func:`forget`); other processes see them within it.
SPECIAL_DAYS_TTL_SECONDS = 60

_lock = threading.Lock()
_special: tuple[float, dict[dt.date, bool]] | None = None


class CalendarError(ValueError):
    """A count the calendar refuses; ``str()`` is Thai / English."""


@functools.cache
def _official(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(
        "TH", categories=(holidays.PUBLIC, holidays.GOVERNMENT), years=year, language="th"
    )


@functools.cache
def _official_en(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(
        "TH", categories=(holidays.PUBLIC, holidays.GOVERNMENT), years=year, language="en_US"
    )


def forget() -> None:
    """Drop this process's copy of the special days (after an admin changed one)."""
    global _special
    with _lock:
        _special = None


def _special_days() -> dict[dt.date, bool]:
    """Special days: date -> True for a day off, False for a working day."""
    global _special
    now = time.monotonic()
    with _lock:
        if _special is not None and now - _special[0] < SPECIAL_DAYS_TTL_SECONDS:
            return _special[1]
    from .models import SpecialDay

    days = {
        day: kind == SpecialDay.Kind.HOLIDAY
        for day, kind in SpecialDay.objects.values_list("date", "kind")
    }
    with _lock:
        _special = (now, days)
    return days


@dataclass(frozen=True)
class DayOff:
    """Why a date is not a working day, for pages that list the calendar."""

    date: dt.date
    name_th: str
    name_en: str


def is_working_day(day: dt.date) -> bool:
    special = _special_days().get(day)
    if special is not None:
        return not special
    return day.weekday() < 5 and day not in _official(day.year)


def days_off(year: int) -> list[DayOff]:
    """The year's weekday holidays (official and special), in date order."""
    from .models import SpecialDay

    special = {s.date: s for s in SpecialDay.objects.filter(date__year=year)}
    rows: dict[dt.date, DayOff] = {}
    for day, name in _official(year).items():
        if day.weekday() < 5:
            rows[day] = DayOff(day, name, _official_en(year).get(day, name))
    for day, entry in special.items():
        if entry.kind == SpecialDay.Kind.HOLIDAY:
            rows[day] = DayOff(day, entry.name_th, entry.name_en)
        else:
            rows.pop(day, None)
    return [rows[day] for day in sorted(rows)]


#: A count longer than this is a mistake (the longest manual promises 240 days).
MAX_DAYS = 2000


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself for 0)."""
    if days < 0:
        raise CalendarError(_("the number of working days must not be negative"))
    if days > MAX_DAYS:
        raise CalendarError(_("at most %(days)s working days can be counted") % {"days": MAX_DAYS})
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in ``(start, end]``: 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    if (end - start).days > MAX_DAYS * 2:
        raise CalendarError(_("the span of dates is too long to count in working days"))
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def days_left(today: dt.date, due: dt.date) -> int:
    """Working days from ``today`` to ``due``: 0 on the due day, negative once past it
    (the working days it is overdue by)."""
    if due >= today:
        return working_days_between(today, due)
    return -working_days_between(due, today)
