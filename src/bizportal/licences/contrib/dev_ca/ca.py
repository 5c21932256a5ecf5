"""The embedded development certificate authority.

A fresh checkout must be able to issue and verify signed licences without any key
ceremony, so the first signature creates a private root CA and, per agency, a signing
certificate under ``settings.LICENCE_KEY_DIR``. Keys are EC P-256 (fast to make, small
signatures, supported by every PAdES validator) and are written with mode 0600.

The files themselves are handled by :mod:`bizportal.sandbox_trust.pki`, because the
sandbox trust services (TSA, OCSP, CRL; ``settings.LICENCE_TRUST_URL``) answer for the
same CA from their own process. Every certificate names those services (AIA OCSP, CRL
distribution point) and the development policy OID; one made before that, or for
other trust services, is re-issued on next use.

This is for development and demos only: the keys sit unencrypted on disk. Production
registers a plugin backed by an HSM instead (see ``bizportal.licences.signers``).
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from django.conf import settings

from bizportal.sandbox_trust import pki
from bizportal.sandbox_trust.pki import KeyPair

__all__ = [
    "KeyPair",
    "ensure_agency",
    "ensure_root",
    "ensure_tsa",
    "key_dir",
    "revoke_agency",
    "trust_url",
]


def key_dir() -> Path:
    return Path(settings.LICENCE_KEY_DIR)


def trust_url() -> str:
    return str(settings.LICENCE_TRUST_URL).rstrip("/")


def ensure_root() -> KeyPair:
    """The root CA, created on first use."""
    return pki.ensure_root(key_dir())


def ensure_agency(agency_code: str, organisation: str) -> tuple[KeyPair, KeyPair]:
    """The agency's signing pair and the root, (re)issued when missing, renamed, expiring
    or naming other trust services.

    A renewed certificate replaces the old one on disk; licences signed with the old
    one still verify, because verification trusts the root, not the leaf.
    """
    return pki.ensure_agency(key_dir(), agency_code, organisation, trust_url())


def ensure_tsa() -> tuple[KeyPair, KeyPair]:
    """The sandbox TSA's pair (the trust services make it too; whoever comes first)."""
    return pki.ensure_tsa(key_dir(), trust_url())


def revoke_agency(agency_code: str) -> int | None:
    """Revoke the agency's current signing certificate (OCSP and the CRL say so at
    once; the next licence gets a new certificate); its serial, or None if it has none."""
    pair = pki.load_pair(*pki.agency_paths(key_dir(), agency_code))
    if pair is None:
        return None
    pki.revoke(key_dir(), pair.certificate.serial_number, x509.ReasonFlags.key_compromise)
    return pair.certificate.serial_number
