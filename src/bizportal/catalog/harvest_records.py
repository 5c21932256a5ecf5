"""Reading CPSV-AP records out of a harvested graph, as Biz Portal would hold them.

Each part of a record is read by one small function (:data:`PARTS`), the mirror of
:data:`bizportal.catalog.rdf.SERVICE_PARTS`: our own export reads back into the same
values (the round trip), and another agency's catalogue reads into what of it fits.
What does not fit (no URI, no processing time in days, a text longer than the column)
becomes an error on the record, which is then skipped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.text import slugify
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, RDF, SKOS
from rdflib.term import Node

from .models import RequiredDocument, Service
from .rdf import (
    ADMS,
    AUDIENCE_FLAGS,
    CPSV,
    CV,
    ELIGIBILITY_TITLE,
    MANUAL_CODE_AGENCY,
    SCHEMES,
    Uris,
)
from .shacl import Violation

AGENCY_NAME_LENGTH = 200
LICENCE_PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,11}$")
DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass
class AgencyData:
    uri: str
    identifier: str
    fields: dict[str, str]


@dataclass
class Record:
    """One public service of the source, as Biz Portal would hold it."""

    node: Node
    uri: str
    identifier: str
    title: str
    authority: AgencyData | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Reader:
    """Reads CPSV-AP records out of a graph, each part by one function (:data:`PARTS`)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.uris = Uris()

    def texts(self, node: Node, predicate: URIRef) -> tuple[str, str]:
        """The Thai and English values (several joined); an untagged one counts as Thai."""
        th: list[str] = []
        en: list[str] = []
        for value in sorted(self.graph.objects(node, predicate), key=str):
            if isinstance(value, Literal) and str(value).strip():
                if value.language in (None, "th"):
                    th.append(str(value).strip())
                elif value.language == "en":
                    en.append(str(value).strip())
        return "\n".join(th), "\n".join(en)

    def names(self, node: Node, *predicates: URIRef) -> tuple[str, str]:
        """A name in both languages, each falling back to the other (or any language)."""
        for predicate in predicates:
            th, en = self.texts(node, predicate)
            others = sorted(
                str(v)
                for v in self.graph.objects(node, predicate)
                if isinstance(v, Literal) and str(v).strip()
            )
            if th or en or others:
                fallback = others[0].strip() if others else ""
                return th or en or fallback, en or th or fallback
        return "", ""

    def literal(self, node: Node, predicate: URIRef) -> str:
        value = self.graph.value(node, predicate)
        return str(value).strip() if value is not None else ""

    def objects(self, node: Node, predicate: URIRef) -> list[Node]:
        return sorted(self.graph.objects(node, predicate), key=str)

    def notation(self, concept: Node, scheme: str) -> str | None:
        """Our concept's notation when ``concept`` is in our scheme ``scheme``."""
        in_scheme = any(
            str(s).rstrip("/").endswith(f"/catalog/concepts/{scheme}")
            for s in self.graph.objects(concept, SKOS.inScheme)
        )
        notation = self.literal(concept, SKOS.notation)
        if in_scheme and notation in SCHEMES[scheme].concepts:
            return notation
        ours = str(concept).startswith(str(self.uris.scheme(scheme)) + "/")
        if ours and (local := str(concept).rsplit("/", 1)[1]) in SCHEMES[scheme].concepts:
            return local
        return None

    def record(self, node: Node) -> Record:
        identifier = self.literal(node, DCTERMS.identifier)
        title_th, title_en = self.names(node, DCTERMS.title)
        record = Record(
            node=node,
            uri=str(node) if isinstance(node, URIRef) else "",
            identifier=identifier,
            title=(title_th or title_en)[:250],
        )
        if not isinstance(node, URIRef):
            record.errors.append(
                "บริการต้องมี URI / a public service needs a URI (not a blank node) to be "
                "harvested and found again"
            )
        for part in PARTS:
            part(self, node, record)
        return record


PartReader = Callable[[Reader, Node, Record], None]


def _describe(reader: Reader, node: Node, record: Record) -> None:
    name_th, name_en = reader.names(node, DCTERMS.title)
    summary_th, summary_en = reader.texts(node, DCTERMS.description)
    record.fields.update(
        name_th=name_th,
        name_en=name_en,
        # Our export describes a service without a summary by its name (it is mandatory).
        summary_th="" if summary_th == name_th else summary_th,
        summary_en="" if summary_en == name_en else summary_en,
    )
    code = ""
    for identifier in reader.objects(node, ADMS.identifier):
        if reader.texts(identifier, ADMS.schemaAgency) == MANUAL_CODE_AGENCY:
            code = reader.literal(identifier, SKOS.notation)
    record.fields["manual_code"] = code


