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
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.text import slugify
from django.utils.translation import gettext as _
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, RDF, SKOS
from rdflib.term import Node

from .manual import ManualError, check_fee_items, check_legal_basis
from .models import Category, RequiredDocument, Service
from .rdf import (
    ADMS,
    AUDIENCE_FLAGS,
    CATEGORY_SCHEMES,
    CPSV,
    CV,
    ELI,
    ELIGIBILITY_TITLE,
    LOCN,
    MANUAL_CODE_AGENCY,
    SCHEMES,
    VCARD,
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


#: A category as a record names it: ``(kind, code)``, e.g. ``("industry", "56")``.
CategoryKey = tuple[str, str]
#: How a bare amount or an untitled fee line reads.
FEE_LINE = ("ค่าธรรมเนียม", "Fee")


@dataclass
class Record:
    """One public service of the source, as Biz Portal would hold it.

    ``errors`` skip the record; ``warnings`` name what was left out of it (an unknown
    category code, an e-mail address that is not one) while the rest is taken."""

    node: Node
    uri: str
    identifier: str
    title: str
    authority: AgencyData | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    categories: list[CategoryKey] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
        """The objects in a stable order: by their text, numbers as numbers, so that
        ``#legal-2`` comes before ``#legal-10``."""
        return sorted(self.graph.objects(node, predicate), key=natural)

    def code(self, concept: Node, scheme: str) -> str | None:
        """The notation of ``concept`` when it is in a scheme of ours named ``scheme``
        (whatever the host: another Biz Portal's concepts read the same), else None."""
        in_scheme = any(
            str(s).rstrip("/").endswith(f"/catalog/concepts/{scheme}")
            for s in self.graph.objects(concept, SKOS.inScheme)
        )
        notation = self.literal(concept, SKOS.notation)
        if in_scheme and notation:
            return notation
        if str(concept).startswith(str(self.uris.scheme(scheme)) + "/"):
            return str(concept).rsplit("/", 1)[1] or None
        return None

    def notation(self, concept: Node, scheme: str) -> str | None:
        """Our concept's notation when ``concept`` is one of our fixed scheme's."""
        code = self.code(concept, scheme)
        return code if code in SCHEMES[scheme].concepts else None

    def category(self, concept: Node, kind: str) -> CategoryKey | None:
        code = self.code(concept, CATEGORY_SCHEMES[kind].name)
        return (kind, code) if code else None

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
                _("a public service needs a URI (not a blank node) to be harvested and found again")
            )
        for part in PARTS:
            part(self, node, record)
        return record


PartReader = Callable[[Reader, Node, Record], None]

_DIGITS = re.compile(r"(\d+)")


