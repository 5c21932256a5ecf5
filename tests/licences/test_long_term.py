"""Long-term licence signatures (PAdES B-LT / B-LTA) and the sandbox trust services.

The session's trust services (tests/conftest.py ``trust_services``) run over real HTTP;
tests that need to change the CA (revoke, re-issue) start their own on a temporary key
directory so the session's CA stays as every other test expects it.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers as pyhanko_signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from bizportal.catalog.models import Service
from bizportal.identity.models import User
from bizportal.licences import pades
from bizportal.licences import pdf as licence_pdf
from bizportal.licences.models import Licence
from bizportal.licences.services import _pdf_context, issue_licence, sign_version, verify_pdf
from bizportal.licences.signers import signer_for, trust_roots
from bizportal.sandbox_trust import pki, tsa
from bizportal.sandbox_trust.server import running

from .conftest import draft, pdf_of, version


@pytest.fixture
def long_licence(service: Service, applicant: User) -> Licence:
    """Valid five years: more than LICENCE_LTA_AFTER_YEARS (2), so signed B-LTA."""
    return issue_licence(draft(service, applicant, validity_years=5))


def _offline_context(reader: PdfFileReader):  # type: ignore[no-untyped-def]
    return DocumentSecurityStore.read_dss(reader).as_validation_context(
        {"trust_roots": trust_roots(), "allow_fetching": False, "revocation_mode": "hard-fail"}
    )


@pytest.fixture
def trust_services_down(monkeypatch: pytest.MonkeyPatch, trust_services: str) -> list[object]:
    """Connections to the trust services fail, as if they were stopped (the database's
    own connections, PostgreSQL in CI, are left alone); returns the attempts made."""
    parts = urlsplit(trust_services)
    target = (parts.hostname, parts.port)
    attempts: list[object] = []
    connect = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and tuple(address[:2]) == target:
            attempts.append(address)
            raise ConnectionRefusedError(f"the trust services are down in this test ({address})")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


# -- the signed file ------------------------------------------------------------------


def test_a_one_year_licence_is_signed_b_lt_with_validation_data_embedded(
    licence: Licence,
) -> None:
    reader = PdfFileReader(BytesIO(pdf_of(licence)))

    assert [s.sig_object_type for s in reader.embedded_signatures] == ["/Sig"]
    dss = DocumentSecurityStore.read_dss(reader)
    # OCSP answers for the agency's certificate and the TSA's (pyHanko prefers OCSP and
    # fetches the CRL only without one; the CRL itself is tested below)
    assert len(list(dss.ocsps)) >= 2
    assert len(list(dss.certs)) >= 3
    status = validate_pdf_signature(reader.embedded_signatures[0], _offline_context(reader))
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted


def test_a_long_licence_is_signed_b_lta_and_passes_lta_validation_offline(
    long_licence: Licence,
) -> None:
    reader = PdfFileReader(BytesIO(pdf_of(long_licence)))

    assert [s.sig_object_type for s in reader.embedded_signatures] == ["/Sig", "/DocTimeStamp"]
    policy = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=trust_roots()),
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(
                        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                    )
                ),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    result = asyncio.run(ades_lta_validation(reader.embedded_signatures[0], policy))
    assert result.ades_subindic.status.name == "PASSED", result.ades_subindic


def test_verification_needs_only_the_file(
    licence: Licence, long_licence: Licence, trust_services_down: list[object]
) -> None:
    for item, level in ((licence, "B-LT"), (long_licence, "B-LTA")):
        result = verify_pdf(pdf_of(item))

        assert result.ok, result.details
        assert result.untouched
        assert result.level == level
        answer = result.as_dict()
        assert answer["level"] == level
        assert answer["timestamped_at"] is not None
        stamped = dt.datetime.fromisoformat(answer["timestamped_at"])
        assert abs((stamped - item.issued_at).total_seconds()) < 120
    assert trust_services_down == []  # nothing was even attempted


def test_signing_with_the_trust_services_down_is_a_clear_error(
    service: Service, applicant: User, trust_services_down: list[object]
) -> None:
    """The decision is registered; its signing task fails with a message that names the
    trust services, and the licence stays "being issued" for the retry."""
    licence = issue_licence(draft(service, applicant))
    assert licence.current.being_issued
    with pytest.raises(pades.LicenceSigningError, match="LICENCE_TRUST_URL"):
        sign_version(licence.current.pk)
    assert Licence.objects.get().current.being_issued


def test_an_old_b_b_licence_still_verifies(licence: Licence) -> None:
    current = version(licence, 1)
    unsigned = licence_pdf.render_licence_pdf(_pdf_context(licence, current), current.payload)
    meta = pyhanko_signers.PdfSignatureMetadata(
        field_name="LicenceSignature", subfilter=SigSeedSubFilter.PADES, certify=True
    )
    out = pyhanko_signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(unsigned)), meta, signer=signer_for(licence.agency)
    )

    result = verify_pdf(out.getvalue())

    assert result.outcome == "valid"
    assert result.level == "B-B"
    assert result.timestamped_at is None
    assert result.as_dict()["level"] == "B-B"


def test_the_signed_file_stays_pdf_1_7(licence: Licence, long_licence: Licence) -> None:
    for item in (licence, long_licence):
        data = pdf_of(item)
        reader = PdfFileReader(BytesIO(data))

        assert data.startswith(b"%PDF-1.7")
        version_entry = reader.root.get("/Version")
        assert version_entry is None or str(version_entry).lstrip("/") <= "1.7"
        assert str(reader.root["/Extensions"]["/ESIC"]["/BaseVersion"]) == "/1.7"


def test_the_visible_signature_names_the_agency_in_thai_with_an_embedded_font(
    licence: Licence,
) -> None:
    reader = PdfFileReader(BytesIO(pdf_of(licence)))
    field = reader.embedded_signatures[0].sig_field
    rect = [float(value) for value in field["/Rect"]]
    assert rect == [float(value) for value in pades.APPEARANCE_BOX]
    assert field["/P"].get_object() == reader.root["/Pages"]["/Kids"][0].get_object()
    stream = field["/AP"]["/N"].get_object()
    fonts = stream["/Resources"]["/Font"]
    for font in fonts.values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        assert (
            "/FontFile2" in descendant["/FontDescriptor"]
            or "/FontFile3" in (descendant["/FontDescriptor"])
        )
        assert "Sarabun" in str(descendant["/BaseFont"])
    text = pades.appearance_text(licence.agency, licence.issued_at)
    assert licence.agency.name_th in text and "ผู้มีอำนาจลงนาม" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_no_text_of_the_licence_lies_under_the_signature_box(
    licence: Licence, tmp_path: Path
) -> None:
    current = version(licence, 1)
    path = tmp_path / "unsigned.pdf"
    path.write_bytes(
        licence_pdf.render_licence_pdf(_pdf_context(licence, current), current.payload)
    )
    out = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    left, bottom, right, top = pades.APPEARANCE_BOX
    height = 841.89
    for x_min, y_min, x_max, y_max in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', out
    ):
        overlaps = (
            float(x_max) > left
            and float(x_min) < right
            and height - float(y_min) > bottom
            and height - float(y_max) < top
        )
        assert not overlaps, (x_min, y_min, x_max, y_max)


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) not installed")
def test_pdfsig_reports_the_signatures_valid(
    licence: Licence, long_licence: Licence, tmp_path: Path
) -> None:
    for item in (licence, long_licence):
        path = tmp_path / f"{item.number}.pdf"
        path.write_bytes(pdf_of(item))
        out = subprocess.run(
            [shutil.which("pdfsig") or "pdfsig", str(path)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

        # the licence signature; poppler does not check document time stamps (B-LTA's
        # second signature), it lists them as "not yet verified"
        first = out.split("Signature #2")[0]
        assert "Signature Validation: Signature is Valid." in first, out
        assert "Signature Field Name: LicenceSignature" in first


# -- the sandbox trust services -------------------------------------------------------


@pytest.fixture
def own_ca(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Trust services on their own key directory, for tests that change the CA."""
    directory = tmp_path / "ca"
    with running(directory) as url:
        yield directory, url


