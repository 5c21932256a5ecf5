"""Applications move through the BPMN process their service names.

Each test walks one path of ``standard_licence`` or ``inspection_licence`` the way the
applications app does, through ``workflow.services`` only.
"""

from __future__ import annotations

import json

import pytest

from bizportal.core.models import AuditEvent
from bizportal.workflow import services as workflow
from bizportal.workflow.engine import ProcessRun
from bizportal.workflow.models import ProcessInstance
from bizportal.workflow.services import InvalidTaskData, TaskNotReady
from tests.factories import ApplicationFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return OfficerFactory()


@pytest.fixture
def application():
    """A submitted food-shop application (its service leaves process_id blank)."""
    return ApplicationFactory(submitted=True)


@pytest.fixture
def factory_application():
    """A submitted factory application: its service names inspection_licence."""
    return ApplicationFactory(submitted=True, service=ServiceFactory(like="factory-licence"))


def snapshot(application) -> tuple[dict, bool, int]:
    instance = ProcessInstance.objects.get(application=application)
    return instance.state, instance.completed, AuditEvent.objects.count()


# --- standard_licence ------------------------------------------------------------------


def test_a_blank_process_id_means_the_standard_process_which_starts_at_review(application) -> None:
    assert application.service.process_id == ""
    instance = workflow.start_process(application)
    assert instance.process_id == "standard_licence"
    assert workflow.ready_tasks(application) == ["review"]
    assert not workflow.is_completed(application)
    assert application.process == instance


def test_approve_then_payment_ends_with_the_licence_issued(application, officer) -> None:
    workflow.start_process(application)
    assert workflow.complete_task(
        application, "review", {"decision": "approve"}, actor=officer
    ) == ["payment"]
    assert workflow.complete_task(application, "payment", {"invoice": "INV-2569-000001"}) == []
    assert workflow.is_completed(application)
    assert workflow.outcome(application) == "issued"
    data = workflow.process_data(application)
    assert data["decision"] == "approve"
    assert data["invoice"] == "INV-2569-000001"
    assert data["reference"] == application.reference


def test_reject_ends_the_process_as_rejected(application, officer) -> None:
    workflow.start_process(application)
    assert (
        workflow.complete_task(application, "review", {"decision": "reject"}, actor=officer) == []
    )
    assert workflow.is_completed(application)
    assert workflow.outcome(application) == "rejected"


def test_a_correction_goes_back_to_the_applicant_and_then_to_review_again(
    application, officer
) -> None:
    workflow.start_process(application)
    assert workflow.complete_task(
        application, "review", {"decision": "correct"}, actor=officer
    ) == ["correction"]
    assert workflow.ready_task_details(application)[0].lane == "applicant"
    assert workflow.complete_task(application, "correction", {}, actor=application.applicant) == [
        "review"
    ]
    assert workflow.complete_task(
        application, "review", {"decision": "correct"}, actor=officer
    ) == ["correction"]
    assert workflow.complete_task(application, "correction", {}) == ["review"]
    assert workflow.complete_task(
        application, "review", {"decision": "approve"}, actor=officer
    ) == ["payment"]
    assert not workflow.is_completed(application)


def test_lanes_say_who_acts_on_each_step(application) -> None:
    workflow.start_process(application)
    [review] = workflow.ready_task_details(application)
    assert (review.name, review.lane, review.label) == (
        "review",
        "officer",
        "พิจารณาคำขอ / Review the application",
    )
    workflow.complete_task(application, "review", {"decision": "approve"})
    [payment] = workflow.ready_task_details(application)
    assert (payment.name, payment.lane) == ("payment", "system")


# --- inspection_licence ----------------------------------------------------------------------


def test_a_service_may_name_its_own_process(factory_application) -> None:
    instance = workflow.start_process(factory_application)
    assert instance.process_id == "inspection_licence"
    assert workflow.ready_tasks(factory_application) == ["review"]


