"""Demo: the sandbox trust services (TSA, OCSP, CRL) the development CA's licences use.

Every licence is signed PAdES B-LT or B-LTA, which needs a time stamp and revocation
data from ``settings.LICENCE_TRUST_URL``. ``manage.py serve --companions`` starts the
sandbox there as its own process (:func:`_companion`); ``load_demo``, which issues the
demo's licences before the server starts, runs it in a thread while loading unless
something already answers there (:func:`trust_services_running`).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from django.conf import settings

from bizportal.core import demo

logger = logging.getLogger(__name__)


def _serves_sandbox() -> bool:
    """Only the development CA's licences rely on the sandbox; an HSM plugin names a
    real TSA and CA through its own configuration."""
    return str(getattr(settings, "LICENCE_SIGNER", "dev_ca")) == "dev_ca"


def trust_services_up(url: str | None = None) -> bool:
    url = url or settings.LICENCE_TRUST_URL
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{url}/_sandbox/health", timeout=1).ok
    return False


@demo.companion("sandbox-trust")
def _companion() -> demo.Command | None:
    if not _serves_sandbox():
        return None
    return demo.Command(
        [
            sys.executable,
            "-m",
            "bizportal.sandbox_trust",
            "--key-dir",
            str(settings.LICENCE_KEY_DIR),
            "--url",
            settings.LICENCE_TRUST_URL,
        ]
    )


@demo.while_loading("sandbox-trust")
@contextlib.contextmanager
def trust_services_running() -> Iterator[str]:
    """The trust services at LICENCE_TRUST_URL for the block: the ones already running
    there, else the sandbox in a thread of this process (stopped at the end). A URL
    this machine cannot serve is an error now, not a failed signature later."""
    url = settings.LICENCE_TRUST_URL
    if not _serves_sandbox() or trust_services_up(url):
        yield url
        return
    from bizportal.sandbox_trust.server import running

    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(
            f"the licence trust services at {url} do not answer: start them there, or set "
            "LICENCE_TRUST_URL to a local address (the sandbox then runs while loading)"
        )
    logger.info("starting the sandbox trust services on %s while the demo loads", url)
    with running(
        settings.LICENCE_KEY_DIR, url, host=parts.hostname or "127.0.0.1", port=parts.port or 80
    ):
        yield url
