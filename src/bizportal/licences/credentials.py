"""Every licence version as a W3C Verifiable Credential 2.0, secured with VC-JOSE.

Why a credential besides the signed PDF: a verifier's app (a bank, an inspector, a
marketplace) wants the licence as data it can check *offline*: one compact JWS
(``application/vc+jwt``) whose header carries the agency's certificate chain (``x5c``),
checked against the platform's root, plus the agency's Bitstring Status Lists, which
say whether the licence was revoked or is suspended without revealing which licence
the verifier asked about.

What is where:

* :func:`build_credential` the VC JSON of one version (terms in :func:`context_document`,
  served at ``/credentials/licence/v1``); a person's citizen ID only masked unless the
  service's ``licence_credential_full_id`` says the law needs it in full.
* :func:`sign_json` signs through the signer plugin (:mod:`.signers`): the key may sit in
  an HSM, so the JWS signing input goes to the pyHanko signer's ``async_sign_raw`` and
  the DER ECDSA signature comes back; nothing here reads a key file.
* :func:`status_list_token` the agency's published ``BitstringStatusListCredential`` per
  purpose, built with one query over the register's indexes and cached until a
  lifecycle change (:func:`status_changed`) or its short ``validUntil``.
* :func:`verify_credential` the public presentation check: signature, chain, the
  register's own copy, validity dates and the status list bits, one verdict.

State changes stay in :mod:`.services`; this module only allocates a status index
inside the issuing transaction (:func:`allocate_status_index`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import datetime as dt
import gzip
import hashlib
import json
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from joserfc import jwk, jws
from joserfc.errors import JoseError
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from bizportal.catalog.models import Agency
from bizportal.core import safejson
from bizportal.core.sequences import current_value, next_value

from .models import HolderKind, Licence, LicenceVersion
from .pdf import CREDENTIAL_MEDIA_TYPE, CREDENTIAL_NAME, verify_url
from .signers import signer_for, trust_roots

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

logger = logging.getLogger(__name__)

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
MEDIA_TYPE = CREDENTIAL_MEDIA_TYPE
LD_MEDIA_TYPE = "application/ld+json"
SCHEMA_MEDIA_TYPE = "application/schema+json"
CREDENTIAL_TYPE = "BusinessLicenceCredential"
#: The attachment name in the PDF, beside ``licence.json``.
ATTACHMENT_NAME = CREDENTIAL_NAME
#: A licence VC with a two-certificate chain is about 4 KB; anything past this is not one.
MAX_TOKEN_BYTES = 32 * 1024
STATUS_PURPOSES = ("revocation", "suspension")
StatusPurpose = Literal["revocation", "suspension"]
#: The spec's minimum: 16 KB of bits, so one licence's position hides among 131,072.
LIST_MIN_ENTRIES = 131_072
#: Clock skew allowed on ``validFrom`` between the issuer and a verifier.
CLOCK_SKEW = dt.timedelta(minutes=5)

#: JOSE algorithm and the digest the signer plugin is asked for, per key type.
_EC_ALGORITHMS = {"secp256r1": ("ES256", "sha256"), "secp384r1": ("ES384", "sha384")}
ALGORITHMS = ("ES256", "ES384", "RS256", "PS256")

CredentialVerdict = Literal[
    "valid",
    "revoked",
    "cancelled",
    "suspended",
    "superseded",
    "expired",
    "not_yet_valid",
    "tampered",
    "untrusted",
    "not_found",
]
#: The verdicts of the credential check, as the API documents them.
CREDENTIAL_VERDICTS = list(CredentialVerdict.__args__)  # type: ignore[attr-defined]


class CredentialError(Exception):
    """The signer plugin cannot produce a VC-JOSE signature (say which key and why)."""


class CredentialInputError(ValueError):
    """What was posted is not a licence credential at all (400); bilingual message."""


# --- addresses ----------------------------------------------------------------------


def context_url() -> str:
    """The JSON-LD context the credentials name; served by the portal itself."""
    return settings.BASE_URL + reverse("licences:credential-context")


def payload_schema_url() -> str:
    """The JSON Schema of ``licence.json`` (the PDF's plain-JSON attachment)."""
    return settings.BASE_URL + reverse("licences:payload-schema")


def issuer_url(agency_code: str) -> str:
    """The issuer id of an agency: resolves to its name and public key (JWK with x5c)."""
    return settings.BASE_URL + reverse("licences-issuer", args=[agency_code])


def status_list_url(agency_code: str, purpose: str) -> str:
    return settings.BASE_URL + reverse("licences-status-list", args=[agency_code, purpose])


# --- the vocabulary -----------------------------------------------------------------

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Our terms and how each is typed; the IRIs are ``<context url>#<term>``.
_TERMS: dict[str, dict[str, str]] = {
    CREDENTIAL_TYPE: {},
    "LicenceHolder": {},
    "BusinessLicence": {},
    "holderKind": {},
    "holderName": {"@container": "@language"},
    "juristicId": {},
    "personalId": {},
    "personalIdMasked": {},
    "licence": {},
    "licenceNumber": {},
    "licenceVersion": {"@type": _XSD + "integer"},
    "versionKind": {},
    "licenceTitle": {"@container": "@language"},
    "permits": {"@container": "@language"},
    "businessName": {},
    "service": {},
    "firstIssued": {"@type": _XSD + "date"},
    "licenceValidFrom": {"@type": _XSD + "date"},
    "licenceValidUntil": {"@type": _XSD + "date"},
    "verificationPage": {"@type": "@id"},
}


def context_terms() -> frozenset[str]:
    """Every term the licence context defines (the tests check each used key is one)."""
    return frozenset(_TERMS)


def context_document() -> dict[str, Any]:
    """The JSON-LD 1.1 context of licence credentials. Protected, like the VC v2 context,
    so no later context in a credential can redefine what our terms mean."""
    vocab = context_url() + "#"
    definitions: dict[str, Any] = {"@version": 1.1, "@protected": True}
    for term, extra in _TERMS.items():
        definitions[term] = {"@id": vocab + term, **extra} if extra else vocab + term
    return {"@context": definitions}


def payload_schema() -> dict[str, Any]:
    """JSON Schema 2020-12 of ``licence.json``: what an integrator reading the PDF's
    plain attachment may rely on (the credential is the signed, linked-data form)."""
    text = {"type": "string"}
    bilingual = {
        "type": "object",
        "properties": {"th": text, "en": text},
        "required": ["th", "en"],
    }
    date = {"type": ["string", "null"], "format": "date"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": payload_schema_url(),
        "title": "Biz Portal e-licence data (licence.json)",
        "type": "object",
        "required": ["schema", "schema_version", "number", "version", "holder", "issuer"],
        "properties": {
            "schema": {"const": payload_schema_url()},
            "schema_version": {"const": 1},
            "number": text,
            "version": {"type": "integer", "minimum": 1},
            "kind": {"enum": ["new", "amend", "renew"]},
            "title": bilingual,
            "permits": bilingual,
            "holder": {
                "type": "object",
                "properties": {
                    "kind": {"enum": [HolderKind.PERSON.value, HolderKind.JURISTIC.value]},
                    "name": text,
                    "name_en": text,
                    "id": {
                        **text,
                        "description": "a company's juristic ID in full; a person's citizen "
                        "ID or passport masked (x-xxxx-xxxxx-45-0)",
                    },
                },
                "required": ["kind", "name", "id"],
            },
            "business_name": text,
            "issuer": {
                "type": "object",
                "properties": {"code": text, "name_th": text, "name_en": text},
                "required": ["code"],
            },
            "service": text,
            "application_reference": text,
            "issued_at": {"type": "string", "format": "date"},
            "valid_from": date,
            "valid_until": date,
            "verify_url": {"type": "string", "format": "uri"},
            "credential": {
                "type": "string",
                "description": "the name of the attached Verifiable Credential "
                f"({ATTACHMENT_NAME})",
            },
        },
    }


# --- building ---------------------------------------------------------------------


def _bilingual(th: str, en: str) -> dict[str, str]:
    """A JSON-LD language map without the empty languages."""
    return {lang: value for lang, value in (("th", th), ("en", en)) if value}


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_default_timezone())