def test_an_approved_application_is_inspected_before_payment(factory_application, officer) -> None:
    workflow.start_process(factory_application)
    assert workflow.complete_task(
        factory_application, "review", {"decision": "approve"}, actor=officer
    ) == ["inspection"]
    assert workflow.complete_task(
        factory_application, "inspection", {"inspection_passed": True}, actor=officer
    ) == ["payment"]
    assert workflow.complete_task(factory_application, "payment", {"invoice": "INV-9"}) == []
    assert workflow.outcome(factory_application) == "issued"


def test_a_failed_inspection_rejects_the_application(factory_application, officer) -> None:
    workflow.start_process(factory_application)
    workflow.complete_task(factory_application, "review", {"decision": "approve"}, actor=officer)
    assert (
        workflow.complete_task(factory_application, "inspection", {"inspection_passed": False})
        == []
    )
    assert workflow.is_completed(factory_application)
    assert workflow.outcome(factory_application) == "rejected"
    assert workflow.process_data(factory_application)["inspection_passed"] is False


def test_the_inspection_process_has_the_same_correction_loop_and_reject(
    factory_application,
) -> None:
    workflow.start_process(factory_application)
    assert workflow.complete_task(factory_application, "review", {"decision": "correct"}) == [
        "correction"
    ]
    assert workflow.complete_task(factory_application, "correction", {}) == ["review"]
    assert workflow.complete_task(factory_application, "review", {"decision": "reject"}) == []
    assert workflow.outcome(factory_application) == "rejected"


# --- what may not happen -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "data"),
    [
        ("payment", {"invoice": "INV-1"}),
        ("correction", {}),
        ("inspection", {"inspection_passed": True}),
        ("no_such_step", {}),
    ],
)
def test_a_step_that_is_not_ready_is_refused_and_changes_nothing(application, task, data) -> None:
    workflow.start_process(application)
    before = snapshot(application)
    with pytest.raises(TaskNotReady) as refused:
        workflow.complete_task(application, task, data)
    assert str(refused.value) == (
        f"ขั้นตอน {task} ยังไม่ถึงหรือผ่านไปแล้ว (รอ: review) / "
        f"Step {task} is not the one the process is waiting for (waiting for: review)"
    )
    assert snapshot(application) == before
    assert workflow.ready_tasks(application) == ["review"]


def test_a_step_cannot_be_done_twice(application) -> None:
    workflow.start_process(application)
    workflow.complete_task(application, "review", {"decision": "approve"})
    with pytest.raises(TaskNotReady):
        workflow.complete_task(application, "review", {"decision": "reject"})
    assert workflow.ready_tasks(application) == ["payment"]


def test_nothing_can_be_done_after_the_end(application) -> None:
    workflow.start_process(application)
    workflow.complete_task(application, "review", {"decision": "reject"})
    with pytest.raises(TaskNotReady, match="The process has ended"):
        workflow.complete_task(application, "review", {"decision": "approve"})
    assert workflow.ready_tasks(application) == []


