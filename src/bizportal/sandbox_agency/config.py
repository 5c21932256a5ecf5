"""The sandbox agency's settings, in one frozen value.

Every timing is a setting, not a constant, so the tests run the whole system in well
under a second per case while the command line keeps human-scale defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FAULT_MODES = ("none", "down", "error500", "slow", "timeout")

# The scopes one token is asked for: read, decide and batch cover everything we do.
TOKEN_SCOPE = "integrations:read integrations:decide integrations:batch"  # noqa: S105 - scopes


@dataclass(frozen=True)
class Config:
    """What the process was started with (command line or SANDBOX_AGENCY_* variables)."""

    portal: str
    client_id: str
    client_secret: str
    db: Path
    host: str = "127.0.0.1"
    port: int = 8766
    jwks_file: Path | None = None
    # Deciding: how long a forwarding waits before it is decided, and how often we look.
    delay: float = 5.0
    decide_interval: float = 0.5
    # Every n-th forwarding (of an application never corrected) is sent back; 0: never.
    correction_every: int = 5
    # A numeric answer about area (see rules.py) above this is refused.
    reject_area_over: float = 1000.0
    # Batches: seconds between looks at the portal's batch list; 0: no batch work.
    batch_poll: float = 60.0
    # Callbacks: first retry after retry_base seconds, doubling up to retry_max.
    retry_base: float = 2.0
    retry_max: float = 300.0
    max_attempts: int = 20
    http_timeout: float = 10.0
    # Signatures: how old a signature's ``created`` may be.
    max_signature_age: float = 300.0
    # Faults (changeable at run time through POST /_sandbox/faults).
    fault: str = "none"
    fault_rate: float = 1.0
    fault_seed: int = 9421
    slow_seconds: float = 2.0
    timeout_seconds: float = 30.0
    # The e-service (sign-in through the portal, token exchange): on with a key file, a
    # private JWK registered at the portal for an agency service (its 'client_id' in it).
    eservice_key_file: Path | None = None
    eservice_client_id: str = ""

    @property
    def portal_base(self) -> str:
        """The portal's address without a trailing slash, so paths join cleanly."""
        return self.portal.rstrip("/")
