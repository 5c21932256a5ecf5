"""Where licence signing keys come from: one extension point, one plugin per key store.

The licence service never touches key material itself. It asks the configured plugin
(``settings.LICENCE_SIGNER``, default ``"dev_ca"``) for a pyHanko ``Signer`` for the
issuing agency, and the verifier asks the same plugin which roots to trust. A
deployment with a hardware security module registers its own plugin under
``licences/contrib/<name>/`` and changes the setting; nothing else changes.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from bizportal.core.registry import Registry

if TYPE_CHECKING:
    from asn1crypto import x509
    from pyhanko.sign.signers import Signer
    from pyhanko.sign.timestamps import TimeStamper

    from bizportal.catalog.models import Agency

DEFAULT_SIGNER = "dev_ca"
# Plugins shipped with the project; imported on first use so that registering
# happens exactly once, whatever imports this module first.
BUILTIN_PLUGINS = (
    "bizportal.licences.contrib.dev_ca",
    "bizportal.licences.contrib.pkcs11",
)


class LicenceSigner(Protocol):
    """What a key store must offer to sign and verify e-licences."""

    def signer_for(self, agency: Agency) -> Signer:
        """A pyHanko signer holding (or reaching) the agency's signing key and certificate."""
        ...

    def trust_roots(self) -> list[x509.Certificate]:
        """Root certificates a verifier should trust for licences this store signs."""
        ...

    def timestamper(self) -> TimeStamper:
        """The RFC 3161 time-stamping authority that dates this store's signatures
        (PAdES B-T and up); :func:`default_timestamper` is the configured trust services."""
        ...


signers: Registry[LicenceSigner] = Registry("licence signer")


def _load_builtin_plugins() -> None:
    for module in BUILTIN_PLUGINS:
        import_module(module)


def current_signer() -> LicenceSigner:
    """The plugin named by ``settings.LICENCE_SIGNER``."""
    _load_builtin_plugins()
    return signers[getattr(settings, "LICENCE_SIGNER", DEFAULT_SIGNER)]


def signer_for(agency: Agency) -> Signer:
    return current_signer().signer_for(agency)


def trust_roots() -> list[x509.Certificate]:
    return current_signer().trust_roots()


def timestamper() -> TimeStamper:
    return current_signer().timestamper()


def default_timestamper() -> TimeStamper:
    """The TSA at ``settings.LICENCE_TRUST_URL``/tsa (the sandbox in development, a
    qualified TSA's URL in production).

    The requests-based client, not pyHanko's default aiohttp one: that one opens a new
    aiohttp session, with a TLS context loaded from the system store (30 ms), for
    every time stamp, which was a sixth of the time of a whole licence."""
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(f"{settings.LICENCE_TRUST_URL}/tsa", timeout=10)
