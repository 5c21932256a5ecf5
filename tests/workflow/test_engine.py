"""The engine adapter: typed steps park the engine, data is checked before the process
moves, and a run's state is stored without the spec its version holds."""

from __future__ import annotations

import json

import pytest

from bizportal.workflow.engine import ProcessRun, parse_process
from bizportal.workflow.errors import InvalidTaskData, TaskNotReady
from bizportal.workflow.services import SHIPPED_DIR

STANDARD = parse_process((SHIPPED_DIR / "standard_licence.bpmn").read_bytes())
THREE_STAGE = parse_process((SHIPPED_DIR / "three_stage_licence.bpmn").read_bytes())


def waiting(run: ProcessRun) -> list[str]:
    return [step.spec.id for step in run.ready_steps()]


def complete(run: ProcessRun, data: dict | None = None, *, extra: frozenset = frozenset()) -> None:
    run.complete(run.ready_steps()[0].task_id, data or {}, extra=extra)


def test_a_run_waits_at_the_applicants_step_first() -> None:
    run = ProcessRun.start(STANDARD)
    assert waiting(run) == ["application"]
    step = run.ready_steps()[0].spec
    assert (step.type, step.lane) == ("applicant-data", "applicant")


def test_the_engine_parks_at_typed_service_tasks_instead_of_running_them() -> None:
    run = ProcessRun.start(STANDARD)
    complete(run)
    complete(run, {"decision": "approve"})
    assert waiting(run) == ["payment"]
    complete(run, {"invoice": "INV-1"}, extra=frozenset({"invoice"}))
    assert waiting(run) == ["licence"]
    assert not run.completed
    complete(run)
    assert run.completed
    assert run.outcome() == "approved"


def test_a_decision_not_offered_by_the_step_is_refused_and_nothing_moves() -> None:
    run = ProcessRun.start(STANDARD)
    complete(run)
    before = run.state()
    for data, message in [
        ({"decision": "maybe"}, "เลือกได้: approve, correct, reject"),
        ({}, "ต้องระบุผลการพิจารณา"),
        ({"decision": "approve", "colour": "red"}, "ไม่รับข้อมูล colour"),
    ]:
        with pytest.raises(InvalidTaskData, match=message):
            complete(run, data)
        assert run.state() == before


def test_completing_a_step_the_run_does_not_wait_at_is_refused() -> None:
    run = ProcessRun.start(STANDARD)
    with pytest.raises(TaskNotReady, match="รอ: application"):
        run.complete("00000000-0000-0000-0000-000000000000", {})


def test_a_decision_from_an_earlier_round_never_decides_a_later_one() -> None:
    run = ProcessRun.start(THREE_STAGE)
    complete(run)
    complete(run, {"decision": "approve"})  # document check
    complete(run, {"inspection_passed": True}, extra=frozenset({"inspection_passed"}))
    complete(run, {"decision": "approve"})  # technical review
    complete(run, {"decision": "return"})  # head of section returns it
    assert waiting(run) == ["technical_review"]
    complete(run, {"decision": "approve"})
    complete(run, {"decision": "approve"})  # signed off
    assert waiting(run) == ["payment"]


def test_the_stored_state_leaves_the_spec_out_and_restores_against_the_version() -> None:
    run = ProcessRun.start(STANDARD)
    complete(run)
    state = run.state()
    assert "spec" not in json.loads(state)
    assert len(state) < len(STANDARD.spec_json)
    restored = ProcessRun.restore(state, STANDARD)
    assert waiting(restored) == ["review"]
    complete(restored, {"decision": "reject"})
    assert restored.outcome() == "rejected"
