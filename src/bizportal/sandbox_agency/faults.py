"""Faults the agency can be told to show, so the portal's retries, timeouts and dead
letters are tested against a real outside system rather than a mock.

- ``none``: behave.
- ``down``: drop the connection without an answer (in-process stand-in for a stopped
  process; the benchmark also simply kills the process);
- ``error500``: answer 500 without storing the forwarding;
- ``slow``: wait ``slow_seconds`` (2 s), then answer normally;
- ``timeout``: wait ``timeout_seconds`` (30 s, past the portal's 10 s), then store and
  answer: the portal has given up, so its retry must arrive as a duplicate.

``rate`` is the share of forwardings affected, drawn from a seeded generator so that a
run with the same seed and the same order of arrivals fails the same requests.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from .config import FAULT_MODES


@dataclass(frozen=True)
class FaultSetting:
    mode: str
    rate: float


class Faults:
    """The current fault mode, changeable while the server runs."""

    def __init__(self, mode: str = "none", rate: float = 1.0, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311 - reproducible, not secret
        self._setting = FaultSetting("none", 1.0)
        self.set(mode, rate)

    @property
    def setting(self) -> FaultSetting:
        return self._setting

    def set(self, mode: str, rate: float | None = None) -> FaultSetting:
        """Change the mode (and rate); the generator restarts from its seed so every
        change of mode starts a reproducible sequence."""
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        rate = self._setting.rate if rate is None else float(rate)
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._setting = FaultSetting(mode, rate)
            self._random = random.Random(self._seed)  # noqa: S311
        return self._setting

    def draw(self) -> str:
        """The fault for the forwarding now arriving: the mode, or "none"."""
        with self._lock:
            setting = self._setting
            if setting.mode == "none":
                return "none"
            hit = self._random.random() < setting.rate
        return setting.mode if hit else "none"