def natural(node: Node) -> list[Any]:
    """A sort key that orders the numbers inside a text as numbers."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(str(node))]


def _http_url(value: Node | str | None) -> str:
    """``value`` when it is a web address a page may link to, else ''."""
    text = str(value).strip() if value is not None else ""
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        return ""
    return text


def _named(reader: Reader, node: Node) -> str:
    title_th, title_en = reader.names(node, DCTERMS.title, SKOS.prefLabel)
    return f"<{node}>" + (f" ({title_th or title_en})" if title_th or title_en else "")


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
    # What the service gives, when the record uses our kinds; else the service keeps its own.
    for concept in reader.objects(node, DCTERMS.type):
        if kind := reader.notation(concept, "service-kind"):
            record.fields["service_kind"] = kind


def _authority(reader: Reader, node: Node, record: Record) -> None:
    authorities = reader.objects(node, CV.hasCompetentAuthority)
    if not authorities:
        return  # the shapes report it
    agency = authorities[0]
    name_th, name_en = reader.names(agency, SKOS.prefLabel, DCTERMS.title, FOAF.name)
    short_th, _short_en = reader.texts(agency, SKOS.altLabel)
    parent = reader.graph.value(agency, ORG.subOrganizationOf)
    ministry_th, ministry_en = reader.names(parent, SKOS.prefLabel) if parent else ("", "")
    # The authority's own contact point only: the service's is the service's (_contact).
    contact = reader.graph.value(agency, CV.contactPoint)
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


def _service_contact(reader: Reader, node: Node, record: Record) -> None:
    """The service's own contact point (not its authority's): office, address, phone,
    e-mail and opening hours. An e-mail that is not an address is left out, said so."""
    agencies = reader.graph.objects(node, CV.hasCompetentAuthority)
    theirs = {c for a in agencies for c in reader.graph.objects(a, CV.contactPoint)}
    contacts = [c for c in reader.objects(node, CV.contactPoint) if c not in theirs]
    contact = contacts[0] if contacts else None
    office = reader.texts(contact, DCTERMS.title) if contact is not None else ("", "")
    address = hours = ("", "")
    phone = email = ""
    if contact is not None:
        if (place := reader.graph.value(contact, LOCN.address)) is not None:
            address = reader.texts(place, LOCN.fullAddress)
        if (when := reader.graph.value(contact, CV.openingHours)) is not None:
            hours = reader.texts(when, DCTERMS.description)
        phone = reader.literal(contact, CV.telephone).removeprefix("tel:")
        email = reader.literal(contact, CV.email).removeprefix("mailto:")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            record.warnings.append(
                _("the contact e-mail %(email)r is not an e-mail address: left out")
                % {"email": email}
            )
            email = ""
    record.fields.update(
        contact_office_th=office[0],
        contact_office_en=office[1],
        contact_address_th=address[0],
        contact_address_en=address[1],
        contact_phone=phone,
        contact_email=email,
        opening_hours_th=hours[0],
        opening_hours_en=hours[1],
    )


def _processing_time(reader: Reader, node: Node, record: Record) -> None:
    value = reader.literal(node, CV.processingTime)
    days = duration_days(value)
    if days is None:
        if not value:
            problem = _("cv:processingTime is missing")
        else:
            problem = _("cv:processingTime %(value)r is not a number of days") % {"value": value}
        record.errors.append(
            _(
                "%(problem)s: Biz Portal shows every service's processing time in days "
                "(P15D, P2W, PT48H)"
            )
            % {"problem": problem}
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
    """Who may apply, when the record uses our applicant types (the defaults otherwise),
    and the target groups; another audience is named in the warnings."""
    kinds: set[str] = set()
    for concept in reader.objects(node, DCTERMS.audience):
        if kind := reader.notation(concept, "applicant-type"):
            kinds.add(kind)
        elif key := reader.category(concept, Category.Kind.TARGET_GROUP):
            record.categories.append(key)
        else:
            record.warnings.append(
                _(
                    "dct:audience %(name)s is neither an applicant type nor a target group of "
                    "ours: left out"
                )
                % {"name": _named(reader, concept)}
            )
    if not kinds:
        return
    for flag, notation in AUDIENCE_FLAGS.items():
        record.fields[flag] = notation in kinds


def _sectors(reader: Reader, node: Node, record: Record) -> None:
    """TSIC sections and divisions (cv:sector); a sector of another classification is
    named in the warnings."""
    for concept in reader.objects(node, CV.sector):
        if key := reader.category(concept, Category.Kind.INDUSTRY):
            record.categories.append(key)
        else:
            record.warnings.append(
                _("cv:sector %(name)s is not a TSIC code of our scheme: left out")
                % {"name": _named(reader, concept)}
            )


def _events(reader: Reader, node: Node, record: Record) -> None:
    """Lifecycle stages: the business events the service is grouped by, each known by
    its type (a concept of our lifecycle scheme)."""
    for event in reader.objects(node, CV.isGroupedBy):
        stages = [
            key
            for concept in reader.objects(event, DCTERMS.type)
            if (key := reader.category(concept, Category.Kind.LIFECYCLE))
        ]
        if not stages:
            record.warnings.append(
                _("the event %(name)s is not a lifecycle stage of ours (its dct:type): left out")
                % {"name": _named(reader, event)}
            )
        record.categories.extend(stages)


def _legal_basis(reader: Reader, node: Node, record: Record) -> None:
    """The laws (cv:hasLegalResource) in order, each with its Thai and English title
    (one standing in for the other) and its web page: foaf:page, or the law's own URI
    when that is a web address outside the record (an ELI URI)."""
    laws: list[dict[str, str]] = []
    for legal in reader.objects(node, CV.hasLegalResource):
        th, en = reader.names(legal, DCTERMS.title, ELI.title, SKOS.prefLabel)
        if not th:
            record.warnings.append(
                _("the legal resource <%(uri)s> has no title: left out") % {"uri": legal}
            )
            continue
        page = reader.graph.value(legal, FOAF.page)
        if page is None and not str(legal).startswith(str(node).split("#")[0].rstrip("/")):
            page = legal
        laws.append({"th": th, "en": en, "url": _http_url(page)})
    record.fields["legal_basis"] = laws


def _requirements(reader: Reader, node: Node, record: Record) -> None:
    """Requirements with supporting evidence make documents required. The others are
    criteria: "who may apply" when typed as our eligibility requirement, else the
    manual's criteria and conditions (several joined by lines)."""
    required: set[Node] = set()
    texts: dict[str, tuple[list[str], list[str]]] = {
        "who_may_apply": ([], []),
        "criteria": ([], []),
    }
    for requirement in reader.objects(node, CV.holdsRequirement):
        supporting = reader.objects(requirement, CV.hasSupportingEvidence)
        if supporting:
            required.update(supporting)
            continue
        types = {
            reader.notation(c, "requirement-type")
            for c in reader.objects(requirement, DCTERMS.type)
        }
        th, en = reader.texts(requirement, DCTERMS.description)
        if not (th or en):
            th, en = reader.texts(requirement, DCTERMS.title)
            if (th, en) == ELIGIBILITY_TITLE:
                continue
        lines_th, lines_en = texts["who_may_apply" if "eligibility" in types else "criteria"]
        lines_th += [th] if th else []
        lines_en += [en] if en else []
    for name, (lines_th, lines_en) in texts.items():
        record.fields[f"{name}_th"] = "\n".join(lines_th)
        record.fields[f"{name}_en"] = "\n".join(lines_en)
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
            _("two pieces of evidence have the same dct:identifier: %(codes)s")
            % {"codes": ", ".join(sorted({c for c in codes if codes.count(c) > 1}))}
        )


