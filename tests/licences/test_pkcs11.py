"""The ``pkcs11`` signer plugin against a real SoftHSM2 token.

A fresh token is made per test module in a temporary directory (SoftHSM2 reads
``SOFTHSM2_CONF`` when the library is initialised), the agency's development CA key
and certificate are imported with ``manage.py licence_keys import-to-token``, and
licences are issued and verified through the ordinary services: the same path an HSM
in production takes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.sign.pkcs11 import PKCS11Signer

from bizportal.catalog.models import Agency, Service
from bizportal.identity.models import User
from bizportal.licences import services
from bizportal.licences.contrib.pkcs11 import HsmError, Pkcs11KeyStore
from bizportal.licences.services import issue_licence
from bizportal.licences.signers import current_signer, signers
from bizportal.sandbox_trust import pki
from tests.factories import AgencyFactory

from .conftest import draft, pdf_of

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "biz-licences"
PIN = "1234"

pytestmark = pytest.mark.skipif(
    not SOFTHSM.is_file() or shutil.which("softhsm2-util") is None,
    reason="SoftHSM2 is not installed (apt-get install softhsm2)",
)


def store() -> Pkcs11KeyStore:
    plugin = signers["pkcs11"]
    assert isinstance(plugin, Pkcs11KeyStore)
    return plugin


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SoftHSM2 configuration with one initialised, empty token of its own."""
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(config))
        subprocess.run(
            [
                *("softhsm2-util", "--init-token", "--free", "--label", TOKEN),
                *("--pin", PIN, "--so-pin", "5678"),
            ],
            check=True,
            capture_output=True,
        )
        # An earlier module of this process may have initialised the library with
        # another configuration; SoftHSM2 reads it again only on C_Initialize.
        store().close()
        pkcs11.lib(str(SOFTHSM)).reinitialize()
        yield config
        store().close()
        pkcs11.lib(str(SOFTHSM)).finalize()


@pytest.fixture
def hsm(softhsm: Path, settings, monkeypatch: pytest.MonkeyPatch, agency: Agency) -> Iterator[None]:
    """The agency's key on the token, and licences signed through the ``pkcs11`` plugin."""
    settings.LICENCE_SIGNER = "pkcs11"
    settings.LICENCE_PKCS11_MODULE = str(SOFTHSM)
    settings.LICENCE_PKCS11_TOKEN = TOKEN
    settings.LICENCE_PKCS11_KEY_LABEL = "licence-{agency}"
    settings.LICENCE_TRUST_ROOTS_FILE = ""
    settings.LICENCE_CA_CHAIN_FILE = ""
    monkeypatch.setenv("LICENCE_PKCS11_PIN", PIN)
    monkeypatch.delenv("LICENCE_PKCS11_PIN_FILE", raising=False)
    call_command(
        "licence_keys", "import-to-token", "--agency", agency.code, "--replace", stdout=StringIO()
    )
    yield
    store().close()


@pytest.mark.usefixtures("hsm")
def test_a_licence_signed_in_the_hsm_verifies_as_the_agencys(
    service: Service, applicant: User, agency: Agency
) -> None:
    assert isinstance(current_signer().signer_for(agency), PKCS11Signer)

    licence = issue_licence(draft(service, applicant))
    result = services.verify_pdf(pdf_of(licence))

    assert result.verdict == "valid"
    assert result.signer == agency.name_en
    assert result.licence == licence and result.matches_record


@pytest.mark.usefixtures("hsm")
# python-pkcs11 finalises the failed object search on the dead handle once more when it
# is garbage collected; that second SessionHandleInvalid is reported as unraisable.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_session_is_shared_and_reopened_when_it_went_bad(
    service: Service, applicant: User, agency: Agency
) -> None:
    first = current_signer().signer_for(agency)
    assert current_signer().signer_for(agency).pkcs11_session is first.pkcs11_session

    first.pkcs11_session.close()  # what an HSM restart does to the handle we hold
    licence = issue_licence(draft(service, applicant))

    assert services.verify_pdf(pdf_of(licence)).verdict == "valid"
    assert current_signer().signer_for(agency).pkcs11_session is not first.pkcs11_session