def _timestamp(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def holder_claims(licence: Licence) -> dict[str, Any]:
    """Who holds the licence. A company's juristic ID is public record; a person's
    citizen ID (or passport) is masked unless the service needs it in full."""
    from .services import masked_holder_id

    claims: dict[str, Any] = {
        "type": "LicenceHolder",
        "holderKind": licence.holder_kind,
        "holderName": _bilingual(licence.holder_name, licence.holder_name_en),
    }
    if licence.holder_kind == HolderKind.JURISTIC:
        claims["juristicId"] = licence.holder_id
    elif licence.holder_id and licence.service.licence_credential_full_id:
        claims["personalId"] = licence.holder_id
    elif licence.holder_id:
        claims["personalIdMasked"] = masked_holder_id(licence)
    return claims


def build_credential(licence: Licence, version: LicenceVersion) -> dict[str, Any]:
    """The VC of one licence version, unsigned. Its ``id`` is the version's public
    verification page, so the id resolves to what the register says of it today."""
    agency = licence.agency
    facts: dict[str, Any] = {
        "type": "BusinessLicence",
        "licenceNumber": licence.number,
        "licenceVersion": version.number,
        "versionKind": version.kind,
        "licenceTitle": _bilingual(licence.title_th, licence.title_en),
        "permits": _bilingual(licence.permits_th, licence.permits_en),
        "service": licence.service.slug,
        "firstIssued": timezone.localtime(licence.issued_at).date().isoformat(),
        "verificationPage": verify_url(licence.number, version.number),
    }
    if version.business_name:
        facts["businessName"] = version.business_name
    if version.valid_from:
        facts["licenceValidFrom"] = version.valid_from.isoformat()
    if version.valid_until:
        facts["licenceValidUntil"] = version.valid_until.isoformat()
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2, context_url()],
        "id": verify_url(licence.number, version.number),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": {
            "id": issuer_url(agency.code),
            "name": _language_values(agency.name_th, agency.name_en),
        },
        "validFrom": _timestamp(version.issued_at),
        "credentialSubject": {**holder_claims(licence), "licence": facts},
    }
    if version.valid_until:
        credential["validUntil"] = _end_of_day(version.valid_until).isoformat()
    if licence.status_index is not None:
        credential["credentialStatus"] = [
            {
                "id": f"{status_list_url(agency.code, purpose)}#{licence.status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(licence.status_index),
                "statusListCredential": status_list_url(agency.code, purpose),
            }
            for purpose in STATUS_PURPOSES
        ]
    return credential


