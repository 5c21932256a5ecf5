"""Every licence version as a W3C Verifiable Credential (issue 14): its shape and
vocabulary, its VC-JOSE signature made through the signer plugin, the holder's
download, the agency's Bitstring Status Lists, and the public presentation check."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import threading
from io import BytesIO
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from joserfc import jwk, jws
from joserfc.errors import BadSignatureError
from pyhanko.pdf_utils.reader import PdfFileReader

from bizportal.core.models import AuditEvent, Sequence
from bizportal.licences import credentials, services
from bizportal.licences import pdf as licence_pdf
from bizportal.licences.models import Licence
from bizportal.licences.signers import trust_roots
from tests.factories import AgencyFactory, OfficerFactory, ServiceFactory

from .conftest import CITIZEN_ID, CITIZEN_ID_MASKED, JURISTIC_ID, draft, pdf_of, version

pytestmark = pytest.mark.django_db
API = "/api/v1/licences"
CHECK = f"{API}/verify/credential/"

#: Terms the W3C VC 2.0 context defines that our credentials use (ours must not
#: redefine them: both contexts are protected).
VC_V2_TERMS = {
    "id",
    "type",
    "issuer",
    "name",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialStatus",
    "statusPurpose",
    "statusListIndex",
    "statusListCredential",
    "encodedList",
    "ttl",
}


class Registry(jws.JWSRegistry):
    max_header_length = 16 * 1024  # room for x5c, as in the product


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")
    decode = lambda text: json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))  # noqa: E731
    return decode(head), decode(body)


def leaf_certificate(token: str) -> x509.Certificate:
    header, _ = parts(token)
    return x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))


def public_key_of(certificate: x509.Certificate) -> jwk.Key:
    pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return jwk.import_key(pem, "EC")


def keys_of(value: Any) -> set[str]:
    """Every JSON object key anywhere in ``value``, language maps' language tags aside."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            if key not in {"holderName", "licenceTitle", "permits"}:
                found |= keys_of(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= keys_of(inner)
    return found


def check(client: Client, token: str, *, raw: bool = False) -> Any:
    if raw:
        return client.post(CHECK, data=token, content_type="application/vc+jwt")
    return client.post(CHECK, data={"credential": token}, content_type="application/json")


def published_bits(client: Client, agency_code: str, purpose: str) -> tuple[bytes, Any]:
    response = client.get(f"{API}/status/{agency_code}/{purpose}/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vc+jwt"
    token = response.content.decode()
    jws.deserialize_compact(
        token, public_key_of(leaf_certificate(token)), registry=Registry(algorithms=["ES256"])
    )
    _, document = parts(token)
    return credentials.decode_list(document["credentialSubject"]["encodedList"]), response


def bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


# --- the credential -----------------------------------------------------------------


def test_each_version_carries_a_vc_2_whose_terms_the_published_context_defines(
    licence: Licence, client: Client
) -> None:
    token = version(licence, 1).credential
    header, vc = parts(token)
    assert (header["typ"], header["cty"], header["alg"]) == ("vc+jwt", "vc", "ES256")
    context_url = credentials.context_url()
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2", context_url]
    assert vc["type"] == ["VerifiableCredential", "BusinessLicenceCredential"]
    assert vc["id"].endswith(f"/verify/{licence.number}/1/")
    assert vc["issuer"]["id"] == credentials.issuer_url("bma-health")
    assert {n["@language"] for n in vc["issuer"]["name"]} == {"th", "en"}
    assert dt.datetime.fromisoformat(vc["validFrom"]) <= timezone.now()
    assert licence.valid_until is not None
    assert vc["validUntil"].startswith(licence.valid_until.isoformat() + "T23:59:59")
    facts = vc["credentialSubject"]["licence"]
    assert (facts["licenceNumber"], facts["licenceVersion"]) == (licence.number, 1)
    assert facts["licenceTitle"] == {"th": licence.title_th, "en": licence.title_en}
    assert facts["businessName"] == licence.business_name
    assert [e["statusPurpose"] for e in vc["credentialStatus"]] == ["revocation", "suspension"]
    for entry in vc["credentialStatus"]:
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListIndex"] == str(licence.status_index)
        assert entry["statusListCredential"] == credentials.status_list_url(
            "bma-health", entry["statusPurpose"]
        )

    # The context resolves, as JSON-LD, and defines every term the credential uses.
    response = client.get(context_url.removeprefix(credentials.settings.BASE_URL))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response["Access-Control-Allow-Origin"] == "*"
    defined = response.json()["@context"]
    assert defined["@protected"] is True
    ours = {term for term in defined if not term.startswith("@")}
    assert ours == credentials.context_terms()
    assert not ours & VC_V2_TERMS, "a protected VC 2.0 term must not be redefined"
    used = keys_of(vc) - {"@context", "@value", "@language"}
    assert used <= ours | VC_V2_TERMS, used - ours - VC_V2_TERMS
    assert keys_of(vc["credentialSubject"]) - VC_V2_TERMS <= ours
    for term in ours:
        iri = defined[term] if isinstance(defined[term], str) else defined[term]["@id"]
        assert iri == f"{context_url}#{term}"


def test_the_jws_is_signed_through_the_plugin_and_verifies_against_its_certificate(
    licence: Licence, client: Client
) -> None:
    token = version(licence, 1).credential
    header, _ = parts(token)
    certificate = leaf_certificate(token)
    verified = jws.deserialize_compact(
        token, public_key_of(certificate), registry=Registry(algorithms=["ES256"])
    )
    assert json.loads(verified.payload)["credentialSubject"]["licence"]["licenceNumber"] == (
        licence.number
    )
    # The chain in x5c leads to the platform's root.
    root = x509.load_der_x509_certificate(trust_roots()[0].dump())
    assert certificate.issuer == root.subject
    certificate.verify_directly_issued_by(root)
    # The issuer id resolves to the same key, under the kid the header names.
    issuer = client.get(f"{API}/issuers/bma-health/")
    assert issuer.status_code == 200
    method = issuer.json()["verificationMethod"][0]
    assert method["id"] == header["kid"]
    assert method["publicKeyJwk"]["x5c"][0] == header["x5c"][0]
    assert (
        jwk.import_key(method["publicKeyJwk"]).thumbprint()
        == public_key_of(certificate).thumbprint()
    )
    assert {n["@value"] for n in issuer.json()["name"]} >= {licence.agency.name_th}
    # One byte changed in the payload breaks the signature.
    head, body, signature = token.split(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(
            f"{head}.{forged}.{signature}",
            public_key_of(certificate),
            registry=Registry(algorithms=["ES256"]),
        )


def test_the_pdf_embeds_the_credential_beside_licence_json(licence: Licence) -> None:
    reader = PdfFileReader(BytesIO(pdf_of(licence)))
    embedded = licence_pdf.read_embedded_file(reader, "licence.vc.jwt")
    assert embedded is not None and embedded.decode() == version(licence, 1).credential
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    spec = specs["licence.vc.jwt"]
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/vc+jwt"
    # The signed PDF still verifies (the attachment is inside the signed revision).
    assert services.verify_pdf(pdf_of(licence)).verdict == "valid"


def test_licence_json_names_a_schema_that_resolves_and_holds(
    licence: Licence, client: Client
) -> None:
    payload = version(licence, 1).payload
    assert payload["schema"] == credentials.payload_schema_url()
    response = client.get(payload["schema"].removeprefix(credentials.settings.BASE_URL))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    jsonschema.validate(payload, response.json())
    assert payload["holder"]["id"] == CITIZEN_ID_MASKED


def test_a_persons_citizen_id_is_masked_unless_the_service_needs_it(
    licence: Licence, applicant: Any
) -> None:
    token = version(licence, 1).credential
    subject = parts(token)[1]["credentialSubject"]
    assert subject["holderKind"] == "person"
    assert subject["personalIdMasked"] == CITIZEN_ID_MASKED
    assert "personalId" not in subject
    assert CITIZEN_ID not in token and CITIZEN_ID not in json.dumps(parts(token)[1])

    strict = ServiceFactory(agency=licence.agency, licence_credential_full_id=True)
    full = services.issue_licence(draft(strict, applicant))
    subject = parts(version(full, 1).credential)[1]["credentialSubject"]
    assert subject["personalId"] == CITIZEN_ID
    assert "personalIdMasked" not in subject
    assert version(full, 1).payload["holder"]["id"] == CITIZEN_ID_MASKED  # the PDF's JSON


def test_a_companys_juristic_id_is_public_record(service: Any, applicant: Any) -> None:
    company = services.issue_licence(
        draft(service, applicant, holder_kind="juristic", holder_id=JURISTIC_ID)
    )
    subject = parts(version(company, 1).credential)[1]["credentialSubject"]
    assert subject["juristicId"] == JURISTIC_ID
    assert version(company, 1).payload["holder"]["id"] == "0-1055-56123-45-3"


def test_status_indexes_are_unique_per_agency(service: Any, applicant: Any) -> None:
    first = services.issue_licence(draft(service, applicant))
    second = services.issue_licence(draft(service, applicant))
    elsewhere = services.issue_licence(draft(ServiceFactory(agency=AgencyFactory()), applicant))
    assert (first.status_index, second.status_index) == (0, 1)
    assert elsewhere.status_index == 0
    renewed = services.issue_version(first, draft(service, applicant), "amend")
    assert renewed.status_index == 0  # a new version keeps the licence's position


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_in_one_agency_take_different_positions(
    service: Any, applicant: Any
) -> None:
    """Two services of one agency (two licence-number counters, so nothing else
    serialises them), two connections at once: the agency's position counter does."""
    other = ServiceFactory(agency=service.agency, licence_prefix="BMA-XX")
    start = threading.Barrier(2)
    issued: list[int | None] = []
    errors: list[BaseException] = []

    def issue(kind: Any) -> None:
        try:
            start.wait(timeout=10)
            issued.append(services.issue_licence(draft(kind, applicant)).status_index)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(kind,)) for kind in (service, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(i for i in issued if i is not None) == [0, 1]


def test_the_migration_gives_existing_licences_positions(service: Any, applicant: Any) -> None:
    first = services.issue_licence(draft(service, applicant))
    second = services.issue_licence(draft(service, applicant))
    Licence.objects.update(status_index=None)
    Sequence.objects.filter(prefix__startswith="VCSL-").delete()
    migration = importlib.import_module("bizportal.licences.migrations.0009_verifiable_credentials")
    migration.allocate_existing(django_apps, None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status_index, second.status_index) == (0, 1)
    assert services.issue_licence(draft(service, applicant)).status_index == 2


# --- the presentation check -------------------------------------------------------


def test_a_valid_credential_checks_valid_as_json_or_as_the_raw_jws(
    licence: Licence, client: Client
) -> None:
    token = version(licence, 1).credential
    for raw in (False, True):
        response = check(client, token, raw=raw)
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["verdict"], body["ok"], body["trusted"]) == ("valid", True, True)
        assert body["status"] == {"revocation": False, "suspension": False}
        assert (body["number"], body["version"]) == (licence.number, 1)


def test_a_changed_credential_is_tampered(licence: Licence, client: Client) -> None:
    token = version(licence, 1).credential
    head, body, signature = token.split(".")
    vc = parts(token)[1]
    vc["credentialSubject"]["licence"]["businessName"] = "ร้านอื่น"
    changed = base64.urlsafe_b64encode(json.dumps(vc).encode()).rstrip(b"=").decode()
    for forged in (f"{head}.{changed}.{signature}", f"{head}.{body}.{signature[::-1]}"):
        answer = check(client, forged).json()
        assert (answer["verdict"], answer["ok"]) == ("tampered", False)


def _foreign_chain() -> tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    """A root and a signing certificate the platform has never heard of."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def build(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signer, hashes.SHA256())
        )

    root = build("Forger Root", root_key, "Forger Root", root_key, True)
    leaf = build("Forger", leaf_key, "Forger Root", root_key, False)
    return leaf_key, [leaf, root]


def test_a_credential_under_an_unknown_root_is_untrusted(licence: Licence, client: Client) -> None:
    _, vc = parts(version(licence, 1).credential)
    key, chain = _foreign_chain()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    header = {
        "alg": "ES256",
        "typ": "vc+jwt",
        "cty": "vc",
        "x5c": [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain
        ],
    }
    forged = jws.serialize_compact(
        header, json.dumps(vc), jwk.import_key(pem, "EC"), registry=Registry(algorithms=["ES256"])
    )
    answer = check(client, forged).json()
    assert (answer["verdict"], answer["ok"], answer["trusted"]) == ("untrusted", False, False)


def test_revoked_suspended_and_expired_licences_fail_the_check_and_show_in_the_lists(
    service: Any, applicant: Any, client: Client
) -> None:
    officer = OfficerFactory(agency=service.agency)
    revoked = services.issue_licence(draft(service, applicant))
    suspended = services.issue_licence(draft(service, applicant))
    valid = services.issue_licence(draft(service, applicant))
    expired = services.issue_licence(
        draft(service, applicant, issued_at=timezone.now() - dt.timedelta(days=800))
    )
    # The lists are built (and cached) before the changes: the changes must show at once.
    published_bits(client, service.agency.code, "revocation")
    services.revoke_licence(revoked, "ขายสุราแก่ผู้เยาว์", actor=officer)
    services.suspend_licence(suspended, reason="ไม่ผ่านตรวจสุขาภิบาล", actor=officer)

    expected = {revoked: "revoked", suspended: "suspended", expired: "expired", valid: "valid"}
    for licence, verdict in expected.items():
        answer = check(client, version(licence, 1).credential).json()
        assert (answer["verdict"], answer["ok"]) == (verdict, verdict == "valid"), licence

    revocation, _ = published_bits(client, service.agency.code, "revocation")
    suspension, _ = published_bits(client, service.agency.code, "suspension")
    assert len(revocation) >= 16_384 and len(suspension) >= 16_384
    indexes = {licence: licence.status_index for licence in expected}
    assert bit(revocation, indexes[revoked]) == 1 and bit(suspension, indexes[revoked]) == 0
    assert bit(suspension, indexes[suspended]) == 1 and bit(revocation, indexes[suspended]) == 0
    for licence in (valid, expired):
        assert bit(revocation, indexes[licence]) == bit(suspension, indexes[licence]) == 0
    assert sum(bin(byte).count("1") for byte in revocation + suspension) == 2

    # Reinstated: the suspension bit clears at once.
    services.reinstate_licence(suspended, actor=officer)
    suspension, _ = published_bits(client, service.agency.code, "suspension")
    assert bit(suspension, indexes[suspended]) == 0
    assert check(client, version(suspended, 1).credential).json()["verdict"] == "valid"


def test_a_superseded_version_and_a_cancelled_licence(amended: Licence, client: Client) -> None:
    assert check(client, version(amended, 1).credential).json()["verdict"] == "superseded"
    assert check(client, version(amended, 2).credential).json()["verdict"] == "valid"
    services.cancel_licence(amended, reason="เลิกกิจการ")
    answer = check(client, version(amended, 2).credential).json()
    assert (answer["verdict"], answer["status"]["revocation"]) == ("cancelled", True)


def test_the_lists_grow_by_a_block_past_131072_licences(
    licence: Licence, applicant: Any, client: Client
) -> None:
    published_bits(client, "bma-health", "revocation")  # cached at 131,072 entries
    Sequence.objects.filter(prefix=f"VCSL-{licence.agency_id}").update(last=131_072)
    late = services.issue_licence(draft(licence.service, applicant))
    assert late.status_index == 131_072
    services.revoke_licence(late, "ฝ่าฝืนเงื่อนไข", actor=OfficerFactory(agency=licence.agency))
    bits, _ = published_bits(client, "bma-health", "revocation")
    assert len(bits) == 2 * 16_384 and bit(bits, 131_072) == 1
    assert check(client, version(late, 1).credential).json()["verdict"] == "revoked"


# --- the status list endpoint -----------------------------------------------------


def test_the_status_list_is_a_signed_cached_credential(
    licence: Licence,
    client: Client,
    django_assert_max_num_queries: Any,
    django_assert_num_queries: Any,
) -> None:
    path = f"{API}/status/bma-health/revocation/"
    # Cold: the agency, its allocated size and one query over the indexes.
    with django_assert_max_num_queries(3):
        first = client.get(path)
    assert first.status_code == 200
    ttl = credentials.ttl().total_seconds()
    max_age = int(first["Cache-Control"].split("max-age=")[1])
    assert first["Cache-Control"].startswith("public") and 0 < max_age <= ttl
    assert first["ETag"] and first["Expires"]
    _, document = parts(first.content.decode())
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["id"] == credentials.status_list_url("bma-health", "revocation")
    subject = document["credentialSubject"]
    assert (subject["type"], subject["statusPurpose"]) == ("BitstringStatusList", "revocation")
    assert subject["encodedList"].startswith("u") and "=" not in subject["encodedList"]
    assert subject["ttl"] == ttl * 1000
    valid_until = dt.datetime.fromisoformat(document["validUntil"])
    assert valid_until - dt.datetime.fromisoformat(document["validFrom"]) == credentials.ttl()
    # Warm: only the agency is looked up; the same signed list comes back.
    with django_assert_num_queries(1):
        again = client.get(path)
    assert again.content == first.content
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_an_unknown_agency_or_purpose_is_a_404_problem(licence: Licence, client: Client) -> None:
    for path in (f"{API}/status/nobody/revocation/", f"{API}/status/bma-health/refresh/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert client.get(f"{API}/issuers/nobody/").status_code == 404


# --- bad input --------------------------------------------------------------------


def _jws_with(header: dict[str, Any], token: str) -> str:
    _, body, signature = token.split(".")
    head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{signature}"


@pytest.mark.parametrize("case", ["not a jws", "too large", "wrong typ", "no x5c", "empty"])
def test_what_is_no_credential_is_a_400_problem(
    licence: Licence, client: Client, case: str
) -> None:
    token = version(licence, 1).credential
    header, _ = parts(token)
    posted = {
        "not a jws": "this is not a credential",
        "too large": "a" * 20_000 + "." + "b" * 20_000 + ".c",
        "wrong typ": _jws_with({**header, "typ": "JWT"}, token),
        "no x5c": _jws_with({k: v for k, v in header.items() if k != "x5c"}, token),
        "empty": "",
    }[case]
    for raw in (False, True):
        response = check(client, posted, raw=raw)
        assert response.status_code == 400, (case, raw, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 400


# --- the holder's download ------------------------------------------------------------


def test_the_holder_downloads_the_credential_and_nobody_else_does(
    licence: Licence, applicant: Any, stranger: Any
) -> None:
    owner = Client()
    owner.force_login(applicant)
    page = owner.get(reverse("portal:account"))
    assert reverse("licences:credential", args=[licence.public_id]).encode() in page.content
    response = owner.get(reverse("licences:credential", args=[licence.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assert response["Content-Disposition"].endswith(f'{licence.number}-v1.vc.jwt"')
    assert response.content.decode() == version(licence, 1).credential
    api = owner.get(f"{API}/{licence.public_id}/credential/")
    assert api.status_code == 200
    assert api.json()["credential"] == version(licence, 1).credential
    assert AuditEvent.objects.filter(action="licence.credential_downloaded").count() == 2
    other = Client()
    other.force_login(stranger)
    assert other.get(reverse("licences:credential", args=[licence.public_id])).status_code == 404
    assert other.get(f"{API}/{licence.public_id}/credential/").status_code == 404