def _ocsp_request(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303 - CertID hash
        .build()
        .public_bytes(serialization.Encoding.DER)
    )


def test_ocsp_answers_good_revoked_and_unknown(own_ca) -> None:  # type: ignore[no-untyped-def]
    directory, url = own_ca
    pair, root = pki.ensure_agency(directory, "dept-a", "Department A", url)
    other, _ = pki.ensure_agency(directory, "dept-b", "Department B", url)
    stranger = pki.issue(root, other.certificate.subject, "signing", url)  # never archived
    pki.revoke(directory, other.certificate.serial_number, x509.ReasonFlags.key_compromise)

    def status(certificate: x509.Certificate) -> ocsp.OCSPResponse:
        answer = requests.post(
            f"{url}/ocsp",
            data=_ocsp_request(certificate, root.certificate),
            headers={"Content-Type": "application/ocsp-request"},
            timeout=5,
        )
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "application/ocsp-response"
        return ocsp.load_der_ocsp_response(answer.content)

    good = status(pair.certificate)
    assert good.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert good.next_update_utc > dt.datetime.now(dt.UTC)
    responder, _ = pki.ensure_ocsp_responder(directory, url)
    root_key = responder.certificate.public_key()
    assert isinstance(root_key, ec.EllipticCurvePublicKey)
    root_key.verify(good.signature, good.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
    revoked = status(other.certificate)
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.key_compromise
    assert status(stranger.certificate).certificate_status == ocsp.OCSPCertStatus.UNKNOWN

    encoded = base64.b64encode(_ocsp_request(pair.certificate, root.certificate)).decode()
    by_get = requests.get(f"{url}/ocsp/{encoded}", timeout=5)
    assert ocsp.load_der_ocsp_response(by_get.content).certificate_status == (
        ocsp.OCSPCertStatus.GOOD
    )


def test_ocsp_rejects_bad_requests_clearly(own_ca) -> None:  # type: ignore[no-untyped-def]
    directory, url = own_ca
    pair, root = pki.ensure_agency(directory, "dept-a", "Department A", url)
    headers = {"Content-Type": "application/ocsp-request"}

    garbage = requests.post(f"{url}/ocsp", data=b"\x30\x03abc", headers=headers, timeout=5)
    assert garbage.status_code == 400
    assert ocsp.load_der_ocsp_response(garbage.content).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    assert requests.get(f"{url}/ocsp/not*base64", timeout=5).status_code == 400
    wrong_type = requests.post(
        f"{url}/ocsp",
        data=_ocsp_request(pair.certificate, root.certificate),
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert wrong_type.status_code == 415
    # asking about a certificate of another issuer: this responder is not authorised
    foreign = pki.issue(pki._make_root(), pair.certificate.subject, "signing", url)
    other_issuer = requests.post(
        f"{url}/ocsp",
        data=_ocsp_request(pair.certificate, foreign.certificate),
        headers=headers,
        timeout=5,
    )
    assert ocsp.load_der_ocsp_response(other_issuer.content).response_status == (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )


def test_the_crl_parses_lists_revocations_and_is_fresh(own_ca) -> None:  # type: ignore[no-untyped-def]
    directory, url = own_ca
    pair, root = pki.ensure_agency(directory, "dept-a", "Department A", url)
    pki.revoke(directory, pair.certificate.serial_number, x509.ReasonFlags.superseded)

    answer = requests.get(f"{url}/crl/root.crl", timeout=5)

    assert answer.headers["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(answer.content)
    assert crl.is_signature_valid(root.certificate.public_key())  # type: ignore[arg-type]
    assert crl.issuer == root.certificate.subject
    assert crl.next_update_utc is not None and crl.next_update_utc > dt.datetime.now(dt.UTC)
    entry = crl.get_revoked_certificate_by_serial_number(pair.certificate.serial_number)
    assert entry is not None
    root_der = requests.get(f"{url}/ca/root.cer", timeout=5).content
    assert x509.load_der_x509_certificate(root_der) == root.certificate


def test_the_tsa_stamps_a_query_and_rejects_bad_ones(own_ca) -> None:  # type: ignore[no-untyped-def]
    directory, url = own_ca
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"licence")
    token = asyncio.run(HTTPTimeStamper(f"{url}/tsa").async_timestamp(digest.finalize(), "sha256"))
    assert token["content_type"].native == "signed_data"
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["policy"].dotted == pki.TSA_POLICY_OID
    tsa_cert, _ = pki.ensure_tsa(directory, url)
    usage = tsa_cert.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and x509.oid.ExtendedKeyUsageOID.TIME_STAMPING in usage.value

    query = {"Content-Type": "application/timestamp-query"}
    assert (
        requests.post(f"{url}/tsa", data=b"nonsense", headers=query, timeout=5).status_code == 400
    )
    assert requests.post(f"{url}/tsa", data=b"", headers=query, timeout=5).status_code == 400
    assert requests.get(f"{url}/tsa", timeout=5).status_code == 405
    plain = requests.post(
        f"{url}/tsa", data=b"x", headers={"Content-Type": "text/plain"}, timeout=5
    )
    assert plain.status_code == 415
    md5 = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "md5"},
                "hashed_message": b"0" * 16,
            },
            "cert_req": True,
        }
    )
    rejected = requests.post(f"{url}/tsa", data=md5.dump(), headers=query, timeout=5)
    assert rejected.status_code == 200
    answer = tsa.Rejection.load(rejected.content)["status"].native
    assert answer["status"] == "rejection" and answer["fail_info"] == {"bad_alg"}
    assert requests.get(f"{url}/nowhere", timeout=5).status_code == 404


