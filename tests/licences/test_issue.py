"""Issuing and revoking: numbers, dates, idempotence, audit, status over time."""

from __future__ import annotations

import datetime as dt
import hashlib
from unittest import mock

import pytest
from django.utils import timezone

from bizportal.core.models import AuditEvent, Sequence
from bizportal.core.thai import to_buddhist_year
from bizportal.licences import services
from bizportal.licences.models import Licence
from bizportal.licences.services import (
    LicenceError,
    issue_licence,
    licence_status,
    revoke_licence,
    valid_until_for,
)

from .conftest import make_paid_application


def test_a_licence_copies_what_the_service_permits_and_who_holds_it(licence: Licence) -> None:
    be_year = to_buddhist_year(timezone.localdate().year)

    assert licence.number == f"BMA-FD-{be_year}-000001"
    assert licence.holder_name == "สมชาย ใจดี"
    assert licence.holder_id == "1101700203451"
    assert licence.business_name == "ร้านข้าวมันไก่ป้าแดง"
    assert licence.title_en == "Licence to operate a food shop"
    assert licence.permits_th.startswith("จัดตั้งสถานที่จำหน่ายอาหาร")
    assert licence.agency.code == "bma-health"
    assert licence.valid_until == valid_until_for(timezone.localdate(), 1)
    assert licence_status(licence) == "valid"


def test_the_stored_file_is_the_signed_pdf_and_its_hash_is_kept(licence: Licence) -> None:
    with licence.pdf.open("rb") as handle:
        data = handle.read()

    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == licence.pdf_sha256
    assert str(licence.public_id) in licence.pdf.name  # not guessable from the number


def licence_prefix(licence: Licence) -> str:
    return licence.number.rsplit("-", 2)[0]


def test_issuing_twice_returns_the_same_licence(application) -> None:
    first = issue_licence(application)
    second = issue_licence(application)

    assert second.pk == first.pk
    assert Licence.objects.count() == 1
    assert Sequence.objects.get(prefix=licence_prefix(first)).last == 1
    assert AuditEvent.objects.filter(action="licence.issued").count() == 1


def test_numbers_run_per_prefix_and_year(service, applicant, application) -> None:
    first = issue_licence(application)
    second = issue_licence(make_paid_application(service, applicant, "BP-2569-000002"))

    assert first.number.endswith("-000001")
    assert second.number.endswith("-000002")
    service.licence_prefix = "BMA-XX"
    service.save()
    other = issue_licence(make_paid_application(service, applicant, "BP-2569-000003"))
    assert other.number.startswith("BMA-XX-") and other.number.endswith("-000001")


def test_issuing_is_audited_in_the_same_transaction(licence: Licence) -> None:
    event = AuditEvent.objects.get(action="licence.issued")

    assert event.object_id == str(licence.public_id)
    assert event.data["number"] == licence.number
    assert event.data["sha256"] == licence.pdf_sha256


def test_a_failed_signature_leaves_nothing_behind(application, settings) -> None:
    with (
        mock.patch.object(
            services.licence_pdf, "sign_licence_pdf", side_effect=RuntimeError("HSM offline")
        ),
        pytest.raises(RuntimeError, match="HSM offline"),
    ):
        issue_licence(application)

    assert not Licence.objects.exists()
    assert not AuditEvent.objects.filter(action="licence.issued").exists()
    assert not Sequence.objects.filter(prefix=application.service.licence_prefix).exists() or (
        Sequence.objects.get(prefix=application.service.licence_prefix).last == 0
    )


def test_a_failed_save_removes_the_written_file(application, settings) -> None:
    from pathlib import Path

    licences_dir = Path(settings.MEDIA_ROOT) / "licences"

    def stored_files() -> set[Path]:
        return set(licences_dir.rglob("*.pdf")) if licences_dir.exists() else set()

    before = stored_files()
    with (
        mock.patch.object(services.audit, "record", side_effect=RuntimeError("database gone")),
        pytest.raises(RuntimeError),
    ):
        issue_licence(application)

    assert stored_files() == before
    assert not Licence.objects.exists()


@pytest.mark.parametrize(
    ("issued", "years", "last_day"),
    [
        (dt.date(2026, 11, 21), 1, dt.date(2027, 11, 20)),
        (dt.date(2028, 2, 29), 1, dt.date(2029, 2, 27)),
        (dt.date(2026, 1, 1), 5, dt.date(2030, 12, 31)),
        (dt.date(2026, 1, 1), 0, None),
    ],
)
def test_validity_ends_the_day_before_the_anniversary(issued, years, last_day) -> None:
    assert valid_until_for(issued, years) == last_day


def test_a_licence_is_expired_the_day_after_its_last_valid_day(licence: Licence) -> None:
    last_day = licence.valid_until

    assert licence_status(licence, today=last_day) == "valid"
    assert licence_status(licence, today=last_day + dt.timedelta(days=1)) == "expired"


def test_revoking_records_when_why_and_who(licence: Licence, applicant) -> None:
    revoke_licence(licence, "ย้ายสถานที่โดยไม่แจ้ง / Moved premises without notice", actor=applicant)

    licence.refresh_from_db()
    assert licence.status == Licence.Status.REVOKED
    assert licence.revoked_at is not None
    assert licence_status(licence) == "revoked"
    # Revoked wins over expired: the register says what the agency decided.
    assert licence_status(licence, today=licence.valid_until + dt.timedelta(days=30)) == "revoked"
    event = AuditEvent.objects.get(action="licence.revoked")
    assert event.actor == applicant
    assert "Moved premises" in event.data["reason"]


def test_revoking_needs_a_reason_and_happens_once(licence: Licence, applicant) -> None:
    with pytest.raises(LicenceError, match="reason"):
        revoke_licence(licence, "  ", actor=applicant)
    revoke_licence(licence, "ขอยกเลิก / Holder asked to cancel", actor=applicant)
    with pytest.raises(LicenceError, match="already revoked"):
        revoke_licence(licence, "again", actor=applicant)
    assert AuditEvent.objects.filter(action="licence.revoked").count() == 1


def test_the_application_workflow_issues_through_this_service(application) -> None:
    """``applications.services.issue_licence_now`` calls us inside its own transaction."""
    from bizportal.applications.models import Status
    from bizportal.applications.services import issue_licence_now

    licence = issue_licence_now(application)

    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert application.licence == licence
    assert licence_status(licence) == "valid"
