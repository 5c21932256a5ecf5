"""Checking RDF against the official CPSV-AP 3.2.0 and DCAT-AP 3.0.1 SHACL shapes.

The shapes ship in ``shapes/`` (see its README). Validation runs with inference off, as
the field notes require: a node is checked against a class's shape only when it says it
is of that class, and a link whose range is a class is accepted only when its target
says so too. That is how other validators (the EU's ITB) check, so what passes here
passes there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Namespace
from rdflib.namespace import RDF
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPES_DIR = Path(__file__).with_name("shapes")
CPSV_AP_SHAPES = ("cpsv-ap-SHACL.ttl",)
DCAT_AP_SHAPES = ("dcat-ap-SHACL.ttl", "dcat-ap-ranges.ttl")
ALL_SHAPES = CPSV_AP_SHAPES + DCAT_AP_SHAPES


@dataclass(frozen=True)
class Violation:
    """One SHACL result of severity Violation, in words an operator can act on."""

    focus: Node
    path: Node | None
    message: str
    value: Node | None

    def __str__(self) -> str:
        where = f" {self.path.n3()}" if self.path is not None else ""
        value = f" (value {self.value.n3()})" if self.value is not None else ""
        return f"{self.focus.n3()}{where}: {self.message}{value}"


@lru_cache(maxsize=4)
def shapes(files: tuple[str, ...] = ALL_SHAPES) -> Graph:
    """The shapes of ``files`` as one graph, without their dangling references.

    DCAT-AP 3.0.1's files name property shapes that neither file defines (two in
    ``dcat-ap-SHACL.ttl``, five more across it and the range file; SEMICeu/DCAT-AP
    issue 448). Such a reference has no constraint to check, but pySHACL (like Jena)
    refuses to load it, so it is dropped here and the files stay as published.
    """
    graph = Graph()
    for name in files:
        graph.parse(SHAPES_DIR / name, format="turtle")
    for shape, prop in dangling_property_shapes(graph):
        graph.remove((shape, SH.property, prop))
    return graph


def dangling_property_shapes(graph: Graph) -> list[tuple[Node, Node]]:
    """``(shape, property shape)`` pairs whose property shape is nowhere described."""
    return [
        (shape, prop)
        for shape, prop in graph.subject_objects(SH.property)
        if next(graph.predicate_objects(prop), None) is None
    ]


def violations(data: Graph, files: tuple[str, ...] = ALL_SHAPES) -> list[Violation]:
    """Every violation of the shapes in ``files`` by ``data`` (empty: it conforms)."""
    _conforms, report, _text = validate(
        data,
        shacl_graph=shapes(files),
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        do_owl_imports=False,
    )
    assert isinstance(report, Graph)
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = report.value(result, SH.focusNode)
        assert focus is not None
        message = report.value(result, SH.resultMessage)
        found.append(
            Violation(
                focus=focus,
                path=report.value(result, SH.resultPath),
                message=str(message) if message is not None else "does not conform",
                value=report.value(result, SH.value),
            )
        )
    return sorted(found, key=str)
