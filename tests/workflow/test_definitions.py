"""Processes are versioned data: shipped BPMN files load as live versions, and an upload
is validated (schema, step types, options, conditions, end outcomes) before it may go live."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from bizportal.catalog import demo
from bizportal.catalog.bundles import bundle
from bizportal.core.models import AuditEvent
from bizportal.workflow import services
from bizportal.workflow.engine import parse_process
from bizportal.workflow.errors import ProcessDefinitionError, UnknownProcess
from bizportal.workflow.models import ProcessDefinition, ProcessVersion, VersionStatus
from tests.factories import ServiceFactory

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "serviceTask",
    "exclusiveGateway",
    "parallelGateway",
)
SHIPPED = sorted(services.SHIPPED_DIR.glob("*.bpmn"))
SHIPPED_IDS = [
    "agency_system_licence",
    "inspection_licence",
    "licence_cancellation",
    "standard_licence",
    "three_stage_licence",
]


def bpmn(process: str, *, tasks: str, flows: str, process_id: str = "uploaded_process") -> str:
    """A small process file: start -> (tasks) -> end, with the flows given."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:biz="https://bizportal.go.th/schema/bpmn"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d" targetNamespace="https://bizportal.go.th/bpmn">
  <bpmn:process id="{process_id}" name="{process}" isExecutable="true">
    <bpmn:startEvent id="start" />
    {tasks}
    <bpmn:endEvent id="done" biz:outcome="approved" />
    {flows}
  </bpmn:process>
