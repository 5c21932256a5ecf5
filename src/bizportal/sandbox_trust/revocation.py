"""OCSP answers (RFC 6960) and the root's CRL (RFC 5280) for the development CA.

The root signs the CRL; OCSP answers are signed by a delegated responder certificate
the root issued for that purpose (EKU OCSPSigning, id-pkix-ocsp-nocheck), as public
CAs do: a validator following ETSI EN 319 102-1 past validation then needs no
revocation data for the responder itself. Answers are built per
request from the files in the key directory: a revocation written by
:func:`bizportal.sandbox_trust.pki.revoke` shows from the next request on.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from . import pki

# How long an answer may be relied on; a validator fetches again after that.
FRESHNESS = dt.timedelta(days=1)


class MalformedRequest(ValueError):
    """The body is not a DER OCSPRequest."""


def parse_request(body: bytes) -> ocsp.OCSPRequest:
    try:
        request = ocsp.load_der_ocsp_request(body)
        request.serial_number  # noqa: B018 - fails here if the CertID cannot be read
    except ValueError as error:  # includes "more than one request", unsupported hash
        raise MalformedRequest(f"not a DER OCSPRequest for one certificate: {error}") from error
    return request


def _issuer_hashes(root: pki.KeyPair, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    name = hashes.Hash(algorithm)
    name.update(root.certificate.subject.public_bytes())
    key = hashes.Hash(algorithm)
    key.update(
        root.certificate.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    return name.finalize(), key.finalize()


def unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def respond(directory: Path, request: ocsp.OCSPRequest, trust_url: str) -> bytes:
    """A signed answer: good for a certificate this CA issued and did not revoke, revoked
    with time and reason, unknown for a serial it never issued; "unauthorized" when the
    request names another issuer (this responder answers for the root only)."""
    root = pki.ensure_root(directory)
    if (request.issuer_name_hash, request.issuer_key_hash) != _issuer_hashes(
        root, request.hash_algorithm
    ):
        return unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    responder, _ = pki.ensure_ocsp_responder(directory, trust_url)
    serial = request.serial_number
    issued = pki.issued_certificate(directory, serial)
    revocation = pki.revocations(directory).get(serial)
    moment = pki.now().replace(microsecond=0)
    if issued is None or issued.issuer != root.certificate.subject:
        status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    elif revocation is not None:
        status = ocsp.OCSPCertStatus.REVOKED
        revoked_at, reason = revocation.revoked_at, revocation.reason
    else:
        status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=serial,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=moment,
            next_update=moment + FRESHNESS,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
        .certificates([responder.certificate])
    )
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce)
    except x509.ExtensionNotFound:
        pass
    else:
        builder = builder.add_extension(nonce.value, critical=False)
    response = builder.sign(responder.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def crl(directory: Path) -> bytes:
    """The root's CRL in DER, valid from now for :data:`FRESHNESS`."""
    root = pki.ensure_root(directory)
    moment = pki.now().replace(microsecond=0)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.certificate.subject)
        .last_update(moment)
        .next_update(moment + FRESHNESS)
        .add_extension(x509.CRLNumber(int(moment.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()),
            critical=False,
        )
    )
    for revocation in sorted(pki.revocations(directory).values(), key=lambda r: r.serial):
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revocation.serial)
            .revocation_date(revocation.revoked_at)
            .add_extension(x509.CRLReason(revocation.reason), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
