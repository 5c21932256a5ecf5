"""The development CA's files on disk, shared by the licence signer and the trust services.

Why here and without Django: the trust services (:mod:`bizportal.sandbox_trust`) are
an outside system in their own process, yet they must answer for exactly the
certificates the portal's development CA issued. Both sides therefore read and write
one directory (``settings.LICENCE_KEY_DIR`` on the portal side, ``--key-dir`` here):

- ``root-ca.cert.pem`` / ``root-ca.key.pem``: the root (EC P-256);
- ``agencies/<code>.cert.pem`` / ``.key.pem``: each agency's signing pair;
- ``services/tsa.cert.pem`` / ``.key.pem``: the time-stamping unit;
- ``services/ocsp.cert.pem`` / ``.key.pem``: the delegated OCSP responder;
- ``issued/<serial hex>.pem``: every certificate the CA ever issued (OCSP says "good"
  only for these, "unknown" for anything else);
- ``revoked.json``: ``{serial hex: {"revoked_at": ISO time, "reason": name}}``.

Creation is serialised between processes with ``flock`` on ``.lock``. Keys sit
unencrypted with mode 0600: development and demos only.

Certificate policy: the development arc is a UUID OID (ITU-T X.667, ``2.25.<uuid>``),
which needs no registration and cannot collide with a real CA's policy. Its sub-arc
``.1`` is "Biz Portal development e-licence signing, no assurance", ``.2`` the
sandbox TSA's time-stamp policy. A relying party that checks for a production policy
OID never mistakes a development licence for a real one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

DEVELOPMENT_ARC = "2.25.38542609631307627614159857686907804254"
CERTIFICATE_POLICY_OID = x509.ObjectIdentifier(f"{DEVELOPMENT_ARC}.1")
TSA_POLICY_OID = f"{DEVELOPMENT_ARC}.2"

ROOT_COMMON_NAME = "Biz Portal Development Root CA"
ROOT_ORGANISATION = "Biz Portal (development only)"
ROOT_VALIDITY = dt.timedelta(days=20 * 365)
LEAF_VALIDITY = dt.timedelta(days=10 * 365)
# Renew a leaf this long before it runs out, so nothing is signed with a certificate
# that expires the next morning.
RENEW_BEFORE = dt.timedelta(days=90)

Kind = Literal["signing", "tsa", "ocsp"]
REVOCATION_REASONS = {reason.name: reason for reason in x509.ReasonFlags}


@dataclass(frozen=True)
class KeyPair:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- the trust services' URLs, as written into certificates ---------------------------


def ocsp_url(trust_url: str) -> str:
    return f"{trust_url.rstrip('/')}/ocsp"


def crl_url(trust_url: str) -> str:
    return f"{trust_url.rstrip('/')}/crl/root.crl"


def ca_issuers_url(trust_url: str) -> str:
    return f"{trust_url.rstrip('/')}/ca/root.cer"


def tsa_url(trust_url: str) -> str:
    return f"{trust_url.rstrip('/')}/tsa"


# -- files ----------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with owner-only permissions (keys and their certificates)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise CA changes between processes (web server, task worker, trust services)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def load_pair(cert_path: Path, key_path: Path) -> KeyPair | None:
    if not (cert_path.exists() and key_path.exists()):
        return None
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{key_path} does not hold an EC private key")
    return KeyPair(certificate, key)


def save_pair(pair: KeyPair, cert_path: Path, key_path: Path) -> None:
    _write_private(
        key_path,
        pair.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_private(cert_path, pair.certificate.public_bytes(serialization.Encoding.PEM))


def root_paths(directory: Path) -> tuple[Path, Path]:
    return directory / "root-ca.cert.pem", directory / "root-ca.key.pem"


def agency_paths(directory: Path, agency_code: str) -> tuple[Path, Path]:
    if not agency_code or "/" in agency_code or agency_code.startswith("."):
        raise ValueError(f"unusable agency code for a key file name: {agency_code!r}")
    return (
        directory / "agencies" / f"{agency_code}.cert.pem",
        directory / "agencies" / f"{agency_code}.key.pem",
    )


def tsa_paths(directory: Path) -> tuple[Path, Path]:
    return directory / "services" / "tsa.cert.pem", directory / "services" / "tsa.key.pem"


def ocsp_paths(directory: Path) -> tuple[Path, Path]:
    return directory / "services" / "ocsp.cert.pem", directory / "services" / "ocsp.key.pem"


def _archive(directory: Path, certificate: x509.Certificate) -> None:
    """Remember every issued certificate, so OCSP can tell "good" from "unknown"."""
    _write_private(
        directory / "issued" / f"{certificate.serial_number:x}.pem",
        certificate.public_bytes(serialization.Encoding.PEM),
    )


def issued_certificate(directory: Path, serial: int) -> x509.Certificate | None:
    """The certificate this CA issued with ``serial``, or None if it never did."""
    path = directory / "issued" / f"{serial:x}.pem"
    if not path.exists():
        return None
    return x509.load_pem_x509_certificate(path.read_bytes())


@dataclass(frozen=True)
class Revocation:
    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags


def revocations(directory: Path) -> dict[int, Revocation]:
    """Every revoked serial with when and why (empty when nothing was revoked)."""
    path = directory / "revoked.json"
    if not path.exists():
        return {}
    raw: dict[str, dict[str, str]] = json.loads(path.read_text())
    return {
        int(serial, 16): Revocation(
            int(serial, 16),
            dt.datetime.fromisoformat(entry["revoked_at"]),
            REVOCATION_REASONS[entry["reason"]],
        )
        for serial, entry in raw.items()
    }


def revoke(
    directory: Path,
    serial: int,
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified,
    when: dt.datetime | None = None,
) -> Revocation:
    """Record ``serial`` as revoked; OCSP and the CRL say so from the next request on."""
    if issued_certificate(directory, serial) is None:
        raise KeyError(f"the development CA never issued serial {serial:x}")
    entry = Revocation(serial, (when or now()).replace(microsecond=0), reason)
    with locked(directory):
        path = directory / "revoked.json"
        raw = json.loads(path.read_text()) if path.exists() else {}
        raw[f"{serial:x}"] = {"revoked_at": entry.revoked_at.isoformat(), "reason": reason.name}
        _write_private(path, json.dumps(raw, indent=2, sort_keys=True).encode())
    return entry


# -- issuing --------------------------------------------------------------------------


def _make_root() -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ROOT_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_COMMON_NAME),
        ]
    )
    moment = now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(moment + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,  # it signs OCSP responses itself
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(certificate, key)


def _ensure_root_unlocked(directory: Path) -> KeyPair:
    cert_path, key_path = root_paths(directory)
    root = load_pair(cert_path, key_path)
    if root is None:
        root = _make_root()
        save_pair(root, cert_path, key_path)
        _archive(directory, root.certificate)
    return root


def ensure_root(directory: Path) -> KeyPair:
    """The root CA, created on first use by whichever process needs it first."""
    existing = load_pair(*root_paths(directory))
    if existing is not None:
        return existing
    with locked(directory):
        return _ensure_root_unlocked(directory)


def issue(root: KeyPair, subject: x509.Name, kind: Kind, trust_url: str) -> KeyPair:
    """A fresh leaf key and certificate under ``root``, pointing at the trust services.

    Every leaf carries the AIA (OCSP and the root's URL), the CRL distribution point and
    the development policy OID, so a PAdES B-LT signer can collect its revocation data
    and a validator knows where to look. A TSA certificate has the critical EKU
    timeStamping that RFC 3161 requires; a signing certificate has no EKU, because
    PAdES validators look at key usage (non-repudiation) and an EKU list only narrows.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    moment = now()
    not_after = min(moment + LEAF_VALIDITY, root.certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
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
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url(trust_url)),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(ca_issuers_url(trust_url)),
                    ),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url(trust_url))],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(CERTIFICATE_POLICY_OID, None)]),
            critical=False,
        )
    )
    if kind == "tsa":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    elif kind == "ocsp":
        # A delegated responder (RFC 6960 4.2.2.2) whose own status is not checked
        # (id-pkix-ocsp-nocheck): the ETSI past-validation algorithm otherwise asks for
        # revocation data of whoever signed the revocation data, without end.
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True
        ).add_extension(x509.OCSPNoCheck(), critical=False)
    return KeyPair(builder.sign(root.key, hashes.SHA256()), key)


