"""Shared test set-up.

Tests run against a real database (SQLite by default, PostgreSQL when DATABASE_URL
says so). Background tasks run immediately in-process, email goes to memory, and
files go to a temporary folder.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests check what is computed, not how fast: on a loaded machine (CI's two
# workers, or a browser test beside them) Hypothesis's timing checks fail for no fault
# of the code. Speed is measured by the benchmarks under bench/.
hypothesis_settings.register_profile(
    "bizportal", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("bizportal")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A ``replica`` alias that mirrors the test database, as DATABASE_REPLICA_URL adds one
    in production. Only tests that ask for it (``databases=[..., "replica"]``) reach it,
    and reports read from it only where a test sets ``REPORTING_DATABASE``."""
    from django.db import connections

    if "replica" not in connections.settings:
        replica = copy.deepcopy(connections.settings["default"])
        replica["TEST"] = {**replica["TEST"], "MIRROR": "default"}
        connections.settings["replica"] = replica


@pytest.fixture(scope="session", autouse=True)
def _real_datetime_in_cryptography() -> None:
    """Sign one throwaway certificate and OCSP response before any test can freeze time.

    cryptography's Rust core looks up ``datetime.datetime`` once, on its first X.509
    operation, and keeps that type for the process. If the first one happens inside a
    ``freeze_time`` block (a service-level test that issues a licence), it keeps
    freezegun's ``FakeDatetime``, and every later signature in that worker fails with
    "'datetime' object is not an instance of 'FakeDatetime'"."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "warm-up")])
    moment = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(moment)
        .not_valid_after(moment + dt.timedelta(minutes=1))
        .sign(key, hashes.SHA256())
    )
    # An OCSP response too: its "produced at" comes from a separately cached clock.
    (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=certificate,
            issuer=certificate,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=moment,
            next_update=moment + dt.timedelta(minutes=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, certificate)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="session")
def trust_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sandbox TSA, OCSP responder and CRL over real HTTP on a free port, for the
    session's development CA (each xdist worker has its own base temp, CA and port).
    Every licence is signed PAdES B-LT or B-LTA, so every test that issues one needs
    them; yields their base URL, which ``_isolated_settings`` puts in LICENCE_TRUST_URL
    before any certificate naming it is made."""
    from bizportal.sandbox_trust.server import running

    with running(tmp_path_factory.getbasetemp() / "dev_ca") as url:
        yield url


@pytest.fixture(autouse=True)
def _isolated_settings(
    settings, tmp_path_factory: pytest.TempPathFactory, trust_services: str
) -> None:
    # Reports read the primary unless a test routes them to the replica mirror.
    settings.REPORTING_DATABASE = "default"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LICENCE_KEY_DIR = Path(tmp_path_factory.getbasetemp() / "dev_ca")
    settings.LICENCE_TRUST_URL = trust_services
    # Rate limits count in the cache; each test starts with a clean count.
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the portal's default language (Thai), as a new request does:
    a request in English by an earlier test in the same worker leaves English active in
    the thread, and a service called directly afterwards would answer in English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_holiday_calendar() -> Iterator[None]:
    """Special days a test adds roll back with its transaction; the calendar's
    per-process copy of them must not outlive it."""
    from bizportal.service_levels import calendar

    calendar.forget()
    yield
    calendar.forget()


@pytest.fixture(autouse=True)
def _staff_pass_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """``client.force_login(staff)`` also passes the staff second factor (TOTP), so
    tests that are not about sign-in reach the back office as before. Tests of the
    second factor itself sign in through the pages or use ``Client.login``."""
    from bizportal.core.security import is_staff_account

    from .factories import verify_second_factor

    force_login = Client.force_login

    def force_login_verified(self: Client, user: object, backend: str | None = None) -> None:
        force_login(self, user, backend)  # type: ignore[arg-type]
        if is_staff_account(user):
            verify_second_factor(self, user)  # type: ignore[arg-type]

    monkeypatch.setattr(Client, "force_login", force_login_verified)


#: Test modules whose database work is plain ORM reads and writes that every other test
#: already proves on both engines, while their subject is something else: documents and
#: signatures (PDF, PAdES, credentials, maps, exports, RDF), the sandboxes that stand for
#: outside providers and systems (spoken to over HTTP), deployment files, settings and
#: processes. CI's PostgreSQL run leaves them out (``-m "not database_neutral"``) after
#: the SQLite run has passed them; what depends on the engine (locks, sequences,
#: constraints, full-text search, column lengths, the API fuzz, the HTTP journeys,
#: crash recovery, the restore drill) stays in both runs.
DATABASE_NEUTRAL_MODULES = (
    "tests/catalog/test_harvest.py",
    "tests/catalog/test_rdf.py",
    "tests/core/test_alert_rules.py",
    "tests/core/test_architecture.py",
    "tests/core/test_compliance_docs.py",
    "tests/core/test_deployment_settings.py",
    "tests/core/test_lockfile.py",
    "tests/core/test_security_settings.py",
    "tests/core/test_serve_shutdown.py",
    "tests/core/test_thai.py",
    "tests/core/test_translations.py",
    "tests/deploy/test_deploy_files.py",
    "tests/licences/test_credentials.py",
    "tests/licences/test_dev_ca.py",
    "tests/licences/test_licence_pdf.py",
    "tests/licences/test_long_term.py",
    "tests/licences/test_pkcs11.py",
    "tests/licences/test_verify.py",
    "tests/reports/test_exports.py",
    "tests/reports/test_maps.py",
    "tests/sandbox_agency/",
    "tests/sandbox_idp/",
)


#: Live-server tests that also run on PostgreSQL: the journeys over HTTP, the API fuzz
#: (PostgreSQL enforces column lengths, SQLite does not), the agency system end to end
#: and the exchange (its message log takes an advisory lock, and PostgreSQL refuses to
#: change a logged entry). The other live-server tests cross the same views and services
#: over HTTP to the sandboxes; their database work is what the service and API tests
#: prove on both.
LIVE_ON_BOTH = (
    "tests/exchange/",
    "tests/e2e/test_api_fuzz.py",
    "tests/e2e/test_journey_http.py",
    "tests/integrations/test_sandbox_agency_end_to_end.py",
)


def _uses_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        item.get_closest_marker("django_db")
        or "db" in fixtures
        or "transactional_db" in fixtures
        or "live_server" in fixtures
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark what the PostgreSQL run may leave out: tests that never touch the database,
    the Chromium journeys, live-server tests other than ``LIVE_ON_BOTH``, and the
    modules above."""
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        if (
            not _uses_database(item)
            or item.get_closest_marker("browser")
            or (item.get_closest_marker("live") and not module.startswith(LIVE_ON_BOTH))
            or module.startswith(DATABASE_NEUTRAL_MODULES)
        ):
            item.add_marker(pytest.mark.database_neutral)
