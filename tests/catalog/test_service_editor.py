"""The service editor's revisions: draft → review → published, who may do what, and
what an edit that the catalogue cannot take leaves behind (nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from bizportal.catalog import editor, services
from bizportal.catalog.models import RevisionLocked, Service, ServiceRevision
from bizportal.catalog.search import search
from bizportal.core.models import AuditEvent, DomainEvent
from tests.factories import AgencyStaff as Agency
from tests.factories import (
    agency_with_staff,
)

pytestmark = pytest.mark.django_db
State = ServiceRevision.State


@pytest.fixture
def agency() -> Agency:
    return agency_with_staff()


def edited(revision: ServiceRevision, **changes: Any) -> dict[str, Any]:
    return {**revision.content, **changes}


def in_review(a: Agency, **changes: Any) -> ServiceRevision:
    draft = services.start_draft(a.service, a.admin)
    services.save_draft(draft, a.admin, edited(draft, **changes))
    return services.submit_revision(draft, a.admin)


def test_a_draft_starts_from_the_live_service_and_is_continued(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)

    assert (draft.number, draft.state, draft.author) == (1, State.DRAFT, agency.admin)
    assert draft.content == editor.snapshot(agency.service) == draft.base
    assert draft.content["name_th"] == agency.service.name_th
    assert [d["code"] for d in draft.content["documents"]] == list(
        agency.service.documents.filter(kind="").values_list("code", flat=True)
    )
    assert services.start_draft(agency.service, agency.second_admin) == draft


def test_publishing_updates_the_live_service_and_its_search(agency: Agency) -> None:
    revision = in_review(
        agency,
        name_th="ใบอนุญาตร้านกาแฟพิเศษ",
        name_en="Speciality coffee shop licence",
        processing_days=20,
        steps=[
            {"th": "ยื่นคำขอ", "en": "Apply", "days": "5"},
            {"th": "ตรวจสถานที่", "en": "Inspection", "days": "15"},
        ],
        fee_items=[{"th": "ค่าธรรมเนียม", "en": "Fee", "amount": "1,000"}],
    )

    services.approve_revision(revision, agency.supervisor, "ถูกต้อง")

    service = Service.objects.get(pk=agency.service.pk)
    assert service.name_en == "Speciality coffee shop licence"
    assert service.processing_days == 20
    assert service.steps[1] == {"th": "ตรวจสถานที่", "en": "Inspection", "days": 15}
    assert service.fee_items == [{"th": "ค่าธรรมเนียม", "en": "Fee", "amount": "1000.00"}]
    assert [s.slug for s in search("coffee")] == [service.slug]
    revision.refresh_from_db()
    assert (revision.state, revision.reviewer, revision.review_note) == (
        State.PUBLISHED,
        agency.supervisor,
        "ถูกต้อง",
    )


def test_the_next_publication_supersedes_the_last_and_history_keeps_both(agency: Agency) -> None:
    first = in_review(agency, summary_en="First edit.")
    services.approve_revision(first, agency.second_admin)
    second = in_review(agency, summary_en="Second edit.")
    services.approve_revision(second, agency.platform)

    states = list(
        ServiceRevision.objects.filter(service=agency.service).values_list("number", "state")
    )
    assert states == [(2, State.PUBLISHED), (1, State.SUPERSEDED)]
    assert Service.objects.get(pk=agency.service.pk).summary_en == "Second edit."


def test_nobody_approves_or_rejects_their_own_revision(agency: Agency) -> None:
    revision = in_review(agency, name_en="Mine")

    with pytest.raises(services.RevisionRefused, match="ไม่สามารถอนุมัติหรือส่งกลับฉบับของตนเองได้"):
        services.approve_revision(revision, agency.admin)
    with pytest.raises(services.RevisionRefused, match="ไม่สามารถอนุมัติหรือส่งกลับฉบับของตนเองได้"):
        services.reject_revision(revision, agency.admin, "no")
    assert ServiceRevision.objects.get(pk=revision.pk).state == State.IN_REVIEW
    assert Service.objects.get(pk=agency.service.pk).name_en != "Mine"


def test_the_database_refuses_a_reviewer_who_is_the_author(agency: Agency) -> None:
    revision = in_review(agency, name_en="Mine")
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRevision.objects.filter(pk=revision.pk).update(reviewer=agency.admin)


def test_a_published_revision_cannot_be_edited(agency: Agency) -> None:
    revision = in_review(agency, name_en="Published")
    services.approve_revision(revision, agency.supervisor)

    with pytest.raises(services.RevisionRefused):
        services.save_draft(revision, agency.admin, edited(revision, name_en="Later"))
    with pytest.raises(services.RevisionRefused):
        services.submit_revision(revision, agency.admin)
    stored = ServiceRevision.objects.get(pk=revision.pk)
    stored.content["name_en"] = "Sneaked in"
    with pytest.raises(RevisionLocked):
        stored.save()
    assert ServiceRevision.objects.get(pk=revision.pk).content["name_en"] == "Published"


@pytest.mark.parametrize(
    "transition",
    [
        lambda r, a: services.approve_revision(r, a),
        lambda r, a: services.withdraw_revision(r, a),
    ],
)
def test_a_draft_is_neither_approved_nor_withdrawn(agency: Agency, transition: Any) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    with pytest.raises(services.RevisionRefused, match="อยู่ในสถานะ ฉบับร่าง"):
        transition(draft, agency.platform)


def test_at_most_one_open_revision_per_service(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRevision.objects.create(
            service=agency.service, number=2, content={}, base={}, author=agency.admin
        )
    assert services.open_revision(agency.service) == draft


@pytest.mark.parametrize("who", ["outsider", "supervisor", "officer"])
def test_only_the_agencys_admins_edit(agency: Agency, who: str) -> None:
    with pytest.raises(Http404):
        services.start_draft(agency.service, getattr(agency, who))
    draft = services.start_draft(agency.service, agency.admin)
    with pytest.raises(Http404):
        services.save_draft(draft, getattr(agency, who), edited(draft, name_en="X"))
    assert not AuditEvent.objects.filter(actor=getattr(agency, who)).exists()


@pytest.mark.parametrize("who", ["outsider", "officer"])
def test_another_agency_or_an_officer_does_not_review(agency: Agency, who: str) -> None:
    revision = in_review(agency, name_en="Reviewed by whom?")
    with pytest.raises(Http404):
        services.approve_revision(revision, getattr(agency, who))
    with pytest.raises(Http404):
        services.reject_revision(revision, getattr(agency, who), "no")
    assert ServiceRevision.objects.get(pk=revision.pk).state == State.IN_REVIEW


def test_a_platform_admin_edits_any_agencys_service(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.platform)
    services.save_draft(draft, agency.platform, edited(draft, name_en="By the platform"))
    services.submit_revision(draft, agency.platform)
    services.approve_revision(draft, agency.supervisor)
    assert Service.objects.get(pk=agency.service.pk).name_en == "By the platform"


def test_invalid_content_names_every_problem_and_writes_nothing(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    before = (AuditEvent.objects.count(), dict(draft.content))

    with pytest.raises(editor.DraftInvalid) as caught:
        services.save_draft(
            draft,
            agency.admin,
            edited(
                draft,
                name_th="",
                contact_email="not-an-email",
                processing_days="ten",
                steps=[{"th": "ขั้นตอน", "en": "", "days": "x"}],
                legal_basis=[{"th": "พ.ร.บ.", "en": "Act", "url": "ftp://x"}],
                fee_items=[{"th": "ค่า", "en": "Fee", "amount": "-5"}],
                documents=[{"code": "Bad Code", "name_th": "", "name_en": "Doc"}],
                categories=["lifecycle:nonsense"],
            ),
        )

    errors = caught.value.errors
    assert set(errors) == {
        "name_th",
        "contact_email",
        "processing_days",
        "steps",
        "legal_basis",
        "fee_items",
        "documents",
        "categories",
    }
    assert errors["name_th"][0] == "กรุณากรอกช่องนี้"
    assert errors["steps"][0].startswith("รายการที่ 1: ")
    draft.refresh_from_db()
    assert (AuditEvent.objects.count(), draft.content) == before


def test_steps_must_add_up_to_the_processing_time(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    with pytest.raises(editor.DraftInvalid) as caught:
        services.save_draft(
            draft,
            agency.admin,
            edited(draft, processing_days=10, steps=[{"th": "ก", "en": "A", "days": 3}]),
        )
    assert "รวมกันได้ 3 วัน" in caught.value.errors["steps"][0]


def test_the_agencys_own_channel_needs_its_address(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    with pytest.raises(editor.DraftInvalid) as caught:
        services.save_draft(draft, agency.admin, edited(draft, channel="agency_online"))
    assert "apply_url" in caught.value.errors["apply_url"][0]


def test_a_draft_that_changes_nothing_is_not_submitted(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    with pytest.raises(services.RevisionRefused, match="ไม่ได้เปลี่ยนแปลงอะไร"):
        services.submit_revision(draft, agency.admin)


def test_rejecting_needs_a_note_and_gives_the_author_a_new_draft(agency: Agency) -> None:
    revision = in_review(agency, name_en="Needs work")
    with pytest.raises(services.RevisionRefused, match="กรุณาระบุเหตุผล"):
        services.reject_revision(revision, agency.supervisor, "  ")

    services.reject_revision(revision, agency.supervisor, "สะกดผิด / misspelt")

    revision.refresh_from_db()
    assert (revision.state, revision.review_note) == (State.REJECTED, "สะกดผิด / misspelt")
    draft = services.open_revision(agency.service)
    assert draft is not None
    assert (draft.number, draft.state, draft.author, draft.based_on) == (
        2,
        State.DRAFT,
        agency.admin,
        revision,
    )
    assert draft.content["name_en"] == "Needs work"
    assert Service.objects.get(pk=agency.service.pk).name_en != "Needs work"


def test_withdrawing_and_discarding(agency: Agency) -> None:
    revision = in_review(agency, name_en="Second thoughts")
    services.withdraw_revision(revision, agency.admin)
    assert ServiceRevision.objects.get(pk=revision.pk).state == State.DRAFT
    services.discard_draft(revision, agency.admin)
    assert ServiceRevision.objects.get(pk=revision.pk).state == State.DISCARDED
    assert services.start_draft(agency.service, agency.admin).number == 2


def test_documents_of_one_kind_of_application_survive_a_publication(agency: Agency) -> None:
    kinds = list(agency.service.documents.exclude(kind="").values_list("kind", "code", "name_en"))
    conditional = agency.service.documents.exclude(required_when={}).filter(kind="").first()
    assert kinds and conditional is not None
    draft = services.start_draft(agency.service, agency.admin)
    documents = [*draft.content["documents"], {"name_th": "ใบใหม่", "name_en": "A new one"}]
    services.save_draft(draft, agency.admin, edited(draft, documents=documents))
    services.submit_revision(draft, agency.admin)
    services.approve_revision(draft, agency.supervisor)

    service = Service.objects.get(pk=agency.service.pk)
    assert list(service.documents.exclude(kind="").values_list("kind", "code", "name_en")) == kinds
    assert service.documents.get(kind="", code="document-1").name_en == "A new one"
    assert service.documents.get(pk=conditional.pk).required_when == conditional.required_when


def test_every_transition_is_audited_and_announced(agency: Agency) -> None:
    revision = in_review(agency, name_en="Announced")
    services.approve_revision(revision, agency.supervisor)

    actions = list(
        AuditEvent.objects.filter(object_id=str(revision.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "catalog.revision_started",
        "catalog.revision_saved",
        "catalog.revision_submitted",
        "catalog.revision_published",
    ]
    announced = DomainEvent.objects.filter(name="catalog.revision_changed").order_by("occurred_at")
    assert [e.payload["to_state"] for e in announced] == ["draft", "in_review", "published"]
    assert announced.last().payload["agency"] == agency.service.agency.code  # type: ignore[union-attr]


def test_diff_names_the_changed_fields_in_the_editors_order(agency: Agency) -> None:
    live = editor.snapshot(agency.service)
    changed = {**live, "summary_en": "New", "name_en": "Renamed", "categories": ["lifecycle:start"]}
    names = editor.category_names(changed)

    changes = editor.diff(live, changed, names)

    assert [c.field.name for c in changes] == ["name_en", "summary_en", "categories"]
    assert changes[2].after == ["lifecycle:start " + names["lifecycle:start"]]
