"""What a report is: typed parameters, columns, charts and the scope of the viewer.

Why typed definitions: the dashboard, the drill-down, the Excel, PDF and CSV files and
the open-data file all read the same :class:`ReportResult`, so a figure on the screen
is the figure in the spreadsheet. A report is a class registered in :data:`registry`
(``library.py`` holds the catalogue); it says which roles may open it and computes
its tables from the aggregate tables for one :class:`Scope` and one :class:`Filters`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from bizportal.core.registry import Registry
from bizportal.identity.models import StaffRole

#: The longest period one report covers, in months.
MAX_MONTHS = 24


class ColumnKind(StrEnum):
    """How a value is shown and exported: numbers stay numbers in every file."""

    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    DAYS = "days"
    PERCENT = "percent"
    SCORE = "score"
    MONTH = "month"


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: ColumnKind = ColumnKind.TEXT

    @property
    def numeric(self) -> bool:
        return self.kind not in (ColumnKind.TEXT, ColumnKind.MONTH)


@dataclass(frozen=True)
class Chart:
    """A chart of one table: ``category`` along one axis, each of ``values`` a series."""

    kind: str  # "bar", "hbar", "line" or "map"
    category: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Kpi:
    label: str | Promise
    value: Any
    kind: ColumnKind = ColumnKind.COUNT


@dataclass
class Table:
    """One table of a report. ``drill`` maps a row to the filters of the list of
    applications behind it (None: the row has no list, e.g. money)."""

    key: str
    title: str | Promise
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    drill: Callable[[dict[str, Any]], dict[str, str]] | None = None
    note: str | Promise = ""

    def total(self, key: str) -> Any:
        return sum(row.get(key) or 0 for row in self.rows)


@dataclass(frozen=True)
class Scope:
    """The part of the country's figures a viewer may see. ``agency_id`` None: every
    agency; ``filed_by_id`` set: only what that counter officer filed."""

    agency_id: int | None = None
    filed_by_id: int | None = None
    roles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, user: Any) -> Scope | None:
        """The widest scope the account's roles give, or None for no reports at all."""
        roles: frozenset[str] = (
            getattr(user, "staff_roles", frozenset()) if user.is_authenticated else frozenset()
        )
        if not user.is_authenticated or not user.is_active:
            return None
        if roles & {StaffRole.EXECUTIVE, StaffRole.PLATFORM_ADMIN}:
            return cls(roles=roles)
        agency_id = getattr(user, "agency_id", None)
        if agency_id is not None and roles & {StaffRole.AGENCY_SUPERVISOR, StaffRole.FINANCE}:
            return cls(agency_id=agency_id, roles=roles)
        if StaffRole.COUNTER_OFFICER in roles:
            return cls(filed_by_id=user.pk, roles=roles)
        return None

    @property
    def national(self) -> bool:
        return self.agency_id is None and self.filed_by_id is None


class FilterError(ValueError):
    """A filter the viewer gave that cannot be used; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class Filters:
    """Period, agency, service and province.

    The period is whole months (``start`` the first day of one, ``end`` the last day of
    another, both included): statistics are monthly, and the aggregate tables the reports
    sum are monthly roll-ups, which is what keeps every report a few thousand rows.
    """

    start: dt.date
    end: dt.date
    agency_id: int | None = None
    service_id: int | None = None
    province: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", self.start.replace(day=1))
        object.__setattr__(self, "end", month_end(self.end))

    @classmethod
    def default(cls, today: dt.date | None = None) -> Filters:
        """The last twelve months, this one included."""
        today = today or timezone.localdate()
        return cls(start=add_months(today.replace(day=1), -11), end=today)

    @classmethod
    def parse(cls, data: Mapping[str, str], scope: Scope) -> Filters:
        """From query parameters (``start``, ``end`` months as ``2026-01`` or any date in
        them, ``agency``, ``service`` ids, ``province``), narrowed to the viewer's scope."""
        default = cls.default()
        start = _month(data, "start", default.start)
        end = _month(data, "end", default.end)
        if end < start:
            raise FilterError("end", _("The end of the period is before its start."))
        if months_between(start, end) > MAX_MONTHS:
            raise FilterError(
                "start", _("A report covers at most %(months)s months.") % {"months": MAX_MONTHS}
            )
        agency_id = _number(data, "agency")
        if scope.agency_id is not None:
            if agency_id not in (None, scope.agency_id):
                raise FilterError("agency", _("You can see reports of your own agency only."))
            agency_id = scope.agency_id
        return cls(
            start=start,
            end=end,
            agency_id=agency_id,
            service_id=_number(data, "service"),
            province=data.get("province", "").strip()[:100],
        )

    def narrowed(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    def as_query(self) -> dict[str, str]:
        query = {"start": f"{self.start:%Y-%m}", "end": f"{self.end:%Y-%m}"}
        if self.agency_id:
            query["agency"] = str(self.agency_id)
        if self.service_id:
            query["service"] = str(self.service_id)
        if self.province:
            query["province"] = self.province
        return query

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "agency": self.agency_id,
            "service": self.service_id,
            "province": self.province,
        }


def add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) ``first``'s."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def months_between(start: dt.date, end: dt.date) -> int:
    """How many months ``start`` to ``end`` cover, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _month(data: Mapping[str, str], name: str, default: dt.date) -> dt.date:
    value = data.get(name, "").strip()
    if not value:
        return default
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(f"{value}-01")
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(name, _("Choose a month from the list.")) from None


def _number(data: Mapping[str, str], name: str) -> int | None:
    value = str(data.get(name, "")).strip()
    if not value:
        return None
    if not value.isdigit():
        raise FilterError(name, _("Choose from the list."))
    return int(value)


@dataclass
class ReportResult:
    report: Report
    scope: Scope
    filters: Filters
    kpis: list[Kpi] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)


class Report(ABC):
    """One report of the catalogue. ``roles``: the staff roles that may open it (within
    their scope)."""

    slug: str
    title: str | Promise
    description: str | Promise
    roles: frozenset[str]

    def visible_to(self, scope: Scope | None) -> bool:
        return scope is not None and bool(scope.roles & self.roles)

    @abstractmethod
    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        """Compute every table from the aggregates, within ``scope``."""


registry: Registry[Report] = Registry("report")


def reports_for(scope: Scope | None) -> list[Report]:
    return [report for _slug, report in registry if report.visible_to(scope)]
