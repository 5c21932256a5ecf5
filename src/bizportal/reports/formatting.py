"""One way to write a report's value as text, for pages, PDFs and CSV labels alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import get_language

from bizportal.core.thai import baht, to_buddhist_year

from .definitions import ColumnKind

EMPTY = "–"


def month_label(value: dt.date) -> str:
    """ "ม.ค. 2569" on Thai pages, "Jan 2026" on English ones."""
    if (get_language() or "th").startswith("th"):
        return f"{date_format(value, 'M')} {to_buddhist_year(value.year)}"
    return date_format(value, "M Y")


def value_text(value: Any, kind: ColumnKind) -> str:
    if value is None or value == "":
        return EMPTY
    if kind == ColumnKind.MONTH and isinstance(value, dt.date):
        return month_label(value)
    if kind == ColumnKind.COUNT:
        return f"{int(value):,}"
    if kind == ColumnKind.MONEY:
        return f"{baht(Decimal(value)):,.2f}"
    if kind == ColumnKind.DAYS:
        return f"{float(value):,.1f}"
    if kind == ColumnKind.PERCENT:
        return f"{float(value) * 100:.1f}%"
    if kind == ColumnKind.SCORE:
        return f"{float(value):.2f}"
    return str(value)