def points_at(certificate: x509.Certificate, trust_url: str) -> bool:
    """True when the certificate's OCSP URL is this deployment's trust services."""
    try:
        aia = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except x509.ExtensionNotFound:
        return False
    return any(
        item.access_method == AuthorityInformationAccessOID.OCSP
        and item.access_location.value == ocsp_url(trust_url)
        for item in aia.value
    )


def needs_new(
    pair: KeyPair,
    root: KeyPair,
    trust_url: str,
    organisation: str = "",
    directory: Path | None = None,
) -> bool:
    """Re-issue a leaf made under another root, for another name, before this change (no
    AIA), for other trust services, revoked, or close to its end."""
    certificate = pair.certificate
    if certificate.issuer != root.certificate.subject:
        return True
    if directory is not None and certificate.serial_number in revocations(directory):
        return True
    if organisation:
        names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if not names or names[0].value != organisation:
            return True
    if not points_at(certificate, trust_url):
        return True
    return certificate.not_valid_after_utc - now() < RENEW_BEFORE


def _ensure_leaf(
    directory: Path,
    paths: tuple[Path, Path],
    subject: x509.Name,
    kind: Kind,
    trust_url: str,
    organisation: str = "",
) -> tuple[KeyPair, KeyPair]:
    root = ensure_root(directory)
    pair = load_pair(*paths)
    if pair is not None and not needs_new(pair, root, trust_url, organisation, directory):
        return pair, root
    with locked(directory):
        root = _ensure_root_unlocked(directory)
        pair = load_pair(*paths)
        if pair is None or needs_new(pair, root, trust_url, organisation, directory):
            pair = issue(root, subject, kind, trust_url)
            _archive(directory, pair.certificate)
            save_pair(pair, *paths)
    return pair, root


