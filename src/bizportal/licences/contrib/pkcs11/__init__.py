"""Licence signer plugin ``pkcs11``: agencies' keys in a hardware security module.

Any PKCS#11 module works (a network HSM, a smart card, SoftHSM2 for tests and demos);
choosing one is configuration only:

- ``LICENCE_PKCS11_MODULE``: path of the vendor's PKCS#11 library;
- ``LICENCE_PKCS11_TOKEN``: label of the token holding the keys;
- ``LICENCE_PKCS11_PIN`` or ``LICENCE_PKCS11_PIN_FILE``: the user PIN (environment only);
- ``LICENCE_PKCS11_KEY_LABEL``: which key is whose, ``licence-{agency}`` by default:
  the agency ``bma-health`` signs with the private key and certificate labelled
  ``licence-bma-health``;
- ``LICENCE_TRUST_ROOTS_FILE``: PEM roots verifiers trust (the demo profile falls back
  to the development CA's root, for tokens provisioned from it);
- ``LICENCE_CA_CHAIN_FILE``: PEM intermediate certificates embedded in each signature,
  so verifiers need only the root.

Opening a session and logging in costs a round trip to the HSM and, on network HSMs,
a login that is rate limited, so the plugin keeps one session per process and hands
it to every signer; python-pkcs11 serialises operations on a session with its own
lock, the plugin's lock guards opening and replacing it. A session that went bad (HSM
restarted, network cut) is noticed on the next lookup and reopened once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pkcs11 import Mechanism
from pyhanko.sign.pkcs11 import PKCS11Signer

from bizportal.licences.signers import default_timestamper, signers

from .token import (
    SESSION_GONE,
    HsmError,
    TokenConfig,
    agency_certificate,
    load_module,
    open_session,
)

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

    from bizportal.catalog.models import Agency

__all__ = ["HsmError", "Pkcs11KeyStore", "TokenConfig", "read_certificates"]

# With all of these the token hashes and signs in one mechanism; without them (SoftHSM
# 2.6, several network HSMs) pyHanko hashes on the host and the token signs the digest
# with plain CKM_ECDSA. The key never leaves the token either way.
ECDSA_WITH_HASH = frozenset(
    {Mechanism.ECDSA_SHA256, Mechanism.ECDSA_SHA384, Mechanism.ECDSA_SHA512}
)


def read_certificates(setting: str) -> list[asn1_x509.Certificate]:
    """The certificates in the PEM file a setting names (none when it is unset)."""
    file_name = str(getattr(settings, setting, "") or "")
    if not file_name:
        return []
    try:
        data = Path(file_name).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{setting} names {file_name!r}, which cannot be read: {error.strerror}"
        ) from error
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{setting} names {file_name!r}, which holds no PEM certificates: {error}"
        ) from error
    return [
        asn1_x509.Certificate.load(item.public_bytes(serialization.Encoding.DER))
        for item in certificates
    ]


@signers.register("pkcs11")
class Pkcs11KeyStore:
    """Signs with per-agency keys on a PKCS#11 token; one shared session per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: pkcs11.Session | None = None
        self._config: TokenConfig | None = None
        self._pid = 0
        self._mechanisms: frozenset[Mechanism] = frozenset()

    def signer_for(self, agency: Agency) -> PKCS11Signer:
        config = TokenConfig.from_settings()
        with self._lock:
            session = self._session_for(config)
            try:
                certificate = agency_certificate(session, config, agency.code)
            except SESSION_GONE:
                self._drop()
                session = self._session_for(config)
                try:
                    certificate = agency_certificate(session, config, agency.code)
                except SESSION_GONE as error:
                    self._drop()
                    raise HsmError(
                        f"the session on token {config.token!r} failed twice in a row "
                        f"({type(error).__name__}); is the HSM reachable?"
                    ) from error
            raw_ecdsa = certificate.public_key.algorithm == "ec" and not (
                self._mechanisms >= ECDSA_WITH_HASH
            )
        label = config.label_for(agency.code)
        return PKCS11Signer(
            session,
            key_label=label,
            cert_label=label,
            signing_cert=certificate,
            ca_chain=read_certificates("LICENCE_CA_CHAIN_FILE") + self.trust_roots(),
            use_raw_mechanism=raw_ecdsa,
        )

    def timestamper(self) -> TimeStamper:
        """The configured TSA (LICENCE_TRUST_URL): an HSM holds keys, not time."""
        return default_timestamper()

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        roots = read_certificates("LICENCE_TRUST_ROOTS_FILE")
        if roots:
            return roots
        if not getattr(settings, "DEMO_MODE", False):
            raise ImproperlyConfigured(
                "the pkcs11 licence signer needs LICENCE_TRUST_ROOTS_FILE (PEM root "
                "certificates of the CA that issued the agencies' certificates) outside "
                "the demo profile"
            )
        # Demo tokens are provisioned from the development CA (manage.py licence_keys).
        from bizportal.licences.contrib.dev_ca import ca

        root = ca.ensure_root().certificate
        return [asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))]

    def close(self) -> None:
        """Close the shared session (tests, and before provisioning in this process:
        a token allows one login per application, so a second session cannot log in)."""
        with self._lock:
            self._drop()

    def _session_for(self, config: TokenConfig) -> pkcs11.Session:
        """The shared session, (re)opened when missing, after a fork, or when the
        configuration changed (a new PIN is picked up without a restart)."""
        if self._session is not None and self._pid != os.getpid():
            # Inherited from the parent process: its handle is not ours to use or close,
            # and PKCS#11 requires the child to initialise the library again.
            self._session = None
            lib = load_module(config)
            try:
                lib.reinitialize()
            except pkcs11.PKCS11Error:
                lib.initialize()
        if self._session is not None and self._config != config:
            self._drop()
        if self._session is None:
            session = open_session(config)
            try:
                mechanisms = frozenset(session.token.slot.get_mechanisms())
            except pkcs11.PKCS11Error:
                mechanisms = frozenset()
            self._session, self._config, self._pid = session, config, os.getpid()
            self._mechanisms = mechanisms
        return self._session

    def _drop(self) -> None:
        session, self._session, self._config = self._session, None, None
        if session is not None and self._pid == os.getpid():
            # A failure means it is already gone on the token's side: nothing to release.
            with contextlib.suppress(pkcs11.PKCS11Error):
                session.close()
