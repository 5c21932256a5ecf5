"""Human-readable numbers: per prefix and Buddhist-era year; gap-free where accountants
count them, never waiting on another transaction where gaps do not matter."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from bizportal.core.models import Sequence
from bizportal.core.sequences import next_number

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 31)


def test_gap_free_numbers_count_up_per_prefix_and_restart_each_buddhist_year() -> None:
    assert next_number("INV", on=DAY, gapless=True) == "INV-2569-000001"
    assert next_number("INV", on=DAY, gapless=True) == "INV-2569-000002"
    assert next_number("RC", on=DAY, gapless=True) == "RC-2569-000001"
    assert next_number("INV", on=dt.date(2027, 1, 1), gapless=True) == "INV-2570-000001"


def test_a_rolled_back_transaction_gives_a_gap_free_number_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("RC", on=DAY, gapless=True)
        raise RuntimeError("the payment failed")
    assert next_number("RC", on=DAY, gapless=True) == "RC-2569-000001"


def test_other_numbers_are_unique_and_increasing() -> None:
    numbers = [next_number("BP", on=DAY) for _ in range(5)]
    assert len(set(numbers)) == 5
    assert numbers == sorted(numbers)
    assert all(n.startswith("BP-2569-") for n in numbers)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL sequence")
def test_a_database_sequence_continues_after_the_counter_row() -> None:
    Sequence.objects.create(prefix="ZZ", year=2569, last=41)
    assert next_number("ZZ", on=DAY) == "ZZ-2569-000042"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL sequence")
@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_for_another_writers_transaction() -> None:
    next_number("BP", on=DAY)  # the year's sequence exists now
    holding = threading.Event()
    release = threading.Event()

    def long_submission() -> None:
        try:
            with transaction.atomic():
                next_number("BP", on=DAY)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    other = threading.Thread(target=long_submission)
    other.start()
    assert holding.wait(10)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '500ms'")
            assert next_number("BP", on=DAY).startswith("BP-2569-")
    finally:
        release.set()
        other.join()
