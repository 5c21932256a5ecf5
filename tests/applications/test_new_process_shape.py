"""A process shape no Python knows, drawn only in BPMN, runs end to end.

``tests/workflow/agency_decides.bpmn`` tells the agency by e-mail, runs the document
check and the inspection in parallel, waits for the agency's own system to send its
decision as a message, then invoices, issues and tells the holder. It is uploaded and
published the way an agency admin would; no code changes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.workflow import services as workflow
from bizportal.workflow.errors import InvalidTaskData
from tests.factories import OfficerFactory, ServiceFactory
from tests.journeys import fill, pay, start

pytestmark = pytest.mark.django_db

SOURCE = (Path(__file__).parent.parent / "workflow" / "agency_decides.bpmn").read_text()


@pytest.fixture
def service(admin_user):
    workflow.publish_version(workflow.upload_version(SOURCE, actor=admin_user), actor=admin_user)
    service = ServiceFactory()
    service.agency.email = "licensing@agency.example"
    service.agency.save()
    service.application_types.filter(kind="new").update(process_id="agency_decides")
    return service


def waiting(application: Application) -> list[str]:
    return sorted(step.spec.id for step in services.ready_steps(application))


def test_the_new_shape_runs_from_submission_to_the_issued_licence(
    service, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    officer = OfficerFactory(agency=service.agency)
    application = fill(start(service))
    assert application.process.version.definition.key == "agency_decides"

    with django_capture_on_commit_callbacks(execute=True):
        application = services.submit(application, actor=application.applicant, accept_terms=True)
    assert waiting(application) == ["document_check", "inspection"]
    assert application.status == Status.REVIEW
    to_agency = [m for m in mailoutbox if m.to == ["licensing@agency.example"]]
    assert len(to_agency) == 1 and application.reference in to_agency[0].subject

    offered = {item.step.spec.id: item for item in services.actions_for(application, officer)}
    assert set(offered) == {"document_check", "inspection"}
    assert [a.id for a in offered["document_check"].actions] == ["approve", "remarks"]
    application = services.decide(
        application, officer=officer, action="remarks", note="ป้ายชื่อร้านยังไม่ติด", step="document_check"
    )
    assert waiting(application) == ["inspection"]
    assert application.status == Status.INSPECTION
    services.decide(
        application,
        officer=officer,
        action="schedule",
        step="inspection",
        values={"scheduled_for": (timezone.now() + dt.timedelta(days=3)).isoformat()},
    )
    application = services.decide(application, officer=officer, action="pass", step="inspection")
    assert waiting(application) == ["agency_decision"]
    assert application.status == Status.WAITING

    application = services.receive_message(
        application,
        "agency_decision",
        {"approved": True, "permit_no": "DIW-7788", "note": "อนุญาตตามเงื่อนไข"},
        actor_label="ระบบงานของหน่วยงาน / agency system",
    )
    assert application.status == Status.AWAITING_PAYMENT
    assert workflow.process_data(application.process)["permit_no"] == "DIW-7788"
    with django_capture_on_commit_callbacks(execute=True):
        application = pay(application)
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert application.process.completed
    assert application.licence is not None
    assert any("ใบอนุญาตพร้อมแล้ว" in m.subject for m in mailoutbox)
    steps = list(application.history.values_list("step", flat=True))
    assert steps == [
        "application",
        "tell_agency",
        "document_check",
        "inspection",
        "agency_decision",
        "payment",
        "licence",
        "tell_holder",
    ]


def test_a_message_the_process_is_not_waiting_for_or_missing_its_fields_changes_nothing(
    service,
) -> None:
    application = fill(start(service))
    application = services.submit(application, actor=application.applicant, accept_terms=True)
    with pytest.raises(services.ApplicationError, match="ไม่ได้รอข้อความ"):
        services.receive_message(
            application, "agency_decision", {"approved": True}, actor_label="x"
        )
    officer = OfficerFactory(agency=service.agency)
    services.decide(application, officer=officer, action="approve", step="document_check")
    services.decide(
        application,
        officer=officer,
        action="schedule",
        step="inspection",
        values={"scheduled_for": (timezone.now() + dt.timedelta(days=1)).isoformat()},
    )
    application = services.decide(application, officer=officer, action="pass", step="inspection")
    assert application.process is not None
    state = application.process.state
    with pytest.raises(services.ApplicationError):
        services.receive_message(application, "other_message", {"approved": True}, actor_label="x")
    with pytest.raises(InvalidTaskData, match="ต้องระบุ"):
        services.receive_message(
            application, "agency_decision", {"approved": True}, actor_label="x"
        )
    with pytest.raises(InvalidTaskData, match="true หรือ false"):
        services.receive_message(
            application, "agency_decision", {"approved": "yes", "permit_no": "1"}, actor_label="x"
        )
    application.refresh_from_db()
    assert application.process.state == state
    assert application.status == Status.WAITING
    refused = services.receive_message(
        application, "agency_decision", {"approved": False, "permit_no": "-"}, actor_label="x"
    )
    assert refused.status == Status.REJECTED


def test_an_application_finishes_on_the_version_it_started_on(service, admin_user) -> None:
    officer = OfficerFactory(agency=service.agency)
    first = fill(start(service))
    first = services.submit(first, actor=first.applicant, accept_terms=True)
    v1 = first.process.version
    # The agency publishes a version without the inspection.
    simpler = SOURCE.replace("<bpmn:outgoing>f_visit</bpmn:outgoing>", "").replace(
        '<bpmn:sequenceFlow id="f_visit" sourceRef="split" targetRef="inspection" />', ""
    )
    simpler = simpler.replace(
        '<bpmn:sequenceFlow id="f_visit_done" sourceRef="inspection" targetRef="join" />', ""
    )
    simpler = re.sub(r'<bpmn:userTask id="inspection".*?</bpmn:userTask>', "", simpler, flags=re.S)
    simpler = re.sub(r"<bpmn:flowNodeRef>inspection</bpmn:flowNodeRef>", "", simpler)
    simpler = re.sub(
        r'<bpmndi:BPMN(Shape|Edge) id="(inspection|f_visit|f_visit_done)_di".*?</bpmndi:BPMN\1>',
        "",
        simpler,
        flags=re.S,
    )
    simpler = simpler.replace("<bpmn:incoming>f_visit_done</bpmn:incoming>", "")
    v2 = workflow.publish_version(
        workflow.upload_version(simpler, actor=admin_user), actor=admin_user
    )
    assert v2.number == v1.number + 1

    second = fill(start(service))
    second = services.submit(second, actor=second.applicant, accept_terms=True)
    assert second.process.version == v2
    assert waiting(second) == ["document_check"]
    assert waiting(first) == ["document_check", "inspection"]  # still on v1
    first = services.decide(first, officer=officer, action="approve", step="document_check")
    assert first.status == Status.INSPECTION
    assert first.process.version == v1
