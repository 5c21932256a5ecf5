"""Rendering and signing after the issuing transaction (issue 14 item 7): the register
entry commits with its signing task; the holder sees "being issued" until the task has
stored the signed PDF; signing is idempotent and a lost task is re-enqueued by the
sweeper."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from bizportal.core import sweeps
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.identity.models import User
from bizportal.licences import services
from bizportal.licences.models import Licence, LicenceVersion
from tests.licences.conftest import BUSINESS_NAME, amend, draft, pdf_of

pytestmark = pytest.mark.django_db

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def queued(settings: Any) -> Any:
    """Tasks are kept, not run: the moment between the commit and the worker."""
    settings.TASKS = DUMMY
    default_task_backend.clear()  # type: ignore[attr-defined]
    return default_task_backend


def test_the_register_entry_comes_first_and_the_document_follows(
    service: Any, applicant: User, queued: Any, client: Any
) -> None:
    licence = services.issue_licence(draft(service, applicant))
    version = licence.current
    assert version.being_issued and not version.pdf
    assert services.verdict(licence) == "valid"  # verifiable by number at once
    assert [result.task.name for result in queued.results] == ["sign_licence_version"]
    assert not DomainEvent.objects.filter(name="licences.version_issued").exists()

    client.force_login(applicant)
    waiting = client.get(reverse("licences:pdf", args=[licence.public_id]))
    assert waiting.status_code == 202 and waiting["Retry-After"] == "3"
    assert "กำลังออกใบอนุญาต" in waiting.content.decode()
    account = client.get(reverse("portal:account"))
    assert "data-being-issued" in account.content.decode()

    services.sign_version(version.pk)  # what the worker does
    version.refresh_from_db()
    assert not version.being_issued and version.pdf_sha256
    assert DomainEvent.objects.filter(name="licences.version_issued").count() == 1
    assert AuditEvent.objects.filter(action="licence.signed").count() == 1
    ready = client.get(reverse("licences:pdf", args=[licence.public_id]))
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert "data-being-issued" not in client.get(reverse("portal:account")).content.decode()


def test_signing_twice_stores_one_document(service: Any, applicant: User, queued: Any) -> None:
    licence = services.issue_licence(draft(service, applicant))
    first = services.sign_version(licence.current.pk)
    again = services.sign_version(licence.current.pk)
    assert again.pdf.name == first.pdf.name and again.pdf_sha256 == first.pdf_sha256
    assert AuditEvent.objects.filter(action="licence.signed").count() == 1


def test_a_version_superseded_before_signing_states_what_it_said(
    service: Any, applicant: User, queued: Any
) -> None:
    licence = services.issue_licence(draft(service, applicant))
    amend(licence, business_name="ร้านใหม่", holder_name="สมชาย ใจดีมาก")
    licence.refresh_from_db()
    assert licence.version == 2
    services.sign_version(licence.versions.get(number=1).pk)
    services.sign_version(licence.versions.get(number=2).pk)
    first = services.verify_pdf(pdf_of(licence, 1))
    second = services.verify_pdf(pdf_of(licence, 2))
    assert first.payload is not None and second.payload is not None
    assert first.payload["business_name"] == BUSINESS_NAME
    assert second.payload["business_name"] == "ร้านใหม่"
    assert (first.verdict, second.verdict) == ("superseded", "valid")


def test_a_failed_signature_leaves_the_entry_for_a_retry(
    service: Any, applicant: User, queued: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    licence = services.issue_licence(draft(service, applicant))

    def no_key(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("HSM unreachable")

    monkeypatch.setattr(services.licence_pdf, "sign_licence_pdf", no_key)
    with pytest.raises(RuntimeError):
        services.sign_version(licence.current.pk)
    assert licence.current.being_issued
    monkeypatch.undo()
    assert not services.sign_version(licence.current.pk).being_issued


def test_the_sweeper_re_enqueues_documents_whose_task_was_lost(
    service: Any, applicant: User, queued: Any
) -> None:
    licence = services.issue_licence(draft(service, applicant))
    queued.clear()  # the worker died with the task
    report = sweeps.sweep(grace=timezone.timedelta(0), deliver=False)
    assert report.due["licences.documents"] == 1
    assert [result.args for result in queued.results] == [[licence.current.pk]]


def test_with_the_immediate_backend_the_task_runs_in_the_issuing_transaction(
    service: Any, applicant: User
) -> None:
    """The test settings' backend: a licence is signed by the time issue_licence returns,
    as with a synchronous call (and as the database backend's worker does after commit)."""
    licence = services.issue_licence(draft(service, applicant))
    assert not licence.current.being_issued
    assert Licence.objects.get(pk=licence.pk).current.pdf_sha256
    assert LicenceVersion.objects.filter(signed_at__isnull=True).count() == 0
