"""Issuing version 1, revoking: numbers, dates, idempotence, audit, events, atomicity."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.catalog.models import Service
from bizportal.core.models import AuditEvent, DomainEvent, Sequence
from bizportal.core.thai import to_buddhist_year
from bizportal.identity.models import User
from bizportal.licences import services
from bizportal.licences.models import Licence, LicenceVersion, VersionKind
from bizportal.licences.services import (
    LicenceError,
    issue_licence,
    revoke_licence,
    valid_until_for,
    verdict,
)
from tests import journeys

from .conftest import BUSINESS_NAME, CITIZEN_ID, draft, version


def test_a_licence_copies_what_the_service_permits_and_who_holds_it(
    licence: Licence, applicant: User
) -> None:
    today = timezone.localdate()

    assert licence.number == f"BMA-FD-{to_buddhist_year(today.year)}-000001"
    assert licence.account == applicant
    assert licence.holder_kind == "person"
    assert licence.holder_name == "สมชาย ใจดี"
    assert licence.holder_name_en == "Somchai Jaidee"
    assert licence.holder_id == CITIZEN_ID
    assert licence.business_name == BUSINESS_NAME
    assert licence.details == {"business_name": BUSINESS_NAME, "seats": 40}
    assert licence.title_en == licence.service.licence_title_en
    assert licence.permits_th == licence.service.licence_permits_th
    assert licence.agency.code == "bma-health"
    assert licence.version == 1
    assert licence.valid_from == today
    assert licence.valid_until == valid_until_for(today, 1)
    assert verdict(licence) == "valid"


def test_version_1_is_the_signed_pdf_with_its_hash_kept(licence: Licence) -> None:
    first = licence.current

    with first.pdf.open("rb") as handle:
        data = handle.read()

    assert first.number == 1 and first.kind == VersionKind.NEW
    assert first.superseded_at is None
    assert (first.valid_from, first.valid_until) == (licence.valid_from, licence.valid_until)
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == first.pdf_sha256
    assert first.pdf.name.endswith(f"{licence.public_id}-v1.pdf")  # not guessable
    assert licence.number not in first.pdf.name


def licence_prefix(licence: Licence) -> str:
    return licence.number.rsplit("-", 2)[0]


def test_issuing_twice_for_one_reference_returns_the_same_licence(
    service: Service, applicant: User
) -> None:
    once = draft(service, applicant)

    first = issue_licence(once)
    second = issue_licence(once)

    assert second.pk == first.pk
    assert Licence.objects.count() == 1
    assert LicenceVersion.objects.count() == 1
    assert Sequence.objects.get(prefix=licence_prefix(first)).last == 1
    assert AuditEvent.objects.filter(action="licence.issued").count() == 1
    assert DomainEvent.objects.filter(name="licences.version_issued").count() == 1


def test_numbers_run_per_prefix_and_year(service: Service, applicant: User) -> None:
    first = issue_licence(draft(service, applicant))
    second = issue_licence(draft(service, applicant))

    assert first.number.endswith("-000001")
    assert second.number.endswith("-000002")
    service.licence_prefix = "BMA-XX"
    service.save()
    other = issue_licence(draft(service, applicant))
    assert other.number.startswith("BMA-XX-") and other.number.endswith("-000001")


def test_issuing_is_audited_and_announced(licence: Licence) -> None:
    audited = AuditEvent.objects.get(action="licence.issued")
    announced = DomainEvent.objects.get(name="licences.version_issued")

    assert audited.object_id == str(licence.public_id)
    assert audited.data["number"] == licence.number
    assert audited.data["version"] == 1
    signed = AuditEvent.objects.get(action="licence.signed")
    assert signed.data["sha256"] == licence.current.pdf_sha256
    assert announced.subject_id == str(licence.public_id)
    assert announced.payload == {
        "number": licence.number,
        "version": 1,
        "kind": "new",
        "application_reference": licence.current.application_reference,
        "agency": "bma-health",
        "service": licence.service.slug,
    }


def test_a_failed_signature_leaves_the_entry_being_issued(
    service: Service, applicant: User
) -> None:
    """Signing runs in its own task: an HSM that is down fails the task, not the
    decision. The licence stays registered (its number is taken, it verifies by number)
    and "being issued" until a retry signs it; nothing is announced before that."""
    with mock.patch.object(
        services.licence_pdf, "sign_licence_pdf", side_effect=RuntimeError("HSM offline")
    ):
        licence = issue_licence(draft(service, applicant))

    assert licence.number.endswith("-000001")
    assert licence.current.being_issued and not licence.current.pdf
    assert AuditEvent.objects.filter(action="licence.issued").exists()
    assert not DomainEvent.objects.filter(name="licences.version_issued").exists()
    assert not services.sign_version(licence.current.pk).being_issued
    assert DomainEvent.objects.filter(name="licences.version_issued").count() == 1


def stored_files(settings) -> set[Path]:
    licences_dir = Path(settings.MEDIA_ROOT) / "licences"
    return set(licences_dir.rglob("*.pdf")) if licences_dir.exists() else set()


def test_a_failed_save_removes_the_written_file(
    service: Service, applicant: User, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    licence = issue_licence(draft(service, applicant))  # registered, signing queued
    before = stored_files(settings)
    with (
        mock.patch.object(services.audit, "record", side_effect=RuntimeError("database gone")),
        pytest.raises(RuntimeError, match="database gone"),
    ):
        services.sign_version(licence.current.pk)

    assert stored_files(settings) == before
    assert licence.current.being_issued


@pytest.mark.parametrize(
    ("issued", "years", "last_day"),
    [
        (dt.date(2026, 11, 21), 1, dt.date(2027, 11, 20)),
        (dt.date(2028, 2, 29), 1, dt.date(2029, 2, 27)),
        (dt.date(2026, 1, 1), 5, dt.date(2030, 12, 31)),
        (dt.date(2026, 1, 1), 0, None),
    ],
)
def test_validity_ends_the_day_before_the_anniversary(
    issued: dt.date, years: int, last_day: dt.date | None
) -> None:
    assert valid_until_for(issued, years) == last_day


def test_a_licence_is_expired_the_day_after_its_last_valid_day(licence: Licence) -> None:
    last_day = licence.valid_until
    assert last_day is not None

    assert verdict(licence, today=last_day) == "valid"
    assert verdict(licence, today=last_day + dt.timedelta(days=1)) == "expired"


def test_a_service_without_expiry_issues_a_licence_that_never_expires(
    service: Service, applicant: User
) -> None:
    licence = issue_licence(draft(service, applicant, validity_years=0))

    assert licence.valid_until is None
    assert licence.current.valid_until is None
    assert verdict(licence, today=dt.date(2099, 1, 1)) == "valid"


def test_revoking_records_when_why_and_who(licence: Licence, applicant: User) -> None:
    revoke_licence(licence, "ย้ายสถานที่โดยไม่แจ้ง / Moved premises without notice", actor=applicant)

    licence.refresh_from_db()
    assert licence.status == Licence.Status.REVOKED
    assert licence.revoked_at is not None
    assert verdict(licence) == "revoked"
    # Revoked wins over expired: the register says what the agency decided.
    assert licence.valid_until is not None
    assert verdict(licence, today=licence.valid_until + dt.timedelta(days=30)) == "revoked"
    event = AuditEvent.objects.get(action="licence.revoked")
    assert event.actor == applicant
    assert "Moved premises" in event.data["reason"]
    announced = DomainEvent.objects.get(name="licences.licence_revoked")
    assert announced.payload["number"] == licence.number


def test_revoking_needs_a_reason_and_happens_once(licence: Licence, applicant: User) -> None:
    with pytest.raises(LicenceError, match="กรุณาระบุเหตุผลการเพิกถอน"):
        revoke_licence(licence, "  ", actor=applicant)
    revoke_licence(licence, "ฝ่าฝืนเงื่อนไข / Conditions breached", actor=applicant)
    with pytest.raises(LicenceError, match="ถูกเพิกถอนแล้ว"):
        revoke_licence(licence, "again", actor=applicant)
    assert AuditEvent.objects.filter(action="licence.revoked").count() == 1


def test_an_application_issues_through_this_register(service: Service, applicant: User) -> None:
    """The journey's issue step hands over a draft built from the application."""
    licence = journeys.issued_licence(service, applicant)

    application = Application.objects.get(licence=licence)
    first = version(licence, 1)
    assert first.application_reference == application.reference
    assert application.issued_version == 1
    assert licence.account == applicant
    assert (licence.holder_kind, licence.holder_id) == ("person", CITIZEN_ID)
    assert licence.holder_name == "สมชาย ใจดี"
    assert licence.business_name == application.data["business_name"]
    assert licence.details == application.data
    assert verdict(licence) == "valid"
