"""``{{ value|report_value:column }}``: a report value written as its column's kind says."""

from __future__ import annotations

from typing import Any

from django import template

from ..definitions import Column, ColumnKind, Kpi
from ..formatting import value_text

register = template.Library()


@register.filter
def report_value(value: Any, column: Column | Kpi | str) -> str:
    kind = column.kind if isinstance(column, (Column, Kpi)) else ColumnKind(column)
    return value_text(value, kind)
