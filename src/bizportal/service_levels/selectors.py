"""Reading the clocks for pages: days left, due date and flag per application, in a
constant number of queries whatever the length of the list."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizportal.applications.models import BEFORE_AGENCY, Application

from . import calendar
from .models import Clock, State, StepClock
from .services import state_on


@dataclass(frozen=True)
class Standing:
    """One clock as a page shows it."""

    due_on: dt.date
    days_left: int
    state: str
    paused: bool
    stopped: bool
    sla_days: int

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)

    @property
    def flagged(self) -> bool:
        return self.state in (State.AT_RISK, State.BREACHED)


def standing(clock: Clock, today: dt.date | None = None) -> Standing:
    """Days left count from today; a paused clock's from the day it paused (frozen
    until the applicant acts); a stopped one's from the day it stopped."""
    today = today or timezone.localdate()
    if clock.stopped_at is not None:
        ref = timezone.localtime(clock.stopped_at).date()
    elif clock.paused_since is not None:
        ref = timezone.localtime(clock.paused_since).date()
    else:
        ref = today
    return Standing(
        due_on=clock.due_on,
        days_left=calendar.days_left(ref, clock.due_on),
        state=state_on(
            ref,
            due_on=clock.due_on,
            stopped_at=clock.stopped_at,
            paused=clock.paused_since is not None,
        ),
        paused=clock.paused_since is not None,
        stopped=clock.stopped_at is not None,
        sla_days=clock.sla_days,
    )


def standings(applications: Iterable[Application]) -> dict[int, Standing]:
    """Application pk -> its standing, in one query."""
    ids = [application.pk for application in applications]
    if not ids:
        return {}
    today = timezone.localdate()
    return {
        clock.application_id: standing(clock, today)
        for clock in Clock.objects.filter(application_id__in=ids)
    }


def standing_of(application: Application) -> Standing | None:
    clock = Clock.objects.filter(application=application).first()
    return standing(clock) if clock is not None else None


def step_clocks(application: Application) -> list[StepClock]:
    return list(StepClock.objects.filter(clock__application=application))


@dataclass
class DuePage:
    items: list[Application]
    next_cursor: str


BAD_CURSOR = _("The page cursor (after) is not valid")


def worklist_by_due(user: Any, *, status: str = "", cursor: str = "", size: int = 25) -> DuePage:
    """The agency's open applications, earliest due date first, keyset-paginated on
    (due_on, application): a range scan of ``sla_open_by_due_idx``. Each application
    carries ``standing`` (no query per row)."""
    qs = Clock.objects.filter(agency_id=user.agency_id, stopped_at__isnull=True).exclude(
        application__status__in=BEFORE_AGENCY
    )
    if status:
        qs = qs.filter(application__status=status)
    qs = qs.select_related("application__service", "application__applicant").order_by(
        "due_on", "application_id"
    )
    after = _decode(cursor)
    if after is not None:
        due, pk = after
        qs = qs.filter(due_on__gte=due).filter(
            Q(due_on__gt=due) | Q(due_on=due, application_id__gt=pk)
        )
    clocks = list(qs[: size + 1])
    today = timezone.localdate()
    items = []
    for clock in clocks[:size]:
        application = clock.application
        application.standing = standing(clock, today)  # type: ignore[attr-defined]
        items.append(application)
    next_cursor = ""
    if len(clocks) > size:
        last = clocks[size - 1]
        next_cursor = base64.urlsafe_b64encode(
            f"{last.due_on.isoformat()}|{last.application_id}".encode()
        ).decode()
    return DuePage(items=items, next_cursor=next_cursor)


def _decode(cursor: str) -> tuple[dt.date, int] | None:
    """The position a cursor of :func:`worklist_by_due` names; anything else is a
    ValidationError (400), never passed on to the database."""
    if not cursor:
        return None
    try:
        if len(cursor) > 60:
            raise ValueError("too long")
        day, pk = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").split("|")
        due = dt.date.fromisoformat(day)
        number = int(pk)
        if not 0 < number < 2**63:
            raise ValueError("id out of range")
    except (ValueError, UnicodeError, OverflowError):
        raise ValidationError({"after": [BAD_CURSOR]}, code="cursor") from None
    return due, number
