"""The development CA: created on first use, private files, one certificate per agency."""

from __future__ import annotations

import stat

from cryptography import x509
from cryptography.x509.oid import NameOID

from bizportal.catalog.models import Agency
from bizportal.licences.contrib.dev_ca import ca
from bizportal.licences.signers import current_signer, signer_for, trust_roots


def test_the_root_is_the_development_root_and_its_files_are_private(settings) -> None:
    root = ca.ensure_root()

    common_name = root.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == "Biz Portal Development Root CA"
    constraints = root.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is True
    for path in (
        settings.LICENCE_KEY_DIR / "root-ca.key.pem",
        settings.LICENCE_KEY_DIR / "root-ca.cert.pem",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_root_is_created_once_and_then_reused() -> None:
    assert ca.ensure_root().certificate == ca.ensure_root().certificate


def test_each_agency_gets_a_non_repudiation_certificate_named_after_it(
    agency: Agency, settings
) -> None:
    signer = signer_for(agency)

    certificate = x509.load_der_x509_certificate(signer.signing_cert.dump())
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == agency.name_en
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == agency.name_en
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    assert certificate.issuer == ca.ensure_root().certificate.subject
    key_file = settings.LICENCE_KEY_DIR / "agencies" / f"{agency.code}.key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_renamed_agency_gets_a_new_certificate(agency: Agency) -> None:
    before = signer_for(agency).signing_cert
    agency.name_en = "Department of Health, Bangkok"
    after = signer_for(agency).signing_cert

    assert before.dump() != after.dump()
    assert after.subject.native["organization_name"] == "Department of Health, Bangkok"


def test_the_verifier_trusts_exactly_the_development_root() -> None:
    roots = trust_roots()

    assert [root.subject.native["common_name"] for root in roots] == [
        "Biz Portal Development Root CA"
    ]


def test_an_unknown_signer_plugin_is_a_clear_error(settings) -> None:
    import pytest

    settings.LICENCE_SIGNER = "hsm-that-is-not-installed"
    with pytest.raises(LookupError, match="unknown licence signer plugin"):
        current_signer()


def test_the_operator_command_creates_and_prints_the_ca(agency: Agency, settings) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("licences_dev_ca", "--agencies", "--pem", stdout=out)

    text = out.getvalue()
    assert "Biz Portal Development Root CA" in text
    assert f"agency {agency.code}:" in text
    assert "-----BEGIN CERTIFICATE-----" in text
