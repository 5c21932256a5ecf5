"""The fault-injection hook is inert unless asked, and refuses points that do not exist.
(That it kills at the named point is shown by tests/core/test_crash_recovery.py, on
real worker processes.)"""

from __future__ import annotations

import pytest

from bizportal.core import faults


def test_without_the_variable_no_point_does_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(faults.ENV, raising=False)
    for name in faults.POINTS:
        faults.point(name)  # still alive


def test_another_point_or_a_later_arrival_does_not_kill(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(faults.ENV, "licence.signed:1000000")
    faults.point("outbox.before_commit")
    faults.point("licence.signed")  # the first of a million arrivals: still alive


def test_an_unknown_point_or_count_is_refused() -> None:
    assert faults.check("outbox.after_commit:3") == "outbox.after_commit:3"
    with pytest.raises(ValueError, match="unknown fault point"):
        faults.check("licence.sigend")
    with pytest.raises(ValueError, match="unknown fault point"):
        faults.check("licence.signed:twice")