def _amount(reader: Reader, cost: Node, record: Record) -> Decimal | None:
    """The cost's cv:hasValue in baht to the satang, or None (said so when unusable)."""
    value = reader.graph.value(cost, CV.hasValue)
    if value is None:
        return None
    try:
        amount = Decimal(str(value.toPython() if isinstance(value, Literal) else value))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        record.warnings.append(
            _("the cost <%(uri)s> has the value %(value)r, not an amount: left out")
            % {"uri": cost, "value": str(value)}
        )
        return None
    return amount.quantize(Decimal("0.01"))


def _costs(reader: Reader, node: Node, record: Record) -> None:
    """Each cost is a fee line (its words, its amount); the cost typed as our summary is
    the fee as the manual sums it up. Without one, the lines make the summary, and a
    line without words reads as its amount in baht."""
    summary: tuple[str, str] | None = None
    items: list[dict[str, Any]] = []
    shown_th: list[str] = []
    shown_en: list[str] = []
    for cost in reader.objects(node, CV.hasCost):
        types = {reader.notation(c, "cost-type") for c in reader.objects(cost, DCTERMS.type)}
        th, en = reader.texts(cost, DCTERMS.description)
        amount = _amount(reader, cost, record)
        if "summary" in types and summary is None:
            summary = (th, en)
            continue
        if not (th or en) and amount is not None:
            words = f"{amount:,.2f}".removesuffix(".00")
            shown_th.append(f"{words} บาท")
            shown_en.append(f"THB {words}")
        else:
            shown_th += [th] if th else []
            shown_en += [en] if en else []
        item_th, item_en = reader.names(cost, DCTERMS.description)
        items.append(
            {
                "th": item_th or FEE_LINE[0],
                "en": item_en or FEE_LINE[1],
                "amount": None if amount is None else str(amount),
            }
        )
    if summary is None:
        summary = (" / ".join(shown_th), " / ".join(shown_en))
    record.fields["fee_display_th"], record.fields["fee_display_en"] = summary
    record.fields["fee_items"] = items