def test_a_draft_without_a_process_has_no_ready_steps_and_completes_none() -> None:
    draft = ApplicationFactory()
    assert workflow.ready_tasks(draft) == []
    assert workflow.is_completed(draft) is False
    assert workflow.process_data(draft) == {}
    with pytest.raises(workflow.ProcessNotStarted, match="has no process yet"):
        workflow.complete_task(draft, "review", {"decision": "approve"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"decision": "maybe"},
            "'maybe' is not allowed at step review (choose one of: approve, correct, reject)",
        ),
        ({"decision": "APPROVE"}, "is not allowed at step review"),
        ({"decision": None}, "is not allowed at step review"),
        ({}, "Step review needs: Decision"),
        ({"decision": "approve", "fee": 0}, "Step review does not take fee (it takes: decision)"),
    ],
)
def test_an_invalid_decision_is_refused_clearly_instead_of_stalling(
    application, data, message
) -> None:
    workflow.start_process(application)
    before = snapshot(application)
    with pytest.raises(
        InvalidTaskData, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as refused:
        workflow.complete_task(application, "review", data)
    assert " / " in str(refused.value)
    assert snapshot(application) == before
    assert workflow.ready_tasks(application) == ["review"]


def test_a_decision_from_an_earlier_round_cannot_decide_the_next_one(application) -> None:
    workflow.start_process(application)
    workflow.complete_task(application, "review", {"decision": "correct"})
    workflow.complete_task(application, "correction", {})
    with pytest.raises(InvalidTaskData, match="needs: Decision"):
        workflow.complete_task(application, "review", {})


@pytest.mark.parametrize("value", ["true", 1, 0, None])
def test_an_inspection_result_must_be_a_real_boolean(factory_application, value) -> None:
    workflow.start_process(factory_application)
    workflow.complete_task(factory_application, "review", {"decision": "approve"})
    with pytest.raises(InvalidTaskData, match="must be true or false"):
        workflow.complete_task(factory_application, "inspection", {"inspection_passed": value})
    assert workflow.ready_tasks(factory_application) == ["inspection"]


def test_payment_needs_the_invoice_number(application) -> None:
    workflow.start_process(application)
    workflow.complete_task(application, "review", {"decision": "approve"})
    with pytest.raises(InvalidTaskData, match="Invoice number"):
        workflow.complete_task(application, "payment", {})
    with pytest.raises(InvalidTaskData, match="must be text"):
        workflow.complete_task(application, "payment", {"invoice": "  "})


def test_an_unknown_process_id_is_a_clear_error_and_starts_nothing() -> None:
    application = ApplicationFactory(
        submitted=True, service=ServiceFactory(process_id="no_such_process")
    )
    with pytest.raises(workflow.UnknownProcess) as refused:
        workflow.start_process(application)
    assert str(refused.value) == (
        "ไม่พบกระบวนงาน 'no_such_process' (ที่มี: inspection_licence, standard_licence) / "
        "No process named 'no_such_process' (available: inspection_licence, standard_licence)"
    )
    assert not ProcessInstance.objects.filter(application=application).exists()


def test_a_process_starts_once(application) -> None:
    workflow.start_process(application)
    with pytest.raises(workflow.ProcessAlreadyStarted):
        workflow.start_process(application)
    assert ProcessInstance.objects.filter(application=application).count() == 1


# --- persistence and audit ------------------------------------------------------------------------


def test_the_state_survives_a_database_round_trip(application) -> None:
    workflow.start_process(application)
    workflow.complete_task(application, "review", {"decision": "correct"})
    stored = ProcessInstance.objects.get(application=application)
    json.loads(stored.state)  # plain JSON text, nothing Python-only
    restored = ProcessRun.restore(stored.state)
    assert [task.name for task in restored.ready_tasks()] == ["correction"]
    assert restored.data()["decision"] == "correct"
    # and it continues where it left off, from a fresh load
    assert workflow.complete_task(application, "correction", {}) == ["review"]
    assert workflow.complete_task(application, "review", {"decision": "approve"}) == ["payment"]
    stored.refresh_from_db()
    assert [task.name for task in ProcessRun.restore(stored.state).ready_tasks()] == ["payment"]


def test_start_and_every_completion_are_audited_with_the_actor(application, officer) -> None:
    workflow.start_process(application, actor=application.applicant)
    workflow.complete_task(application, "review", {"decision": "approve"}, actor=officer)
    workflow.complete_task(application, "payment", {"invoice": "INV-7"})
    events = list(
        AuditEvent.objects.filter(
            object_id=str(application.public_id), action__startswith="workflow."
        ).order_by("at", "action")
    )
    assert [(e.action, e.data.get("task")) for e in events] == [
        ("workflow.started", None),
        ("workflow.task_completed", "review"),
        ("workflow.task_completed", "payment"),
    ]
    started, reviewed, paid = events
    assert started.actor == application.applicant
    assert started.data == {"process_id": "standard_licence", "ready": ["review"]}
    assert reviewed.actor == officer
    assert reviewed.data["data"] == {"decision": "approve"}
    assert reviewed.data["ready"] == ["payment"]
    assert paid.actor is None and paid.actor_label == "system"
    assert paid.data["completed"] is True and paid.data["outcome"] == "issued"


def test_completed_is_stored_so_lists_can_filter_without_the_engine(application) -> None:
    workflow.start_process(application)
    workflow.complete_task(application, "review", {"decision": "reject"})
    assert ProcessInstance.objects.filter(completed=True, application=application).exists()
