"""Human-readable numbers: PREFIX-YEAR-NNNNNN, one gap-free counter per prefix and year.

Why one service: applications, invoices, receipts and licences all need numbers that
people read aloud over the phone, that restart each Buddhist-era year, and that two
workers never hand out twice. One implementation means one place to get the locking
right (and to move to a database sequence if a counter ever becomes a hot spot).

Call :func:`next_number` inside the transaction that uses the number: the counter row
stays locked until that transaction ends, and a rollback gives the number back.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Sequence
from .thai import to_buddhist_year


def next_number(prefix: str, *, on: dt.date | None = None, width: int = 6) -> str:
    """The next number of ``prefix`` for the Buddhist-era year of ``on`` (today by default)."""
    year = to_buddhist_year((on or timezone.localdate()).year)
    _ensure_counter(prefix, year)
    # The UPDATE takes the row lock, so concurrent callers queue here and each reads
    # its own value back.
    Sequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    number = Sequence.objects.values_list("last", flat=True).get(prefix=prefix, year=year)
    return f"{prefix}-{year}-{number:0{width}d}"


def _ensure_counter(prefix: str, year: int) -> None:
    if Sequence.objects.filter(prefix=prefix, year=year).exists():
        return
    try:
        with transaction.atomic():
            Sequence.objects.create(prefix=prefix, year=year)
    except IntegrityError:  # another worker created it first: it exists now
        pass