def _language_values(th: str, en: str) -> list[dict[str, str]]:
    """A name in the VC v2 way: one value object per language."""
    return [
        {"@value": value, "@language": lang} for lang, value in (("th", th), ("en", en)) if value
    ]


# --- signing through the plugin ---------------------------------------------------

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's async signer from sync code, also when a loop is already running
    (then in a worker thread, as ``asyncio.run`` refuses to nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _crypto_cert(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def _chain(signer: Signer) -> list[asn1_x509.Certificate]:
    """The signing certificate, then each issuer the plugin knows, in order (``x5c``)."""
    leaf = signer.signing_cert
    if leaf is None:
        raise CredentialError("the signer plugin gave no signing certificate")
    pool = [cert for cert in (signer.cert_registry or []) if cert.dump() != leaf.dump()]
    chain = [leaf]
    current = leaf
    while not current.self_signed:
        parent = next((cert for cert in pool if cert.subject == current.issuer), None)
        if parent is None:
            break
        chain.append(parent)
        pool.remove(parent)
        current = parent
    return chain


def _public_jwk(certificate: x509.Certificate) -> jwk.ECKey | jwk.RSAKey:
    public_key = certificate.public_key()
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return jwk.import_key(pem, "EC")
    return jwk.import_key(pem, "RSA")


def _algorithm(signer: Signer, certificate: x509.Certificate) -> tuple[str, str]:
    """The JOSE ``alg`` for the plugin's key, and the digest to ask it for.

    ECDSA and RSA (PKCS#1 v1.5 or PSS) keys sign raw data the JOSE way. Ed25519 and
    other keys are refused: pyHanko would sign them, but not in a form this module
    converts, and no agency key is of that kind today."""
    public_key = certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        found = _EC_ALGORITHMS.get(public_key.curve.name)
        if found is None:
            raise CredentialError(
                f"VC-JOSE signing supports P-256 and P-384 keys, not {public_key.curve.name}"
            )
        return found
    if isinstance(public_key, rsa.RSAPublicKey):
        mechanism = signer.get_signature_mechanism_for_digest("sha256")
        return ("PS256" if mechanism.signature_algo == "rsassa_pss" else "RS256"), "sha256"
    raise CredentialError(
        f"VC-JOSE signing does not support {type(public_key).__name__} keys: the agency's "
        "signer plugin must hold an EC (P-256) or RSA key"
    )


def _jose_signature(raw: bytes, certificate: x509.Certificate) -> bytes:
    """ECDSA comes back DER-encoded from pyHanko; JOSE wants r || s, each full width."""
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return raw
    r, s = decode_dss_signature(raw)
    width = (public_key.curve.key_size + 7) // 8
    return r.to_bytes(width, "big") + s.to_bytes(width, "big")


class _VcJoseRegistry(jws.JWSRegistry):
    """joserfc's registry with room for ``x5c``: its 512-byte header bound is for bare
    JWTs, and a header with a two-certificate chain is about 1.5 KB. The token as a
    whole stays bounded by :data:`MAX_TOKEN_BYTES`."""

    max_header_length = MAX_TOKEN_BYTES


def _check_signature(token: str, key: jwk.Key, alg: str) -> None:
    """Raises a :class:`JoseError` unless ``token`` verifies with ``key`` under ``alg``."""
    jws.deserialize_compact(token, key, registry=_VcJoseRegistry(algorithms=[alg]))


def key_id(agency_code: str, certificate: x509.Certificate) -> str:
    """``<issuer url>#<RFC 7638 thumbprint>``: names the key a verifier finds at the issuer."""
    return f"{issuer_url(agency_code)}#{_public_jwk(certificate).thumbprint()}"


def sign_json(agency: Agency, document: dict[str, Any]) -> str:
    """``document`` as a VC-JOSE compact JWS signed with the agency's key (via the plugin).

    The signature is checked with joserfc against the certificate before it is
    returned, so a plugin that signs with a key other than its certificate's fails
    here, at issue, and not at the first verifier."""
    signer = signer_for(agency)
    chain = _chain(signer)
    leaf = _crypto_cert(chain[0])
    alg, digest = _algorithm(signer, leaf)
    header = {
        "alg": alg,
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": key_id(agency.code, leaf),
        "x5c": [base64.b64encode(cert.dump()).decode("ascii") for cert in chain],
    }
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
    )
    raw = _run(signer.async_sign_raw(signing_input.encode("ascii"), digest))
    token = f"{signing_input}.{_b64url(_jose_signature(raw, leaf))}"
    _check_signature(token, _public_jwk(leaf), alg)
    return token


def issue_credential(licence: Licence, version: LicenceVersion) -> str:
    """The signed VC of a version (called by the issuing service)."""
    return sign_json(licence.agency, build_credential(licence, version))


def issuer_document(agency: Agency) -> dict[str, Any]:
    """What the issuer id resolves to: the agency's names and its signing key as a JWK
    with its certificate chain (cached: the plugin is asked once per key change)."""
    key = f"licences:issuer:{agency.code}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached
    signer = signer_for(agency)
    chain = _chain(signer)
    leaf = _crypto_cert(chain[0])
    public = _public_jwk(leaf).as_dict()
    kid = key_id(agency.code, leaf)
    alg, _digest = _algorithm(signer, leaf)
    document = {
        "@context": [VC_CONTEXT_V2],
        "id": issuer_url(agency.code),
        "type": "Issuer",
        "name": _language_values(agency.name_th, agency.name_en),
        "agencyCode": agency.code,
        "verificationMethod": [
            {
                "id": kid,
                "type": "JsonWebKey",
                "controller": issuer_url(agency.code),
                "publicKeyJwk": {
                    **public,
                    "kid": kid,
                    "alg": alg,
                    "use": "sig",
                    "x5c": [base64.b64encode(cert.dump()).decode("ascii") for cert in chain],
                },
            }
        ],
        "assertionMethod": [kid],
    }
    cache.set(key, document, timeout=3600)
    return document


# --- status lists -------------------------------------------------------------------


def _counter(agency: Agency) -> str:
    return f"VCSL-{agency.pk}"


def allocate_status_index(agency: Agency) -> int:
    """The licence's position in its agency's status lists, from a gap-free counter row
    (locked until the issuing transaction ends, so concurrent issues on PostgreSQL
    queue instead of taking the same position; a rollback hands it back)."""
    index = next_value(_counter(agency)) - 1
    if index and index % LIST_MIN_ENTRIES == 0:
        status_changed(agency.code)  # the lists grow by a block: the cached ones are short
    return index


def list_entries(agency: Agency) -> int:
    """Entries in the agency's lists: at least 131,072, growing in steps of that."""
    allocated = current_value(_counter(agency))
    steps = max(1, -(-allocated // LIST_MIN_ENTRIES))
    return steps * LIST_MIN_ENTRIES


def status_bits(agency: Agency, purpose: str, *, today: dt.date | None = None) -> bytes:
    """The bitstring for ``purpose`` from the register, with one query over the indexes.

    Revocation: revoked, and cancelled by the holder (both final). Suspension: suspended
    now (a suspension whose last day has passed is over, whether or not the sweeper
    has run yet), matching :func:`bizportal.licences.services.verdict`."""
    today = today or timezone.localdate()
    ended = Licence.objects.filter(agency=agency, status_index__isnull=False)
    if purpose == "revocation":
        ended = ended.filter(status__in=[Licence.Status.REVOKED, Licence.Status.CANCELLED])
    elif purpose == "suspension":
        ended = ended.filter(status=Licence.Status.SUSPENDED).filter(
            Q(suspended_until__isnull=True) | Q(suspended_until__gte=today)
        )
    else:
        raise ValueError(f"no status purpose {purpose!r}")
    bits = bytearray(list_entries(agency) // 8)
    for index in ended.values_list("status_index", flat=True):
        if index is not None:  # filtered out above; the type does not know
            bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encode_list(bits: bytes) -> str:
    """GZIP, then multibase base64url without padding (the spec's ``u`` prefix)."""
    return "u" + _b64url(gzip.compress(bits, mtime=0))


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("the encoded list is not multibase base64url")
    return gzip.decompress(_b64url_decode(encoded[1:]))


def bit(bits: bytes, index: int) -> bool:
    """Bit ``index`` (0 is the most significant bit of the first byte)."""
    if index < 0 or index // 8 >= len(bits):
        raise IndexError(index)
    return bool((bits[index // 8] >> (7 - index % 8)) & 1)


@dataclass(frozen=True)
class PublishedList:
    token: str
    bits: bytes
    valid_from: dt.datetime
    valid_until: dt.datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.token.encode()).hexdigest()[:32] + '"'


def ttl() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.LICENCE_STATUS_LIST_TTL))


def _list_cache_key(agency_code: str, purpose: str, day: dt.date) -> str:
    return f"licences:status-list:{agency_code}:{purpose}:{day.isoformat()}"


def status_list(agency: Agency, purpose: str) -> PublishedList:
    """The signed list as published, from the cache while it is valid."""
    today = timezone.localdate()
    key = _list_cache_key(agency.code, purpose, today)
    cached = cache.get(key)
    now = timezone.now()
    if isinstance(cached, PublishedList) and cached.valid_until > now:
        return cached
    bits = status_bits(agency, purpose, today=today)
    url = status_list_url(agency.code, purpose)
    valid_until = now + ttl()
    document = {
        "@context": [VC_CONTEXT_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(agency.code),
        "validFrom": _timestamp(now),
        "validUntil": _timestamp(valid_until),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
            "ttl": int(ttl().total_seconds() * 1000),
        },
    }
    published = PublishedList(sign_json(agency, document), bits, now, valid_until)
    cache.set(key, published, timeout=int(ttl().total_seconds()))
    return published


def status_changed(agency_code: str) -> None:
    """A licence of the agency was revoked, suspended, reinstated or cancelled: the next
    request rebuilds its lists. Dropped now, so the changing transaction's own reads see
    the change, and again once it commits, so a list another request rebuilt meanwhile
    from the state before is not served for a whole ttl."""

    def drop() -> None:
        today = timezone.localdate()
        cache.delete_many([_list_cache_key(agency_code, p, today) for p in STATUS_PURPOSES])

    drop()
    transaction.on_commit(drop)


# --- the presentation check ---------------------------------------------------------

_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

MESSAGES: dict[str, tuple[str, str]] = {
    "valid": (
        "ใบอนุญาตอิเล็กทรอนิกส์ (VC) ถูกต้องและใช้ได้",
        "The licence credential is authentic and the licence is valid",
    ),
    "revoked": ("ใบอนุญาตนี้ถูกเพิกถอนแล้ว ใช้ไม่ได้", "This licence has been revoked: do not rely on it"),
    "cancelled": ("ผู้ถือใบอนุญาตขอยกเลิกแล้ว", "The holder has cancelled this licence"),
    "suspended": ("ใบอนุญาตนี้ถูกพักใช้อยู่ ใช้ไม่ได้", "This licence is suspended: do not rely on it"),
    "superseded": (
        "เป็นฉบับเก่า มีฉบับใหม่แทนแล้ว",
        "This is an old version: a newer one replaced it",
    ),
    "expired": ("ใบอนุญาตนี้หมดอายุแล้ว", "This licence has expired"),
    "not_yet_valid": ("ยังไม่ถึงวันเริ่มใช้", "This credential is not valid yet"),
    "tampered": (
        "ข้อมูลถูกแก้ไขหลังลงนาม ลายมือชื่อไม่ตรง",
        "The credential was changed after signing: the signature does not match",
    ),
    "untrusted": (
        "ไม่ได้ลงนามโดยหน่วยงานที่เชื่อถือได้",
        "The credential is not signed by a trusted agency",
    ),
    "not_found": (
        "ลายมือชื่อถูกต้อง แต่ไม่พบใบอนุญาตนี้ในทะเบียน",
        "The signature is valid, but this licence is not in the register",
    ),
}


@dataclass(frozen=True)
class CredentialCheck:
    """What a presented credential proves, for a person and a machine."""

    verdict: CredentialVerdict
    credential: dict[str, Any] | None = None
    signer: str = ""
    trusted: bool = False
    licence: Licence | None = None
    version: LicenceVersion | None = None
    status: dict[str, bool] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"

    def as_dict(self) -> dict[str, Any]:
        th, en = MESSAGES[self.verdict]
        # Echo from the credential only what fits a licence (it may be a forger's).
        subject = (self.credential or {}).get("credentialSubject") or {}
        facts = subject.get("licence") if isinstance(subject, dict) else None
        facts = facts if isinstance(facts, dict) else {}
        number = facts.get("licenceNumber")
        version = facts.get("licenceVersion")
        valid_until = (self.credential or {}).get("validUntil")
        return {
            "verdict": self.verdict,
            "ok": self.ok,
            "message": {"th": th, "en": en},
            "signer": self.signer,
            "trusted": self.trusted,
            "status": self.status,
            "number": number if isinstance(number, str) and len(number) <= 40 else None,
            "version": version if isinstance(version, int) and 0 < version < 2**31 else None,
            "current_version": self.licence.version if self.licence else None,
            "issuer_code": self.licence.agency.code if self.licence else None,
            "valid_until": valid_until if _datetime(valid_until) is not None else None,
            "details": self.details,
        }


@dataclass(frozen=True)
class _Parsed:
    header: dict[str, Any]
    payload: bytes
    chain: list[asn1_x509.Certificate]


def _refuse(th: str, en: str) -> CredentialInputError:
    """The refusal in the reader's language (the pairs sit beside ``MESSAGES``)."""
    return CredentialInputError(th if (get_language() or "th").startswith("th") else en)


def parse(token: str) -> _Parsed:
    """Check the shape of a VC-JOSE compact JWS; anything else is a 400, not a verdict."""
    token = token.strip()
    if len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        raise _refuse(
            f"ข้อมูลยาวเกิน {MAX_TOKEN_BYTES // 1024} KB",
            f"the credential is over {MAX_TOKEN_BYTES // 1024} KB",
        )
    if not _COMPACT.fullmatch(token):
        raise _refuse(
            "ไม่ใช่ JWS แบบ compact (ส่วนหัว.ข้อมูล.ลายมือชื่อ)",
            "not a compact JWS (header.payload.signature in base64url)",
        )
    head, body, _signature = token.split(".")
    try:
        header = safejson.loads(_b64url_decode(head))
        payload = _b64url_decode(body)
    except (safejson.JsonRefused, binascii.Error, ValueError):
        raise _refuse("ส่วนหัว JWS อ่านไม่ได้", "the JWS header is not readable JSON") from None
    if not isinstance(header, dict) or header.get("typ") != "vc+jwt":
        raise _refuse(
            "ไม่ใช่ Verifiable Credential (typ ต้องเป็น vc+jwt)",
            "not a verifiable credential: the header's typ must be vc+jwt",
        )
    if header.get("alg") not in ALGORITHMS:
        raise _refuse(
            f"alg ต้องเป็นหนึ่งใน {', '.join(ALGORITHMS)}",
            f"the header's alg must be one of {', '.join(ALGORITHMS)}",
        )
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not 1 <= len(x5c) <= 5:
        raise _refuse(
            "ไม่มีใบรับรองผู้ลงนาม (x5c)",
            "the header carries no signing certificate chain (x5c, 1 to 5 certificates)",
        )
    try:
        chain = [asn1_x509.Certificate.load(base64.b64decode(c, validate=True)) for c in x5c]
        for certificate in chain:
            certificate.native  # noqa: B018 - parse it all now, not halfway through the check
    except (TypeError, ValueError):
        raise _refuse("ใบรับรองใน x5c อ่านไม่ได้", "a certificate in x5c is not readable") from None
    return _Parsed(header, payload, chain)


async def _validate_chain(chain: list[asn1_x509.Certificate]) -> None:
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    validator = CertificateValidator(
        chain[0], intermediate_certs=chain[1:], validation_context=context
    )
    await validator.async_validate_usage({"digital_signature"})


def _signer_label(certificate: asn1_x509.Certificate) -> str:
    subject = certificate.subject.native
    return str(subject.get("organization_name") or subject.get("common_name") or "")


def _datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def verify_credential(token: str, *, now: dt.datetime | None = None) -> CredentialCheck:
    """The verdict on a presented licence credential.

    In order: the signature against the ``x5c`` certificate (else ``tampered``); the
    chain to the platform's trust roots (else ``untrusted``); the register must hold
    exactly this credential for the version it names (else ``not_found``, or
    ``untrusted`` for a credential a platform key signed but the register never
    issued); then the status list bits (``revoked``, ``suspended``), supersession,
    and the validity dates. Raises :class:`CredentialInputError` for input that is
    no credential at all."""
    now = now or timezone.now()
    parsed = parse(token)
    leaf = parsed.chain[0]
    signer = _signer_label(leaf)
    try:
        public = _public_jwk(_crypto_cert(leaf))
        _check_signature(token.strip(), public, parsed.header["alg"])
    except (JoseError, ValueError) as error:
        return CredentialCheck("tampered", signer=signer, details=[str(error) or "bad signature"])
    try:
        credential = safejson.loads(parsed.payload)
    except safejson.JsonRefused:
        raise _refuse("ข้อมูลใน JWS ไม่ใช่ JSON", "the JWS payload is not JSON") from None
    if not isinstance(credential, dict) or CREDENTIAL_TYPE not in (credential.get("type") or []):
        raise _refuse(
            "ไม่ใช่ใบอนุญาตแบบ Verifiable Credential",
            f"the credential is not a {CREDENTIAL_TYPE}",
        )
    try:
        _run(_validate_chain(parsed.chain))
    except Exception as error:  # path building, validation, revocation: one meaning
        return CredentialCheck(
            "untrusted", credential, signer=signer, details=[str(error) or type(error).__name__]
        )
    licence, version = _registered(credential)
    common: dict[str, Any] = {"signer": signer, "trusted": True, "details": []}
    if licence is None or version is None:
        return CredentialCheck("not_found", credential, **common)
    common.update(licence=licence, version=version)
    if version.credential.strip() != token.strip():
        return CredentialCheck(
            "untrusted",
            credential,
            **{
                **common,
                "details": ["signed with a platform key, but not the credential issued"],
            },
        )
    status = {
        purpose: _status_bit(licence.agency, purpose, licence.status_index)
        for purpose in STATUS_PURPOSES
        if licence.status_index is not None
    }
    common["status"] = status
    if status.get("revocation"):
        final: CredentialVerdict = (
            "cancelled" if licence.status == Licence.Status.CANCELLED else "revoked"
        )
        return CredentialCheck(final, credential, **common)
    if status.get("suspension"):
        return CredentialCheck("suspended", credential, **common)
    if version.number != licence.version:
        return CredentialCheck("superseded", credential, **common)
    valid_from = _datetime(credential.get("validFrom"))
    valid_until = _datetime(credential.get("validUntil"))
    if valid_from is not None and valid_from > now + CLOCK_SKEW:
        return CredentialCheck("not_yet_valid", credential, **common)
    if valid_until is not None and valid_until < now:
        return CredentialCheck("expired", credential, **common)
    return CredentialCheck("valid", credential, **common)


def _status_bit(agency: Agency, purpose: str, index: int) -> bool:
    """The bit as published; a cached list too short for ``index`` (a block was added
    by an issue in another process) is rebuilt rather than misread."""
    published = status_list(agency, purpose)
    if index >= len(published.bits) * 8:
        status_changed(agency.code)
        published = status_list(agency, purpose)
    return bit(published.bits, index)


def _registered(credential: dict[str, Any]) -> tuple[Licence | None, LicenceVersion | None]:
    """The register's licence and version a credential names, issued by the agency it
    names as issuer."""
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = credential.get("credentialSubject")
    facts = subject.get("licence") if isinstance(subject, dict) else None
    if not isinstance(issuer_id, str) or not isinstance(facts, dict):
        return None, None
    number, version_number = facts.get("licenceNumber"), facts.get("licenceVersion")
    if not isinstance(number, str) or not isinstance(version_number, int):
        return None, None
    licence = Licence.objects.select_related("agency").filter(number=number[:40]).first()
    if licence is None or issuer_url(licence.agency.code) != issuer_id:
        return None, None
    return licence, licence.versions.filter(number=version_number).first()