def test_a_certificate_from_before_the_trust_services_is_reissued(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    root = pki.ensure_root(directory)
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.ORGANIZATION_NAME, "Dept")])
    old = pki.issue(root, subject, "signing", "http://elsewhere.example")
    pki.save_pair(old, *pki.agency_paths(directory, "dept"))

    pair, _ = pki.ensure_agency(directory, "dept", "Dept", "http://127.0.0.1:9")

    assert pair.certificate.serial_number != old.certificate.serial_number
    assert pki.points_at(pair.certificate, "http://127.0.0.1:9")
    policies = pair.certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert policies.value[0].policy_identifier == pki.CERTIFICATE_POLICY_OID


def test_the_level_follows_the_licence_validity(settings) -> None:  # type: ignore[no-untyped-def]
    today = dt.date(2026, 3, 1)
    settings.LICENCE_LTA_AFTER_YEARS = 2
    assert pades.level_for(None, today) == "B-LTA"
    assert pades.level_for(dt.date(2027, 3, 1), today) == "B-LT"
    assert pades.level_for(dt.date(2028, 3, 1), today) == "B-LT"
    assert pades.level_for(dt.date(2028, 3, 2), today) == "B-LTA"


# -- running them ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_module_runs_the_services_from_the_command_line(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bizportal.sandbox_trust",
            "--port",
            str(port),
            "--key-dir",
            str(tmp_path / "ca"),
        ],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    try:
        for _ in range(100):
            try:
                if requests.get(f"{url}/_sandbox/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("the trust services did not start")
        tsa_pair, _ = pki.ensure_tsa(tmp_path / "ca", url)
        assert pki.points_at(tsa_pair.certificate, url)
        crl = x509.load_der_x509_crl(requests.get(f"{url}/crl/root.crl", timeout=5).content)
        assert len(crl) == 0 and crl.issuer == pki.ensure_root(tmp_path / "ca").certificate.subject
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_the_demo_starts_the_services_while_loading_when_none_answer(
    settings, tmp_path: Path
) -> None:
    from bizportal.licences import demo as licences_demo

    settings.LICENCE_TRUST_URL = f"http://127.0.0.1:{_free_port()}"
    settings.LICENCE_KEY_DIR = tmp_path / "ca"
    assert not licences_demo.trust_services_up()

    with licences_demo.trust_services_running() as url:
        assert url == settings.LICENCE_TRUST_URL
        assert licences_demo.trust_services_up()

    assert not licences_demo.trust_services_up()
    command = licences_demo._companion()
    assert command is not None
    assert command.args[1:3] == ["-m", "bizportal.sandbox_trust"]
    assert settings.LICENCE_TRUST_URL in command.args


def test_the_demo_uses_services_that_already_answer(trust_services: str) -> None:
    from bizportal.licences import demo as licences_demo

    with licences_demo.trust_services_running() as url:
        assert url == trust_services


def test_a_remote_trust_url_that_does_not_answer_stops_the_demo_loading(settings) -> None:
    from bizportal.licences import demo as licences_demo

    settings.LICENCE_TRUST_URL = "http://trust.invalid:8767"
    with pytest.raises(RuntimeError, match="do not answer"), licences_demo.trust_services_running():
        pass


def test_a_revoked_agency_certificate_is_replaced_and_old_licences_show_it(
    licence: Licence, service: Service, applicant: User
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from bizportal.licences.contrib.dev_ca import ca

    before = signer_for(licence.agency).signing_cert
    out = StringIO()
    call_command("licences_dev_ca", revoke_agency=licence.agency.code, stdout=out)
    assert f"serial {before.serial_number:x}" in out.getvalue()
    pades.forget_fetched()

    after = signer_for(licence.agency).signing_cert
    assert after.serial_number != before.serial_number
    newer = issue_licence(draft(service, applicant))
    assert verify_pdf(pdf_of(newer)).ok
    # the earlier licence carries the OCSP answer from before the revocation: it
    # verifies offline as signed while the certificate was good
    assert verify_pdf(pdf_of(licence)).outcome == "valid"
    assert ca.revoke_agency("no-such-agency") is None
