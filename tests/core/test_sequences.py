"""Human-readable numbers: one gap-free counter per prefix and Buddhist-era year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from bizportal.core.sequences import next_number

pytestmark = pytest.mark.django_db


def test_numbers_count_up_per_prefix_and_restart_each_buddhist_year() -> None:
    day = dt.date(2026, 12, 31)
    assert next_number("INV", on=day) == "INV-2569-000001"
    assert next_number("INV", on=day) == "INV-2569-000002"
    assert next_number("RC", on=day) == "RC-2569-000001"
    assert next_number("INV", on=dt.date(2027, 1, 1)) == "INV-2570-000001"


def test_a_rolled_back_transaction_gives_its_number_back() -> None:
    day = dt.date(2026, 6, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("BP", on=day)
        raise RuntimeError("the submission failed")
    assert next_number("BP", on=day) == "BP-2569-000001"
