"""The embedded development certificate authority.

A fresh checkout must be able to issue and verify signed licences without any key
ceremony, so the first signature creates a private root CA and, per agency, a signing
certificate under ``settings.LICENCE_KEY_DIR``. Keys are EC P-256 (fast to make, small
signatures, supported by every PAdES validator) and are written with mode 0600.

This is for development and demos only: the keys sit unencrypted on disk. Production
registers a plugin backed by an HSM instead (see ``bizportal.licences.signers``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

ROOT_COMMON_NAME = "Biz Portal Development Root CA"
ROOT_ORGANISATION = "Biz Portal (development only)"
ROOT_VALIDITY = dt.timedelta(days=20 * 365)
SIGNING_VALIDITY = dt.timedelta(days=10 * 365)
# No extended key usage: PAdES validators look at key usage (non-repudiation), and an
# EKU list would only narrow what the certificate is accepted for.
# Renew an agency certificate this long before it runs out, so no licence is ever
# signed with a certificate that expires the next morning.
RENEW_BEFORE = dt.timedelta(days=90)


@dataclass(frozen=True)
class KeyPair:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def key_dir() -> Path:
    return Path(settings.LICENCE_KEY_DIR)


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with owner-only permissions (keys and their certificates)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise CA creation between processes (web server and task worker)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _load(cert_path: Path, key_path: Path) -> KeyPair | None:
    if not (cert_path.exists() and key_path.exists()):
        return None
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{key_path} does not hold an EC private key")
    return KeyPair(certificate, key)


def _save(pair: KeyPair, cert_path: Path, key_path: Path) -> None:
    cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_private(
        key_path,
        pair.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_private(cert_path, pair.certificate.public_bytes(serialization.Encoding.PEM))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _make_root() -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ROOT_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_COMMON_NAME),
        ]
    )
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(certificate, key)


def _make_signing(root: KeyPair, organisation: str, agency_code: str) -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, agency_code),
            x509.NameAttribute(NameOID.COMMON_NAME, organisation),
        ]
    )
    now = _now()
    not_after = min(now + SIGNING_VALIDITY, root.certificate.not_valid_after_utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()),
            critical=False,
        )
        .sign(root.key, hashes.SHA256())
    )
    return KeyPair(certificate, key)


def _root_paths(directory: Path) -> tuple[Path, Path]:
    return directory / "root-ca.cert.pem", directory / "root-ca.key.pem"


def _agency_paths(directory: Path, agency_code: str) -> tuple[Path, Path]:
    if not agency_code or "/" in agency_code or agency_code.startswith("."):
        raise ValueError(f"unusable agency code for a key file name: {agency_code!r}")
    return (
        directory / "agencies" / f"{agency_code}.cert.pem",
        directory / "agencies" / f"{agency_code}.key.pem",
    )


def _ensure_root_unlocked(directory: Path) -> KeyPair:
    cert_path, key_path = _root_paths(directory)
    root = _load(cert_path, key_path)
    if root is None:
        root = _make_root()
        _save(root, cert_path, key_path)
    return root


def ensure_root() -> KeyPair:
    """The root CA, created on first use."""
    directory = key_dir()
    cert_path, key_path = _root_paths(directory)
    existing = _load(cert_path, key_path)
    if existing is not None:
        return existing
    with _locked(directory):
        return _ensure_root_unlocked(directory)


def _needs_new_certificate(pair: KeyPair, root: KeyPair, organisation: str) -> bool:
    certificate = pair.certificate
    if certificate.issuer != root.certificate.subject:
        return True
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if not names or names[0].value != organisation:
        return True
    return certificate.not_valid_after_utc - _now() < RENEW_BEFORE


def ensure_agency(agency_code: str, organisation: str) -> tuple[KeyPair, KeyPair]:
    """The agency's signing pair and the root, (re)issued when missing, renamed or expiring.

    A renewed certificate replaces the old one on disk; licences signed with the old
    one still verify, because verification trusts the root, not the leaf.
    """
    directory = key_dir()
    cert_path, key_path = _agency_paths(directory, agency_code)
    root = ensure_root()
    pair = _load(cert_path, key_path)
    if pair is not None and not _needs_new_certificate(pair, root, organisation):
        return pair, root
    with _locked(directory):
        root = _ensure_root_unlocked(directory)
        pair = _load(cert_path, key_path)
        if pair is None or _needs_new_certificate(pair, root, organisation):
            pair = _make_signing(root, organisation, agency_code)
            _save(pair, cert_path, key_path)
    return pair, root
