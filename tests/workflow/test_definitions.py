"""The BPMN files are real BPMN 2.0 that a modeller can open and the engine can run."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from bizportal.catalog import demo
from bizportal.workflow import engine
from bizportal.workflow.errors import ProcessDefinitionError, UnknownProcess
from bizportal.workflow.services import process_id_for

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "exclusiveGateway")
PROCESS_FILES = sorted(engine.PROCESS_DIR.glob("*.bpmn"))


def test_both_shipped_processes_are_available() -> None:
    assert engine.available_processes() == ["inspection_licence", "standard_licence"]


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
def test_each_file_passes_the_bpmn_schema_and_parses_into_a_cached_spec(path: Path) -> None:
    spec, _ = engine.load_spec(path.stem)
    assert spec.name == path.stem
    assert engine.load_spec(path.stem)[0] is spec


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
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


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
def test_every_step_sits_in_the_lane_of_who_acts(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    nodes = {e.get("id") for tag in FLOW_NODES for e in root.iter(f"{{{BPMN}}}{tag}")}
    in_lanes = {ref.text for ref in root.iter(f"{{{BPMN}}}flowNodeRef")}
    assert nodes == in_lanes
    lanes = {lane.get("name") for lane in root.iter(f"{{{BPMN}}}lane")}
    assert lanes == {"officer", "applicant", "system"}


def test_every_demo_service_names_a_process_that_exists() -> None:
    for entry in demo.SERVICES:
        process_id = process_id_for(type("S", (), {"process_id": entry["process_id"]})())
        assert engine.load_spec(process_id)[0].name == process_id


@pytest.mark.parametrize("process_id", ["nope", "../settings", "", "standard-licence"])
def test_unknown_or_malformed_process_ids_are_refused(process_id: str) -> None:
    with pytest.raises(UnknownProcess, match="No process named"):
        engine.ProcessRun.start(process_id)


def test_a_file_that_fails_the_bpmn_schema_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.bpmn").write_text(
        f'<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">'
        '<bpmn:process id="broken"><bpmn:notAnElement id="x"/></bpmn:process></bpmn:definitions>'
    )
    monkeypatch.setattr(engine, "PROCESS_DIR", tmp_path)
    engine.load_spec.cache_clear()
    try:
        with pytest.raises(ProcessDefinitionError, match="Process broken cannot be used"):
            engine.load_spec("broken")
    finally:
        engine.load_spec.cache_clear()