</bpmn:definitions>"""


APPLICANT_ONLY = bpmn(
    "ยื่นแล้วจบ / Submit and done",
    tasks='<bpmn:userTask id="application" name="กรอก / Fill" biz:taskType="applicant-data" />',
    flows='<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="application" />'
    '<bpmn:sequenceFlow id="f2" sourceRef="application" targetRef="done" />',
)


# --- the shipped files --------------------------------------------------------------


def test_every_shipped_process_is_live_after_migrate(db) -> None:
    live = ProcessVersion.objects.filter(status=VersionStatus.LIVE)
    assert sorted(live.values_list("definition__key", flat=True)) == SHIPPED_IDS
    assert [path.stem for path in SHIPPED] == SHIPPED_IDS


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_file_is_typed_and_valid(path: Path) -> None:
    process = parse_process(path.read_bytes())
    assert process.process_id == path.stem
    assert process.untyped_tasks == ()
    assert services.validate(process) == []
    assert {end.outcome for end in process.ends} <= set(services.OUTCOMES)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_element_has_a_diagram_shape_so_a_modeller_can_draw_it(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    semantic = {
        element.get("id")
        for tag in (*FLOW_NODES, "sequenceFlow", "lane", "participant")
        for element in root.iter(f"{{{BPMN}}}{tag}")
    }
    drawn = {
        element.get("bpmnElement")
        for element in root.xpath("//bpmndi:BPMNShape | //bpmndi:BPMNEdge", namespaces=NS)
    }
    assert semantic == drawn


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_step_sits_in_a_lane(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    nodes = {e.get("id") for tag in FLOW_NODES for e in root.iter(f"{{{BPMN}}}{tag}")}
    in_lanes = {ref.text for ref in root.iter(f"{{{BPMN}}}flowNodeRef")}
    assert nodes == in_lanes


def test_loading_the_shipped_files_again_adds_nothing(db) -> None:
    before = ProcessVersion.objects.count()
    assert services.sync_shipped_processes() == []
    assert ProcessVersion.objects.count() == before


def test_every_kind_of_every_demo_service_runs_on_a_live_process(db) -> None:
    for entry in demo.SERVICES:
        service = ServiceFactory(like=entry["slug"])
        for kind in ("new", "amend", "renew", "cancel"):
            key = bundle(service, kind).process_id
            assert services.live_version(key).status == VersionStatus.LIVE


def test_the_factory_licence_is_decided_in_three_review_stages_and_an_inspection(db) -> None:
    process = services.parsed(services.live_version("three_stage_licence"))
    types = [step.type for step in process.steps]
    assert types.count("officer-review") == 3
    assert "inspection" in types
    lanes = {step.lane for step in process.steps if step.type == "officer-review"}
    assert lanes == {"officer", "head_of_section"}


def test_an_unknown_process_name_is_refused_clearly(db) -> None:
    with pytest.raises(UnknownProcess, match="ไม่พบกระบวนงาน 'nope'"):
        services.live_version("nope")


# --- uploads -------------------------------------------------------------------------


def test_an_upload_is_saved_as_a_draft_and_goes_live_when_published(db, admin_user) -> None:
    version = services.upload_version(APPLICANT_ONLY, actor=admin_user)
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    assert version.summary["steps"][0]["type"] == "applicant-data"
    with pytest.raises(UnknownProcess):
        services.live_version("uploaded_process")
    services.publish_version(version, actor=admin_user)
    assert services.live_version("uploaded_process") == version
    assert AuditEvent.objects.filter(action="workflow.version_published").exists()


def test_publishing_a_new_version_retires_the_old_one(db, admin_user) -> None:
    first = services.publish_version(services.upload_version(APPLICANT_ONLY), actor=admin_user)
    second_source = APPLICANT_ONLY.replace('name="กรอก / Fill"', 'name="กรอกใหม่ / Fill again"')
    second = services.publish_version(services.upload_version(second_source), actor=admin_user)
    first.refresh_from_db()
    assert (first.status, second.status, second.number) == ("retired", "live", 2)
    with pytest.raises(ProcessDefinitionError, match="เผยแพร่ได้เฉพาะฉบับร่าง"):
        services.publish_version(first, actor=admin_user)


REFUSED = {
    "not XML": ("<bpmn:definitions", "not XML"),
    "schema": (
        f'<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">'
        '<bpmn:process id="p" isExecutable="true"><bpmn:notAnElement id="x"/>'
        "</bpmn:process></bpmn:definitions>",
        "ใช้งานไม่ได้",
    ),
    "no executable process": (
        f'<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">'
        '<bpmn:process id="p" isExecutable="false" /></bpmn:definitions>',
        "exactly one executable process",
    ),
    "unknown step type": (
        APPLICANT_ONLY.replace("applicant-data", "telepathy"),
        "unknown biz:taskType 'telepathy'",
    ),
    "untyped task": (
        APPLICANT_ONLY.replace(' biz:taskType="applicant-data"', ""),
        "task application has no biz:taskType",
    ),
    "unknown option": (
        APPLICANT_ONLY.replace(
            'biz:taskType="applicant-data"', 'biz:taskType="applicant-data" biz:colour="red"'
        ),
        "does not take the option biz:colour",
    ),
    "end without outcome": (
        APPLICANT_ONLY.replace(' biz:outcome="approved"', ""),
        "biz:outcome must be one of",
    ),
    "no applicant step": (
        bpmn(
            "p",
            tasks='<bpmn:serviceTask id="licence" biz:taskType="issue-licence" />',
            flows='<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="licence" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="licence" targetRef="done" />',
        ),
        "needs an applicant-data step",
    ),
    "message step without its message": (
        bpmn(
            "p",
            tasks='<bpmn:userTask id="application" biz:taskType="applicant-data" />'
            '<bpmn:task id="agency" biz:taskType="wait-for-message" />',
            flows='<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="application" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="application" targetRef="agency" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="agency" targetRef="done" />',
        ),
        "needs the option biz:message",
    ),
    "review without decisions": (
        bpmn(
            "p",
            tasks='<bpmn:userTask id="application" biz:taskType="applicant-data" />'
            '<bpmn:userTask id="review" biz:taskType="officer-review" />',
            flows='<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="application" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="application" targetRef="review" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="done" />',
        ),
        "needs a 'decision' field",
    ),
    "unknown message template": (
        bpmn(
            "p",
            tasks='<bpmn:userTask id="application" biz:taskType="applicant-data" />'
            '<bpmn:serviceTask id="tell" biz:taskType="notify" biz:template="nope" />',
            flows='<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="application" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="application" targetRef="tell" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="tell" targetRef="done" />',
        ),
        "unknown message template 'nope'",
    ),
    "broken condition": (
        bpmn(
            "p",
            tasks='<bpmn:userTask id="application" biz:taskType="applicant-data" />'
            '<bpmn:exclusiveGateway id="gw" />',
            flows='<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="application" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="application" targetRef="gw" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="done">'
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
            "decision ==</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>",
        ),
        "is not a valid expression",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED), ids=str)
def test_an_upload_that_cannot_run_is_refused_and_nothing_is_saved(db, case: str) -> None:
    source, message = REFUSED[case]
    definitions = ProcessDefinition.objects.count()
    versions = ProcessVersion.objects.count()
    with pytest.raises(ProcessDefinitionError, match=message):
        services.upload_version(source)
    assert ProcessDefinition.objects.count() == definitions
    assert ProcessVersion.objects.count() == versions


def test_an_agency_cannot_upload_over_another_agencys_process(db) -> None:
    owner = ServiceFactory().agency
    other = ServiceFactory().agency
    services.upload_version(APPLICANT_ONLY, agency=owner)
    with pytest.raises(ProcessDefinitionError, match="เป็นของหน่วยงานอื่น"):
        services.upload_version(APPLICANT_ONLY.replace("Fill", "Mine"), agency=other)