@pytest.mark.usefixtures("hsm")
def test_a_wrong_pin_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch, service: Service, applicant: User
) -> None:
    monkeypatch.setenv("LICENCE_PKCS11_PIN", "0000")

    licence = issue_licence(draft(service, applicant))  # registered; its signing task fails
    with pytest.raises(HsmError, match=f"token '{TOKEN}' refused the PIN in LICENCE_PKCS11_PIN"):
        services.sign_version(licence.current.pk)


@pytest.mark.usefixtures("hsm")
def test_an_agency_without_a_key_on_the_token_is_named() -> None:
    other = AgencyFactory(code="dbd", name_en="Department of Business Development")

    with pytest.raises(HsmError, match="no signing key labelled 'licence-dbd' for agency dbd"):
        current_signer().signer_for(other)


@pytest.mark.usefixtures("hsm")
def test_a_key_label_pattern_without_the_agency_is_refused(settings, agency: Agency) -> None:
    settings.LICENCE_PKCS11_KEY_LABEL = "licence-signing"

    with pytest.raises(ImproperlyConfigured, match=r"must contain \{agency\}"):
        current_signer().signer_for(agency)


@pytest.mark.usefixtures("hsm")
def test_an_unknown_token_lists_the_tokens_present(settings, agency: Agency) -> None:
    settings.LICENCE_PKCS11_TOKEN = "no-such-token"

    with pytest.raises(HsmError, match=f"no token labelled 'no-such-token'.*'{TOKEN}'"):
        current_signer().signer_for(agency)


@pytest.mark.usefixtures("hsm")
def test_a_module_path_that_is_not_a_library_is_named(
    settings, tmp_path: Path, agency: Agency
) -> None:
    settings.LICENCE_PKCS11_MODULE = str(tmp_path / "missing.so")
    with pytest.raises(ImproperlyConfigured, match=r"LICENCE_PKCS11_MODULE .* is not a file"):
        current_signer().signer_for(agency)

    not_a_library = tmp_path / "libfake.so"
    not_a_library.write_text("not an ELF file", encoding="utf-8")
    settings.LICENCE_PKCS11_MODULE = str(not_a_library)
    with pytest.raises(HsmError, match="could not be loaded"):
        current_signer().signer_for(agency)


@pytest.mark.usefixtures("hsm")
def test_the_pin_can_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, agency: Agency
) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(f"{PIN}\n", encoding="utf-8")
    monkeypatch.delenv("LICENCE_PKCS11_PIN")
    monkeypatch.setenv("LICENCE_PKCS11_PIN_FILE", str(pin_file))

    assert (
        current_signer().signer_for(agency).signing_cert.subject.native["organizational_unit_name"]
        == agency.code
    )


@pytest.mark.usefixtures("hsm")
def test_only_the_configured_roots_are_trusted(
    settings, tmp_path: Path, service: Service, applicant: User
) -> None:
    licence = issue_licence(draft(service, applicant))
    other_root = pki._make_root().certificate
    roots = tmp_path / "roots.pem"
    roots.write_bytes(other_root.public_bytes(serialization.Encoding.PEM))

    settings.LICENCE_TRUST_ROOTS_FILE = str(roots)
    assert services.verify_pdf(pdf_of(licence)).verdict == "untrusted"

    settings.LICENCE_TRUST_ROOTS_FILE = ""
    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured, match="LICENCE_TRUST_ROOTS_FILE"):
        current_signer().trust_roots()


@pytest.mark.usefixtures("hsm")
def test_check_reports_each_agency(agency: Agency) -> None:
    AgencyFactory(code="dbd", name_en="Department of Business Development")
    out = StringIO()

    with pytest.raises(CommandError, match="1 of 2 agencies cannot sign"):
        call_command("licence_keys", "check", stdout=out)

    assert f"agency {agency.code}: 'licence-{agency.code}' ok" in out.getvalue()
    assert "agency dbd: MISSING: no signing key labelled 'licence-dbd'" in out.getvalue()


@pytest.mark.usefixtures("hsm")
def test_importing_again_needs_replace_and_never_in_production(settings, agency: Agency) -> None:
    with pytest.raises(CommandError, match="already holds objects labelled 'licence-bma-health'"):
        call_command("licence_keys", "import-to-token", "--agency", agency.code, stdout=StringIO())

    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="for sandboxes only"):
        call_command(
            "licence_keys",
            "import-to-token",
            "--agency",
            agency.code,
            "--replace",
            stdout=StringIO(),
        )
