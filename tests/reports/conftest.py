"""Report fixtures: a few real applications through the journeys, aggregated."""

from __future__ import annotations

import pytest

from bizportal.applications.models import Application
from bizportal.reports import refresh
from tests.journeys import approve_everything, submitted


@pytest.fixture
def history(db: None) -> list[Application]:
    """Two applications decided and paid for, one still under review; aggregated."""
    done = [approve_everything(submitted()) for _ in range(2)]
    waiting = submitted()
    refresh.refresh(full=True)
    return [*done, waiting]