def _authority(reader: Reader, node: Node, record: Record) -> None:
    authorities = reader.objects(node, CV.hasCompetentAuthority)
    if not authorities:
        return  # the shapes report it
    agency = authorities[0]
    name_th, name_en = reader.names(agency, SKOS.prefLabel, DCTERMS.title, FOAF.name)
    short_th, _ = reader.texts(agency, SKOS.altLabel)
    parent = reader.graph.value(agency, ORG.subOrganizationOf)
    ministry_th, ministry_en = reader.names(parent, SKOS.prefLabel) if parent else ("", "")
    contact = reader.graph.value(agency, CV.contactPoint) or reader.graph.value(
        node, CV.contactPoint
    )
    record.authority = AgencyData(
        uri=str(agency),
        identifier=reader.literal(agency, DCTERMS.identifier),
        fields={
            "name_th": name_th,
            "name_en": name_en,
            "short_name_th": short_th.split("\n")[0],
            "ministry_th": ministry_th,
            "ministry_en": ministry_en,
            **(_contact(reader, contact) if contact is not None else {}),
        },
    )


def _contact(reader: Reader, contact: Node) -> dict[str, str]:
    """What of a contact point an agency row can hold; a value that is not a valid
    e-mail address or web address is left out rather than stored."""
    found: dict[str, str] = {}
    email = reader.literal(contact, CV.email).removeprefix("mailto:")
    try:
        validate_email(email)
        found["email"] = email
    except ValidationError:
        pass
    if phone := reader.literal(contact, CV.telephone):
        found["phone"] = phone[:40]
    page = reader.graph.value(contact, CV.contactPage)
    try:
        URLValidator(schemes=["http", "https"])(str(page))
        found["website"] = str(page)
    except ValidationError:
        pass
    return found


def _processing_time(reader: Reader, node: Node, record: Record) -> None:
    value = reader.literal(node, CV.processingTime)
    days = duration_days(value)
    if days is None:
        record.errors.append(
            f"ไม่มีระยะเวลาดำเนินการเป็นวัน / cv:processingTime "
            f"{'is missing' if not value else repr(value) + ' is not a number of days'}: "
            "Biz Portal shows every service's processing time in days (P15D, P2W, PT48H)"
        )
        return
    record.fields["processing_days"] = days


def duration_days(value: str) -> int | None:
    """Whole days (rounded up, at least 1) of an xsd:duration without months or years."""
    match = DURATION.match(value or "")
    if not match or value in ("P", "PT") or value.endswith("T"):
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    seconds = (
        parts.get("weeks", 0) * 7 * 86400
        + parts.get("days", 0) * 86400
        + parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )
    return max(1, math.ceil(seconds / 86400)) if seconds else None


def _audience(reader: Reader, node: Node, record: Record) -> None:
    """Who may apply, when the record uses our applicant types; the defaults otherwise."""
    kinds = {reader.notation(c, "applicant-type") for c in reader.objects(node, DCTERMS.audience)}
    kinds.discard(None)
    if not kinds:
        return
    for flag, notation in AUDIENCE_FLAGS.items():
        record.fields[flag] = notation in kinds


def _requirements(reader: Reader, node: Node, record: Record) -> None:
    """Requirements with supporting evidence make documents required; the others are
    the eligibility criteria, read as "who may apply"."""
    required: set[Node] = set()
    criteria_th: list[str] = []
    criteria_en: list[str] = []
    for requirement in reader.objects(node, CV.holdsRequirement):
        supporting = reader.objects(requirement, CV.hasSupportingEvidence)
        if supporting:
            required.update(supporting)
            continue
        th, en = reader.texts(requirement, DCTERMS.description)
        if not (th or en):
            th, en = reader.texts(requirement, DCTERMS.title)
            if (th, en) == ELIGIBILITY_TITLE:
                continue
        criteria_th += [th] if th else []
        criteria_en += [en] if en else []
    record.fields["who_may_apply_th"] = "\n".join(criteria_th)
    record.fields["who_may_apply_en"] = "\n".join(criteria_en)
    evidence_nodes = set(reader.objects(node, CPSV.hasInput)) | required
    held = set(reader.graph.objects(node, CV.holdsRequirement))
    for evidence in sorted(evidence_nodes, key=str):
        supports = set(reader.graph.objects(evidence, CV.supportsRequirement))
        name_th, name_en = reader.names(evidence, DCTERMS.title)
        note_th, note_en = reader.texts(evidence, DCTERMS.description)
        identifier = reader.literal(evidence, DCTERMS.identifier) or str(evidence)
        record.documents.append(
            {
                "code": slugify(identifier)[:60] or "document",
                "name_th": name_th,
                "name_en": name_en,
                "note_th": note_th,
                "note_en": note_en,
                "required": evidence in required or bool(supports & held),
            }
        )
    record.documents.sort(key=lambda d: d["code"])
    codes = [d["code"] for d in record.documents]
    if len(codes) != len(set(codes)):
        record.errors.append(
            "รหัสเอกสารซ้ำกัน / two pieces of evidence have the same dct:identifier: "
            + ", ".join(sorted({c for c in codes if codes.count(c) > 1}))
        )