def _channels(reader: Reader, node: Node, record: Record) -> None:
    """Where to apply, from our channel types: online on Biz Portal (with an office:
    online and at the office), the agency's e-service with its address (vcard:hasURL),
    in person at an office, else the agency's own channels. Whether Biz Portal can
    take a service online is the harvester's to decide (it needs a form and a fee table)."""
    kinds: set[str] = set()
    url = ""
    notes_th: list[str] = []
    notes_en: list[str] = []
    for channel in reader.objects(node, CV.hasChannel):
        for concept in reader.objects(channel, DCTERMS.type):
            if kind := reader.notation(concept, "channel-type"):
                kinds.add(kind)
                if kind == "website":
                    url = url or _website(reader, channel, record)
        th, en = reader.texts(channel, DCTERMS.description)
        notes_th += [th] if th else []
        notes_en += [en] if en else []
    record.fields["channel"] = _channel(kinds, url)
    record.fields["apply_url"] = url if record.fields["channel"] == "agency_online" else ""
    record.fields["channel_note_th"] = " / ".join(notes_th)
    record.fields["channel_note_en"] = " / ".join(notes_en)


def _website(reader: Reader, channel: Node, record: Record) -> str:
    value = reader.graph.value(channel, VCARD.hasURL)
    if url := _http_url(value):
        return url
    record.warnings.append(
        _(
            "the e-service channel <%(uri)s> has no http(s) vcard:hasURL (%(value)s): read as "
            "the agency's own channels"
        )
        % {"uri": channel, "value": value}
    )
    return ""


def _channel(kinds: set[str], url: str) -> str:
    if "online" in kinds:
        return "online_counter" if "office" in kinds else "online"
    if "website" in kinds and url:
        return "agency_online"
    return "counter" if "office" in kinds else "agency"


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
                    _(
                        "%(model)s %(field)s is %(length)d characters, more than Biz Portal's "
                        "%(limit)d"
                    )
                    % {
                        "model": model.__name__.lower(),
                        "field": name,
                        "length": len(value),
                        "limit": limit,
                    }
                )
    for check, name in ((check_legal_basis, "legal_basis"), (check_fee_items, "fee_items")):
        try:
            check(record.fields.get(name, []))
        except ManualError as error:
            record.errors.append(str(error))
    if not record.fields.get("name_th"):
        record.errors.append(_("the service has no title"))
    if authority := record.authority:
        if not authority.fields["name_th"]:
            record.errors.append(_("the authority <%(uri)s> has no name") % {"uri": authority.uri})
        for name in ("name_th", "name_en"):
            if len(authority.fields[name]) > AGENCY_NAME_LENGTH:
                record.errors.append(
                    _("the authority's %(field)s is over %(limit)d characters")
                    % {"field": name, "limit": AGENCY_NAME_LENGTH}
                )


#: The parts of a record, in order: the mirror of :data:`.rdf.SERVICE_PARTS`.
PARTS: list[PartReader] = [
    _describe,
    _authority,
    _service_contact,
    _processing_time,
    _audience,
    _sectors,
    _events,
    _legal_basis,
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
    """Give each record the violations of the nodes it reaches (its cost, evidence,
    authority, events...; not through another service or the catalogue); return the
    rest, the catalogue's own, as warnings.

    Walked backwards from each violation's node: a shared node (an event of thousands
    of services, the currency) is crossed once per violation, not once per record."""
    by_node = {r.node: r for r in records}
    stop = set(graph.subjects(RDF.type, DCAT.Catalog)) | set(graph.subjects(RDF.type, DCAT.Dataset))
    mine: dict[Node, list[str]] = {}
    rest: list[str] = []
    for violation in found:
        services = _reached_from(graph, violation.focus, set(by_node), stop)
        for node in sorted(services, key=str):
            mine.setdefault(node, []).append(f"SHACL: {violation}")
        if not services:
            rest.append(f"SHACL: {violation}")
    for node, messages in mine.items():
        by_node[node].errors[:0] = messages
    return rest


def _reached_from(graph: Graph, focus: Node, services: set[Node], stop: set[Node]) -> set[Node]:
    """The services from which ``focus`` can be reached by links other than rdf:type,
    without passing through another service or the catalogue."""
    seen = {focus}
    queue = [focus]
    found: set[Node] = set()
    while queue:
        node = queue.pop()
        if node in services:
            found.add(node)
            continue
        if node in stop:
            continue
        for subject, predicate in graph.subject_predicates(node):
            if predicate != RDF.type and subject not in seen:
                seen.add(subject)
                queue.append(subject)
    return found
