"""RFC 3161 time stamps, signed by the development TSA certificate.

pyHanko's ``DummyTimeStamper`` only signs with RSA and stamps a third party's policy
OID, so the token is built here with asn1crypto: a ``TSTInfo`` over the requested
message imprint, wrapped in CMS SignedData (RFC 5652) with the signed attributes
RFC 3161 and RFC 5816 ask for (content type, message digest, signing time and the
ESSCertIDv2 of the TSA certificate), signed ECDSA with the TSA's P-256 key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .pki import TSA_POLICY_OID, KeyPair

HASHES = {"sha256": 32, "sha384": 48, "sha512": 64}


class MalformedRequest(ValueError):
    """The body is not a DER TimeStampReq."""


def parse_request(body: bytes) -> tsp.TimeStampReq:
    """The request, fully parsed (asn1crypto is lazy: a broken inner field would only
    fail later, while building the answer)."""
    try:
        request = tsp.TimeStampReq.load(body, strict=True)
        request.native  # noqa: B018 - forces every field to parse
    except (ValueError, TypeError, OverflowError) as error:
        raise MalformedRequest(f"not a DER TimeStampReq: {error}") from error
    if request["version"].native != "v1":
        raise MalformedRequest("only TimeStampReq version 1 exists")
    return request


class Rejection(core.Sequence):
    """A TimeStampResp without a token. asn1crypto's ``TimeStampResp`` declares the
    token mandatory, though RFC 3161 makes it OPTIONAL (absent when not granted)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(failure: str, text: str) -> Rejection:
    return Rejection(
        {
            "status": tsp.PKIStatusInfo(
                {
                    "status": "rejection",
                    "status_string": [text],
                    "fail_info": tsp.PKIFailureInfo({failure}),
                }
            )
        }
    )


def _asn1_certificate(pair: KeyPair) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pair.certificate.public_bytes(serialization.Encoding.DER))


def respond(
    request: tsp.TimeStampReq, tsa: KeyPair, root: KeyPair, moment: dt.datetime | None = None
) -> tsp.TimeStampResp | Rejection:
    """A granted time stamp for ``request``, or a rejection the client can read."""
    imprint = request["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in HASHES:
        return _rejection("bad_alg", f"unsupported hash algorithm {algorithm}")
    if len(imprint["hashed_message"].native) != HASHES[algorithm]:
        return _rejection("bad_data_format", "the message imprint has the wrong length")
    if request["req_policy"].native not in (None, TSA_POLICY_OID):
        return _rejection("unaccepted_policy", "this TSA only stamps under its own policy")
    moment = (moment or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    tsa_cert = _asn1_certificate(tsa)
    info: dict[str, object] = {
        "version": "v1",
        "policy": TSA_POLICY_OID,
        "message_imprint": imprint,
        "serial_number": secrets.randbits(63),
        "gen_time": moment,
        "accuracy": {"seconds": 1},
        "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject),
    }
    if request["nonce"].native is not None:
        info["nonce"] = request["nonce"]
    content = tsp.TSTInfo(info).dump()
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(moment)})]},
            {
                "type": "signing_certificate_v2",
                "values": [
                    {
                        "certs": [
                            {
                                "hash_algorithm": {"algorithm": "sha256"},
                                "cert_hash": hashlib.sha256(tsa_cert.dump()).digest(),
                            }
                        ]
                    }
                ],
            },
            {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
        ]
    )
    signature = tsa.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": tsa_cert.issuer,
                        "serial_number": tsa_cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        }
    )
    certificates = [tsa_cert] if request["cert_req"].native else []
    if certificates:
        certificates.append(_asn1_certificate(root))
    fields: dict[str, object] = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": cms.ParsableOctetString(content),
        },
        "signer_infos": [signer_info],
    }
    if certificates:
        fields["certificates"] = certificates
    signed_data = cms.SignedData(fields)
    return tsp.TimeStampResp(
        {
            "status": {"status": "granted"},
            "time_stamp_token": {"content_type": "signed_data", "content": signed_data},
        }
    )