def ensure_agency(
    directory: Path, agency_code: str, organisation: str, trust_url: str
) -> tuple[KeyPair, KeyPair]:
    """The agency's signing pair and the root, (re)issued when missing, renamed, expiring
    or pointing elsewhere. A renewed certificate replaces the old one on disk; licences
    signed with the old one still verify: it stays in ``issued/`` and unrevoked."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, agency_code),
            x509.NameAttribute(NameOID.COMMON_NAME, organisation),
        ]
    )
    return _ensure_leaf(
        directory,
        agency_paths(directory, agency_code),
        subject,
        "signing",
        trust_url,
        organisation,
    )


def ensure_tsa(directory: Path, trust_url: str) -> tuple[KeyPair, KeyPair]:
    """The time-stamping unit's pair and the root."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ROOT_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, "Biz Portal Development TSA"),
        ]
    )
    return _ensure_leaf(directory, tsa_paths(directory), subject, "tsa", trust_url)


def ensure_ocsp_responder(directory: Path, trust_url: str) -> tuple[KeyPair, KeyPair]:
    """The delegated OCSP responder's pair (EKU OCSPSigning, ocsp-nocheck) and the root."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ROOT_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, "Biz Portal Development OCSP Responder"),
        ]
    )
    return _ensure_leaf(directory, ocsp_paths(directory), subject, "ocsp", trust_url)
