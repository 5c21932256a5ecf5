"""Human-readable numbers: PREFIX-YEAR-NNNNNN, one gap-free counter per prefix and year.

Why one service: applications, invoices, receipts and licences all need numbers that
people read aloud over the phone, that restart each Buddhist-era year, and that two
workers never hand out twice. One implementation means one place to get the locking
right (and to move to a database sequence if a counter ever becomes a hot spot).

Two kinds of counter:

* **gap-free** (``gapless=True``: licences, invoices, receipts, which people count): a row of
  :class:`~bizportal.core.models.Sequence` bumped by one ``UPDATE … RETURNING``. The row
  stays locked until the caller's transaction ends, so concurrent writers queue on it, and
  a rollback gives the number back.
* **unique, gaps allowed** (application references): on PostgreSQL a
  database sequence per prefix and year (``nextval`` never waits for another
  transaction, so submissions do not queue on a counter; a rolled-back attempt leaves a
  gap). On SQLite, which serialises writers anyway, the same counter row as above.

Call :func:`next_number` inside the transaction that uses the number.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, OperationalError, ProgrammingError, connection, transaction
from django.utils import timezone

from .models import Sequence
from .thai import to_buddhist_year


def next_number(
    prefix: str, *, on: dt.date | None = None, width: int = 6, gapless: bool = False
) -> str:
    """The next number of ``prefix`` for the Buddhist-era year of ``on`` (today by default)."""
    year = to_buddhist_year((on or timezone.localdate()).year)
    if connection.vendor == "postgresql" and not gapless:
        number = _from_database_sequence(prefix, year)
    else:
        number = _from_counter_row(prefix, year)
    return f"{prefix}-{year}-{number:0{width}d}"


def next_value(prefix: str, *, year: int = 0) -> int:
    """The next value of a plain gap-free counter (no year in it, no formatting): for
    allocations that are not read aloud, such as a licence's position in its agency's
    status list. Same row lock as :func:`next_number`: concurrent callers queue until
    the holder commits, and a rollback gives the value back."""
    return _from_counter_row(prefix, year)


def current_value(prefix: str, *, year: int = 0) -> int:
    """The last value :func:`next_value` handed out for ``prefix`` (0: none yet)."""
    last = Sequence.objects.filter(prefix=prefix, year=year).values_list("last", flat=True).first()
    return int(last or 0)


def hold_counter(prefix: str, *, on: dt.date | None = None) -> None:
    """Lock the gap-free counter of ``prefix`` for the rest of the caller's transaction,
    without taking a number.

    Why: a service that must check "not numbered yet" before numbering a new row (a
    retried licence issue) checks after this: whoever held the counter before has
    committed or rolled back, so the check sees its row, and when the answer is
    "already there" no number was taken, so none is burned. On SQLite, where the
    transaction holds the write lock from its start, the lock is already held.
    """
    year = to_buddhist_year((on or timezone.localdate()).year)
    _ensure_counter(prefix, year)
    list(
        Sequence.objects.select_for_update()
        .filter(prefix=prefix, year=year)
        .values_list("last", flat=True)
    )


def _from_counter_row(prefix: str, year: int) -> int:
    _ensure_counter(prefix, year)
    # One statement: the UPDATE takes the row lock and hands back the value it wrote.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Sequence._meta.db_table} SET last = last + 1 "  # noqa: S608 - our table
            "WHERE prefix = %s AND year = %s RETURNING last",
            [prefix, year],
        )
        return int(cursor.fetchone()[0])


def _sequence_name(prefix: str, year: int) -> str:
    safe = re.sub(r"[^a-z0-9]", "_", prefix.lower())
    return f"bizportal_seq_{safe}_{year}"


def _from_database_sequence(prefix: str, year: int) -> int:
    name = _sequence_name(prefix, year)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [name])
            return int(cursor.fetchone()[0])
    except (ProgrammingError, OperationalError):  # the year's first number: no sequence yet
        pass
    # Continue after whatever the counter row handed out before (upgrades, SQLite data).
    start = (
        Sequence.objects.filter(prefix=prefix, year=year).values_list("last", flat=True).first()
        or 0
    ) + 1
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" START {start}')
    except (IntegrityError, ProgrammingError):  # another writer created it at the same moment
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [name])
        return int(cursor.fetchone()[0])


def _ensure_counter(prefix: str, year: int) -> None:
    if Sequence.objects.filter(prefix=prefix, year=year).exists():
        return
    try:
        with transaction.atomic():
            Sequence.objects.create(prefix=prefix, year=year)
    except IntegrityError:  # another worker created it first: it exists now
        pass