def _costs(reader: Reader, node: Node, record: Record) -> None:
    """The fee as the citizen manual words it; a bare amount is written out in baht."""
    lines_th: list[str] = []
    lines_en: list[str] = []
    for cost in reader.objects(node, CV.hasCost):
        th, en = reader.texts(cost, DCTERMS.description)
        value = reader.graph.value(cost, CV.hasValue)
        if not (th or en) and isinstance(value, Literal):
            amount = f"{float(value.toPython()):,.2f}".removesuffix(".00")
            th, en = f"{amount} บาท", f"THB {amount}"
        lines_th += [th] if th else []
        lines_en += [en] if en else []
    record.fields["fee_display_th"] = " / ".join(lines_th)
    record.fields["fee_display_en"] = " / ".join(lines_en)


def _channels(reader: Reader, node: Node, record: Record) -> None:
    kinds: set[str] = set()
    notes_th: list[str] = []
    notes_en: list[str] = []
    for channel in reader.objects(node, CV.hasChannel):
        for concept in reader.objects(channel, DCTERMS.type):
            if kind := reader.notation(concept, "channel-type"):
                kinds.add(kind)
        th, en = reader.texts(channel, DCTERMS.description)
        notes_th += [th] if th else []
        notes_en += [en] if en else []
    if {"online", "office"} <= kinds:
        record.fields["channel"] = Service.Channel.ONLINE_AND_COUNTER
    elif kinds == {"online"}:
        record.fields["channel"] = Service.Channel.ONLINE
    else:
        record.fields["channel"] = Service.Channel.AGENCY
    record.fields["channel_note_th"] = " / ".join(notes_th)
    record.fields["channel_note_en"] = " / ".join(notes_en)


def _output(reader: Reader, node: Node, record: Record) -> None:
    outputs = reader.objects(node, CPSV.produces)
    output = outputs[0] if outputs else None
    title_th, title_en = reader.names(output, DCTERMS.title) if output else ("", "")
    permits_th, permits_en = reader.texts(output, DCTERMS.description) if output else ("", "")
    identifier = reader.literal(output, DCTERMS.identifier) if output else ""
    record.fields.update(
        licence_title_th=title_th,
        licence_title_en=title_en,
        licence_permits_th=permits_th,
        licence_permits_en=permits_en,
        licence_prefix=identifier if LICENCE_PREFIX.match(identifier) else "",
    )


def _fits(reader: Reader, node: Node, record: Record) -> None:
    """Texts longer than Biz Portal's columns are refused, not cut."""
    checks = [(Service, record.fields)] + [(RequiredDocument, d) for d in record.documents]
    for model, values in checks:
        for name, value in values.items():
            limit = getattr(model._meta.get_field(name), "max_length", None)
            if limit and isinstance(value, str) and len(value) > limit:
                record.errors.append(
                    f"ข้อความยาวเกิน / {model.__name__.lower()} {name} is {len(value)} "
                    f"characters, more than Biz Portal's {limit}"
                )
    if not record.fields.get("name_th"):
        record.errors.append("ไม่มีชื่อบริการ / the service has no title")
    if authority := record.authority:
        if not authority.fields["name_th"]:
            record.errors.append(f"หน่วยงานไม่มีชื่อ / the authority <{authority.uri}> has no name")
        for name in ("name_th", "name_en"):
            if len(authority.fields[name]) > AGENCY_NAME_LENGTH:
                record.errors.append(
                    f"ชื่อหน่วยงานยาวเกิน / the authority's {name} is over "
                    f"{AGENCY_NAME_LENGTH} characters"
                )


#: The parts of a record, in order; a new catalogue field is one more function here
#: (lifecycle stage <- cv:isGroupedBy; legal basis <- cv:hasLegalResource).
PARTS: list[PartReader] = [
    _describe,
    _authority,
    _processing_time,
    _audience,
    _requirements,
    _costs,
    _channels,
    _output,
    _fits,
]


def read_records(graph: Graph) -> list[Record]:
    reader = Reader(graph)
    nodes = sorted(set(graph.subjects(RDF.type, CPSV.PublicService)), key=str)
    return [reader.record(node) for node in nodes]


def attribute(graph: Graph, records: list[Record], found: list[Violation]) -> list[str]:
    """Give each record the violations of the nodes it reaches; return the rest (the
    catalogue's own) as warnings."""
    services_nodes = {r.node for r in records}
    stop = (
        services_nodes
        | set(graph.subjects(RDF.type, DCAT.Catalog))
        | set(graph.subjects(RDF.type, DCAT.Dataset))
    )
    claimed: set[Violation] = set()
    for record in records:
        reach = _reach(graph, record.node, stop - {record.node})
        mine = [v for v in found if v.focus in reach]
        claimed.update(mine)
        record.errors[:0] = [f"SHACL: {v}" for v in mine]
    return [f"SHACL: {v}" for v in found if v not in claimed]


def _reach(graph: Graph, start: Node, stop: set[Node]) -> set[Node]:
    seen = {start}
    queue = [start]
    while queue:
        node = queue.pop()
        for predicate, obj in graph.predicate_objects(node):
            linked = predicate != RDF.type and isinstance(obj, URIRef | BNode)
            if linked and obj not in seen and obj not in stop:
                seen.add(obj)
                queue.append(obj)
    return seen
