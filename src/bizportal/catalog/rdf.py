"""The catalogue as linked data: a DCAT-AP 3 catalogue of CPSV-AP 3.2 public services.

Why: agencies and other portals federate catalogues in RDF (DCAT-AP, CPSV-AP), so the
same licence is described once and found everywhere; and the API catalogue
(``dcat:DataService`` with its OpenAPI document) lets a system discover our endpoints.
What is published conforms to the official SHACL shapes with inference off
(:mod:`.shacl`): every node that a shape expects to be of a class carries that class
itself (a currency, a country, a channel type are typed ``skos:Concept`` or
``dct:Location``), because a validator without inference does not guess it.

URIs are promises, so they are written out here rather than reversed from the URL
map: a route may move, a published URI may not. Every URI dereferences: the service
page, ``/catalog/agencies/<code>``, ``/catalog/events/<stage>`` and
``/catalog/concepts/<scheme>[/<code>]`` answer RDF by content negotiation, and the parts
of a service (its costs, channels, documents, laws, contact point...) are fragments of
its page's URI.

The groupings are linked data too: a lifecycle stage is a ``cv:BusinessEvent`` (one URI
per stage, grouping its services), target groups are audiences and TSIC codes sectors,
each a concept of a scheme of ours built from the :class:`~.models.Category` rows.

The mapping is a list of small functions, one per part of a service
(:data:`SERVICE_PARTS`); describing a new catalogue field means adding one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet, Subquery
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, RDF, RDFS, SKOS, TIME, XSD

from bizportal.core.registry import Registry

from .models import Agency, Category, RequiredDocument, Service

CV = Namespace("http://data.europa.eu/m8g/")
CPSV = Namespace("http://purl.org/vocab/cpsv#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_CURRENCY = Namespace("http://publications.europa.eu/resource/authority/currency/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

PREFIXES: dict[str, Namespace] = {
    "cv": CV,
    "cpsv": CPSV,
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "org": Namespace(str(ORG)),
    "skos": Namespace(str(SKOS)),
    "adms": ADMS,
    "eli": ELI,
    "locn": LOCN,
    "time": Namespace(str(TIME)),
    "vcard": VCARD,
    "xsd": Namespace(str(XSD)),
    "rdfs": Namespace(str(RDFS)),
}
#: The JSON-LD context: the same prefixes as the Turtle, so both read alike.
JSONLD_CONTEXT: dict[str, str] = {prefix: str(ns) for prefix, ns in PREFIXES.items()}

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
#: Media type -> rdflib format name, and the file extension that asks for it.
FORMATS: dict[str, str] = {TURTLE: "turtle", JSONLD: "json-ld"}
EXTENSIONS: dict[str, str] = {"ttl": TURTLE, "jsonld": JSONLD}

#: Part of every ETag: a change of the mapping changes the documents without any row
#: changing, and caches must not keep serving the old ones.
MAPPING_VERSION = "2"

THAILAND = EU_COUNTRY.THA
BAHT = EU_CURRENCY.THB


@dataclass(frozen=True)
class ConceptScheme:
    """A small controlled vocabulary of ours, where no EU authority table fits."""

    title_th: str
    title_en: str
    concepts: dict[str, tuple[str, str]]


#: Our own vocabularies (CPSV-AP leaves these to "suit local implementations"). The
#: harvester recognises their concepts by ``skos:notation`` within a scheme of the same
#: name, so two Biz Portal instances understand each other whatever their host names.
SCHEMES: dict[str, ConceptScheme] = {
    "channel-type": ConceptScheme(
        "ประเภทช่องทางการให้บริการ",
        "Channel types",
        {
            "online": ("ยื่นออนไลน์", "Online"),
            "office": ("ยื่นด้วยตนเองที่สำนักงาน", "In person at an office"),
            "website": ("ระบบออนไลน์ของหน่วยงาน", "The agency's own e-service"),
            "agency": ("ช่องทางของหน่วยงาน", "The agency's own channels"),
        },
    ),
    "applicant-type": ConceptScheme(
        "ผู้มีสิทธิ์ยื่นคำขอ",
        "Who may apply",
        {
            "person": ("บุคคลธรรมดาสัญชาติไทย", "Thai natural persons"),
            "company": ("นิติบุคคล", "Juristic persons"),
            "foreigner": ("บุคคลธรรมดาต่างชาติ", "Foreign natural persons"),
        },
    ),
    "requirement-type": ConceptScheme(
        "ประเภทเงื่อนไขของบริการ",
        "Requirement types",
        {
            "eligibility": ("คุณสมบัติของผู้ยื่นคำขอ", "Eligibility"),
            "criteria": ("หลักเกณฑ์ วิธีการ และเงื่อนไข", "Criteria and conditions"),
            "document": ("เอกสารที่ต้องยื่น", "Document to submit"),
        },
    ),
    "service-kind": ConceptScheme(
        "หมวดหมู่ของงานบริการ",
        "Kinds of service",
        {
            "licence": ("อนุญาต / ออกใบอนุญาต", "Licence or permit"),
            "registration": ("จดทะเบียน", "Registration"),
            "notification": ("รับแจ้ง", "Notification"),
            "enrolment": ("ขึ้นทะเบียน", "Enrolment"),
            "certification": ("รับรอง", "Certification"),
            "approval": ("อนุมัติ / ให้ความเห็นชอบ", "Approval"),
        },
    ),
    "cost-type": ConceptScheme(
        "ประเภทค่าใช้จ่าย",
        "Kinds of cost",
        {
            "summary": ("ค่าธรรมเนียมโดยสรุป", "The fees in summary"),
            "item": ("รายการค่าธรรมเนียม", "One fee"),
        },
    ),
}


@dataclass(frozen=True)
class CategoryScheme:
    """The scheme a kind of :class:`Category` is published in, and the property that
    links a service to it: the concepts come from the rows, not from the code."""

    name: str
    title_th: str
    title_en: str


#: Category.kind -> its concept scheme. Lifecycle stages are also business events
#: (cv:isGroupedBy), typed by the stage's concept.
CATEGORY_SCHEMES: dict[str, CategoryScheme] = {
    Category.Kind.TARGET_GROUP: CategoryScheme("target-group", "กลุ่มเป้าหมาย", "Target groups"),
    Category.Kind.LIFECYCLE: CategoryScheme(
        "lifecycle", "ช่วงของธุรกิจ", "Stages of a business's lifecycle"
    ),
    Category.Kind.INDUSTRY: CategoryScheme(
        "tsic",
        "การจัดประเภทมาตรฐานอุตสาหกรรมประเทศไทย (TSIC) 2552",
        "Thailand Standard Industrial Classification (TSIC) 2009",
    ),
}

#: Service.channel -> the channel types it offers, the first carrying the channel note.
CHANNEL_TYPES: dict[str, tuple[str, ...]] = {
    Service.Channel.ONLINE: ("online",),
    Service.Channel.ONLINE_AND_COUNTER: ("online", "office"),
    Service.Channel.AGENCY_ONLINE: ("website",),
    Service.Channel.COUNTER: ("office",),
    Service.Channel.AGENCY: ("agency",),
}
#: Service flag -> applicant type (dct:audience).
AUDIENCE_FLAGS: dict[str, str] = {
    "persons_may_apply": "person",
    "companies_may_apply": "company",
    "foreigners_may_apply": "foreigner",
}
ELIGIBILITY_TITLE = ("ผู้มีสิทธิ์ยื่นคำขอ", "Who may apply")
CRITERIA_TITLE = SCHEMES["requirement-type"].concepts["criteria"]
#: Citizen-manual codes are registered with the OPDC under the Licensing Facilitation
#: Act 2015; the harvester takes an adms:identifier with this agency as the manual code.
MANUAL_CODE_AGENCY = (
    "สำนักงาน ก.พ.ร. (คู่มือสำหรับประชาชน)",
    "Office of the Public Sector Development Commission (citizen manuals)",
)


@dataclass(frozen=True)
class PublicApi:
    """One of our REST APIs, published as a ``dcat:DataService`` (API discovery)."""

    name: str  # its path under /api/v1/
    title_th: str
    title_en: str
    description_th: str
    description_en: str
    serves_catalogue: bool = False


#: Every API under /api/v1/ (a test checks that none is missing). All are described
#: by the one OpenAPI document at /api/schema/.
PUBLIC_APIS: tuple[PublicApi, ...] = (
    PublicApi(
        "catalog",
        "API แคตตาล็อกบริการ",
        "Service catalogue API",
        "ค้นหาบริการและอ่านข้อมูลคู่มือประชาชน แบบฟอร์ม และเอกสารที่ต้องใช้ (ไม่ต้องเข้าสู่ระบบ)",
        "Search services and read their citizen-manual data, forms and documents (no sign-in).",
        serves_catalogue=True,
    ),
    PublicApi(
        "applications",
        "API คำขออนุญาต",
        "Applications API",
        "เตรียม ยื่น และติดตามคำขอ สำหรับผู้ใช้ที่เข้าสู่ระบบ และงานของเจ้าหน้าที่",
        "Prepare, submit and follow licence applications (signed-in users), and the "
        "officers' worklist and decisions.",
    ),
    PublicApi(
        "payments",
        "API การชำระเงิน",
        "Payments API",
        "อ่านใบแจ้งชำระเงินและข้อมูล Thai QR ของคำขอของตนเอง",
        "Read the invoice of one's own application and its Thai QR payload.",
    ),
    PublicApi(
        "licences",
        "API ตรวจสอบใบอนุญาต",
        "Licence verification API",
        "ตรวจสอบสถานะใบอนุญาตอิเล็กทรอนิกส์ด้วยเลขที่ หรือไฟล์ PDF ที่ลงลายมือชื่อ",
        "Verify an electronic licence by its number, or its signed PDF.",
    ),
    PublicApi(
        "advisor",
        "API ผู้ช่วยแนะนำใบอนุญาต",
        "Information Advisor API",
        "ตอบคำถามเกี่ยวกับธุรกิจแล้วรับรายการบริการและใบอนุญาตที่ต้องขอ เรียงตามลำดับที่ต้องได้รับ "
        "พร้อมค่าธรรมเนียมและระยะเวลา (ไม่ต้องเข้าสู่ระบบ)",
        "Answer questions about a business and get the services and licences it needs, in "
        "the order to obtain them, with fees and working days (no sign-in).",
    ),
    PublicApi(
        "mandates",
        "API การมอบอำนาจ",
        "Mandates API",
        "มอบอำนาจให้ผู้อื่นยื่นคำขอแทนนิติบุคคลหรือตนเอง และตอบรับการมอบอำนาจ",
        "Give, accept and withdraw mandates to act for a company or a person.",
    ),
    PublicApi(
        "exchange",
        "API ระบบแลกเปลี่ยนข้อมูลภาครัฐ",
        "Government data exchange API",
        "รายการบริการข้อมูลของหน่วยงาน และการขอข้อมูลของระบบหน่วยงาน (OAuth2) ตามอำนาจหน้าที่ "
        "หรือความยินยอมของเจ้าของข้อมูล ทุกคำขอบันทึกไว้",
        "The agencies' data services, and queries by agency systems (OAuth2) on a legal "
        "mission or the person's consent; every request is logged.",
    ),
    PublicApi(
        "integrations",
        "API การเชื่อมต่อระบบของหน่วยงาน",
        "Agency systems integration API",
        "โครงสร้างชุดข้อมูลคำขอ (JSON Schema) ที่ส่งต่อให้ระบบของหน่วยงาน และตัวอย่างชุดข้อมูลของคำขอสำหรับเจ้าหน้าที่",
        "The JSON Schema of the application package forwarded to agencies' systems, and "
        "the package of an application for the agency's officers.",
    ),
)


class Uris:
    """Every URI we mint, from one base (``settings.BASE_URL``)."""

    SERVICE_PATH = re.compile(r"^/services/([-a-zA-Z0-9_]+)/$")
    AGENCY_PATH = re.compile(r"^/catalog/agencies/([-a-zA-Z0-9_]+)$")

    def __init__(self, base: str | None = None) -> None:
        self.base = (base or settings.BASE_URL).rstrip("/")

    def catalogue(self) -> URIRef:
        return URIRef(f"{self.base}/catalog")

    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}/catalog#services")

    def service(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}/services/{slug}/")

    def part(self, slug: str, fragment: str) -> URIRef:
        return URIRef(f"{self.base}/services/{slug}/#{fragment}")

    def agency(self, code: str) -> URIRef:
        return URIRef(f"{self.base}/catalog/agencies/{code}")

    def scheme(self, name: str) -> URIRef:
        return URIRef(f"{self.base}/catalog/concepts/{name}")

    def concept(self, scheme: str, notation: str) -> URIRef:
        return URIRef(f"{self.base}/catalog/concepts/{scheme}/{notation}")

    def event(self, stage: str) -> URIRef:
        """A lifecycle stage as a business event: one URI per stage, shared by its services."""
        return URIRef(f"{self.base}/catalog/events/{stage}")

    def publisher(self) -> URIRef:
        return URIRef(f"{self.base}/catalog#publisher")

    def api(self, name: str) -> URIRef:
        return URIRef(f"{self.base}/catalog#api-{name}")

    def distribution(self, extension: str) -> URIRef:
        return URIRef(f"{self.base}/catalog#distribution-{extension}")

    def page(self, path: str) -> URIRef:
        return URIRef(f"{self.base}{path}")

    def _local(self, uri: str, pattern: re.Pattern[str]) -> str | None:
        if not uri.startswith(self.base + "/"):
            return None
        match = pattern.match(uri[len(self.base) :])
        return match.group(1) if match else None

    def slug_of(self, uri: str) -> str | None:
        """The slug when ``uri`` is one of our own service URIs."""
        return self._local(uri, self.SERVICE_PATH)

    def agency_code_of(self, uri: str) -> str | None:
        return self._local(uri, self.AGENCY_PATH)


_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def fixed_fee(service: Service) -> Decimal | None:
    """The fee when the citizen manual's fee text names exactly one amount ("50 บาท",
    "THB 50"); None for ranges and tables ("500–2,000 บาท ตามพื้นที่"), which stay text.

    The fee text is what the agency published; the DMN fee table that computes the
    amount belongs to the rules app above the catalogue and needs an application's
    answers.
    """
    amounts: set[Decimal] = set()
    for text in (service.fee_display_th, service.fee_display_en):
        for match in _AMOUNT.findall(text or ""):
            try:
                amounts.add(Decimal(match.replace(",", "")))
            except InvalidOperation:  # pragma: no cover - the pattern admits numbers only
                continue
    return amounts.pop() if len(amounts) == 1 else None


def service_documents(service: Service) -> list[RequiredDocument]:
    """The documents of a new-licence application (kind-specific ones are not the
    service's inputs), from the prefetched rows."""
    return [document for document in service.documents.all() if not document.kind]


#: What a service's description reads besides its row and agency: its documents and its
#: categories (a TSIC division with its section), one query each however many services.
DESCRIPTION_PREFETCH = (
    "documents",
    Prefetch("categories", queryset=Category.objects.select_related("parent")),
)


def with_description(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("agency").prefetch_related(*DESCRIPTION_PREFETCH)


def published_services(using: str | None = None) -> QuerySet[Service]:
    """Every published service with what its description needs, in three queries."""
    services = Service.objects.filter(is_published=True)
    if using:
        services = services.using(using)
    return with_description(services).order_by("slug")


def service_categories(service: Service) -> dict[str, list[Category]]:
    """The service's categories by kind, in their reference order (from the prefetch)."""
    found: dict[str, list[Category]] = {kind: [] for kind in CATEGORY_SCHEMES}
    for category in sorted(service.categories.all(), key=lambda c: (c.order, c.code)):
        found.setdefault(category.kind, []).append(category)
    return found


class CatalogueContribution(Protocol):
    """Another app's entries in the published catalogue (the exchange's data services).

    Registered by that app (in its ``AppConfig.ready``), so the catalogue publishes them
    without depending on it. ``newest`` is a query of the newest change to its entries
    (one ``updated_at`` value): it rides in the catalogue's state query as a subquery
    and moves the ETag and Last-Modified."""

    def newest(self) -> QuerySet[Any]: ...

    def add_to(self, graph: CatalogueGraph, catalogue: URIRef) -> None: ...


contributions: Registry[CatalogueContribution] = Registry("catalogue contribution")


@dataclass(frozen=True)
class CatalogueState:
    """What the published catalogue depends on, read in one query: ETag and Last-Modified."""

    published: int
    last_modified: datetime | None
    etag: str


def catalogue_state(using: str | None = None) -> CatalogueState:
    services = Service.objects.using(using) if using else Service.objects.all()
    # A renamed category changes the concepts and events the services point at; the
    # newest category change rides along in the same query as an uncorrelated subquery.
    newest_category = Category.objects.order_by("-updated_at").values("updated_at")[:1]
    contributed = {
        f"contribution_{name}": Max(Subquery(part.newest().values("updated_at")[:1]))
        for name, part in contributions
    }
    row = services.aggregate(
        published=Count("id", filter=Q(is_published=True)),
        services=Max("updated_at"),
        agencies=Max("agency__updated_at"),
        categories=Max(Subquery(newest_category)),
        **contributed,
    )
    found = [row["services"], row["agencies"], row["categories"], *map(row.get, contributed)]
    stamps = [stamp for stamp in found if stamp is not None]
    last = max(stamps) if stamps else None
    return CatalogueState(row["published"], last, _etag(row["published"], *stamps))


def service_state(service: Service) -> CatalogueState:
    stamps = [service.updated_at, service.agency.updated_at]
    stamps += [c.updated_at for c in service.categories.all()]
    stamps += [c.parent.updated_at for c in service.categories.all() if c.parent]
    return CatalogueState(1, max(stamps), _etag(service.slug, *stamps))


def document_etag(path: str, catalogue_etag: str) -> str:
    return _etag("document", path, catalogue_etag)


def agency_etag(agency: Agency) -> str:
    return _etag("agency", agency.code, agency.updated_at)


def _etag(*parts: Any) -> str:
    seed = "|".join([MAPPING_VERSION, settings.BASE_URL, *map(str, parts)])
    return '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'


def serialize(graph: Graph, media_type: str) -> bytes:
    if media_type == JSONLD:
        return graph.serialize(
            format="json-ld", context=JSONLD_CONTEXT, auto_compact=True, encoding="utf-8"
        )
    return graph.serialize(format="turtle", encoding="utf-8")


class CatalogueGraph:
    """Builds the RDF of services, their agencies and the catalogue around them.

    Shared nodes (an agency, a concept, the dataset) are described once however many
    services point at them.
    """

    def __init__(self, base: str | None = None) -> None:
        self.uris = Uris(base)
        self.graph = Graph(bind_namespaces="core")
        for prefix, namespace in PREFIXES.items():
            self.graph.bind(prefix, namespace)
        self._described: set[Hashable] = set()

    # --- small helpers ------------------------------------------------------------

    def first_time(self, key: Hashable) -> bool:
        """True once per node (or other key): the caller describes it then, and only then."""
        if key in self._described:
            return False
        self._described.add(key)
        return True

    def add(self, subject: URIRef, predicate: URIRef, obj: URIRef | Literal) -> None:
        self.graph.add((subject, predicate, obj))

    def typed(self, node: URIRef, *classes: URIRef) -> None:
        for cls in classes:
            self.add(node, RDF.type, cls)

    def text(self, node: URIRef, predicate: URIRef, th: str, en: str) -> None:
        """Thai and English literals, each only when there is text."""
        if th.strip():
            self.add(node, predicate, Literal(th.strip(), lang="th"))
        if en.strip():
            self.add(node, predicate, Literal(en.strip(), lang="en"))

    def identifier(self, node: URIRef, value: str) -> None:
        self.add(node, DCTERMS.identifier, Literal(value))

    # --- shared nodes -------------------------------------------------------------

    def concept(self, scheme: str, notation: str) -> URIRef:
        """A concept of one of our fixed schemes (:data:`SCHEMES`)."""
        node = self.uris.concept(scheme, notation)
        if self.first_time(node):
            th, en = SCHEMES[scheme].concepts[notation]
            self._describe_concept(node, scheme, notation, th, en)
            self.scheme(scheme, SCHEMES[scheme].title_th, SCHEMES[scheme].title_en)
        return node

    def category(self, category: Category) -> URIRef:
        """A category as a concept of its kind's scheme; a TSIC division is narrower
        than its section (skos:broader), which is described too."""
        scheme = CATEGORY_SCHEMES[category.kind]
        node = self.uris.concept(scheme.name, category.code)
        if self.first_time(node):
            self._describe_concept(
                node, scheme.name, category.code, category.name_th, category.name_en
            )
            self.scheme(scheme.name, scheme.title_th, scheme.title_en)
            if category.parent is not None:
                self.add(node, SKOS.broader, self.category(category.parent))
        return node

    def _describe_concept(self, node: URIRef, scheme: str, notation: str, th: str, en: str) -> None:
        self.typed(node, SKOS.Concept)
        self.text(node, SKOS.prefLabel, th, en)
        self.add(node, SKOS.notation, Literal(notation))
        self.add(node, SKOS.inScheme, self.uris.scheme(scheme))

    def scheme(self, name: str, title_th: str, title_en: str) -> URIRef:
        node = self.uris.scheme(name)
        if self.first_time(node):
            self.typed(node, SKOS.ConceptScheme)
            self.text(node, DCTERMS.title, title_th, title_en)
        return node

    def thailand(self) -> URIRef:
        if self.first_time(THAILAND):
            self.typed(THAILAND, DCTERMS.Location)
            self.text(THAILAND, SKOS.prefLabel, "ประเทศไทย", "Thailand")
        return THAILAND

    def baht(self) -> URIRef:
        if self.first_time(BAHT):
            self.typed(BAHT, SKOS.Concept)
            self.text(BAHT, SKOS.prefLabel, "บาท", "Thai baht")
            self.add(BAHT, SKOS.notation, Literal("THB"))
        return BAHT

    def language(self, code: str) -> URIRef:
        node = EU_LANGUAGE[code]
        if self.first_time(node):
            self.typed(node, DCTERMS.LinguisticSystem)
        return node

    def document(self, url: str) -> URIRef:
        """A web page, typed as the shapes expect of a landing page or contact page."""
        node = URIRef(url)
        if self.first_time(("document", node)):
            self.typed(node, FOAF.Document)
        return node

    def resource(self, url: str) -> URIRef:
        """An endpoint URL: DCAT-AP's range shapes want it typed rdfs:Resource."""
        node = URIRef(url)
        if self.first_time(("resource", node)):
            self.typed(node, RDFS.Resource)
        return node

    def publisher(self) -> URIRef:
        """The organisation that runs this Biz Portal and publishes its catalogue."""
        node = self.uris.publisher()
        if self.first_time(node):
            th, en = settings.CATALOG_PUBLISHER_NAME_TH, settings.CATALOG_PUBLISHER_NAME_EN
            self.typed(node, FOAF.Agent, ORG.Organization)
            self.identifier(node, "bizportal")
            self.text(node, FOAF.name, th, en)
            self.text(node, DCTERMS.title, th, en)
        return node

    def agency(self, agency: Agency) -> URIRef:
        """An agency: the competent authority (cv:PublicOrganisation) of its services,
        also a foaf:Agent and an org:Organization, the classes other shapes expect."""
        node = self.uris.agency(agency.code)
        if not self.first_time(node):
            return node
        self.typed(node, CV.PublicOrganisation, FOAF.Agent, ORG.Organization)
        self.identifier(node, agency.code)
        self.text(node, SKOS.prefLabel, agency.name_th, agency.name_en)
        self.text(node, SKOS.altLabel, agency.short_name_th, "")
        self.text(node, DCTERMS.title, agency.name_th, agency.name_en)
        self.text(node, FOAF.name, agency.name_th, agency.name_en)
        self.add(node, DCTERMS.spatial, self.thailand())
        if agency.ministry_th or agency.ministry_en:
            parent = URIRef(f"{node}#parent")
            self.typed(parent, ORG.Organization)
            self.text(parent, SKOS.prefLabel, agency.ministry_th, agency.ministry_en)
            self.add(node, ORG.subOrganizationOf, parent)
        if contact := self.contact_point(agency):
            self.add(node, CV.contactPoint, contact)
        return node

    def contact_point(self, agency: Agency) -> URIRef | None:
        if not (agency.email or agency.phone or agency.website):
            return None
        node = URIRef(f"{self.uris.agency(agency.code)}#contact")
        if self.first_time(node):
            self.typed(node, CV.ContactPoint)
            if agency.email:
                self.add(node, CV.email, Literal(agency.email))
            if agency.phone:
                self.add(node, CV.telephone, Literal(agency.phone))
            if agency.website:
                self.add(node, CV.contactPage, self.document(agency.website))
        return node

    def dataset(self) -> URIRef:
        """The CPSV-AP public service dataset: the services, as one dcat:Dataset."""
        node = self.uris.dataset()
        if self.first_time(node):
            self.typed(node, DCAT.Dataset)
            self.text(
                node,
                DCTERMS.title,
                "บริการและใบอนุญาตสำหรับธุรกิจ",
                "Services and licences for businesses",
            )
            self.text(
                node,
                DCTERMS.description,
                "คู่มือประชาชนของบริการและใบอนุญาตที่ธุรกิจยื่นขอผ่านบิซพอร์ทัล",
                "The citizen manuals of the services and licences businesses apply for "
                "through Biz Portal.",
            )
            self.add(node, DCTERMS.publisher, self.publisher())
            self.add(node, DCAT.landingPage, self.document(f"{self.uris.base}/services/"))
        return node

    # --- services -----------------------------------------------------------------

    def service(self, service: Service) -> URIRef:
        node = self.uris.service(service.slug)
        if self.first_time(node):
            for part in SERVICE_PARTS:
                part(self, service, node)
        return node

    def event(
        self,
        service_node: URIRef,
        node: URIRef,
        *,
        identifier: str,
        title_th: str,
        title_en: str,
        kind: URIRef | None = None,
        business: bool = True,
        description_th: str = "",
        description_en: str = "",
    ) -> URIRef:
        """A business (or life) event that groups services: typed cv:Event as well,
        which the shapes need without inference. ``kind`` is a typed skos:Concept."""
        if self.first_time(node):
            self.typed(node, CV.Event, CV.BusinessEvent if business else CV.LifeEvent)
            self.identifier(node, identifier)
            self.text(node, DCTERMS.title, title_th, title_en)
            self.text(node, DCTERMS.description, description_th, description_en)
            if kind is not None:
                self.add(node, DCTERMS.type, kind)
        self.add(node, CV.hasRelatedService, service_node)
        self.add(service_node, CV.isGroupedBy, node)
        return node

    # --- the catalogue ------------------------------------------------------------

    def catalogue(self, services: Iterable[Service], modified: datetime | None) -> URIRef:
        node = self.uris.catalogue()
        self.typed(node, DCAT.Catalog)
        self.text(node, DCTERMS.title, "แคตตาล็อกบริการบิซพอร์ทัล", "Biz Portal service catalogue")
        self.text(
            node,
            DCTERMS.description,
            "บริการและใบอนุญาตสำหรับธุรกิจ (CPSV-AP) และ API ของบิซพอร์ทัล (DCAT-AP)",
            "Services and licences for businesses (CPSV-AP) and the Biz Portal APIs (DCAT-AP).",
        )
        self.add(node, DCTERMS.publisher, self.publisher())
        self.add(node, FOAF.homepage, self.document(f"{self.uris.base}/"))
        self.add(node, DCTERMS.spatial, self.thailand())
        for code in ("THA", "ENG"):
            self.add(node, DCTERMS.language, self.language(code))
        if modified is not None:
            self.add(node, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime))
        dataset = self.dataset()
        self.add(node, DCAT.dataset, dataset)
        for extension, media_type in EXTENSIONS.items():
            self.add(dataset, DCAT.distribution, self.distribution(extension, media_type))
        for api in PUBLIC_APIS:
            self.add(node, DCAT.service, self.data_service(api))
        for _, contribution in contributions:
            contribution.add_to(self, node)
        for service in services:
            self.service(service)
        return node

    def distribution(self, extension: str, media_type: str) -> URIRef:
        node = self.uris.distribution(extension)
        url = self.uris.page(f"/catalog.{extension}")
        media = URIRef(IANA_MEDIA_TYPES + media_type)
        self.typed(node, DCAT.Distribution)
        self.text(node, DCTERMS.title, f"แคตตาล็อก ({extension})", f"The catalogue ({extension})")
        self.add(node, DCAT.accessURL, url)
        self.add(node, DCAT.downloadURL, url)
        self.typed(media, DCTERMS.MediaType, DCTERMS.MediaTypeOrExtent)
        self.add(node, DCAT.mediaType, media)
        return node

    def data_service(self, api: PublicApi) -> URIRef:
        node = self.uris.api(api.name)
        self.typed(node, DCAT.DataService)
        self.identifier(node, api.name)
        self.text(node, DCTERMS.title, api.title_th, api.title_en)
        self.text(node, DCTERMS.description, api.description_th, api.description_en)
        self.add(node, DCAT.endpointURL, self.resource(f"{self.uris.base}/api/v1/{api.name}/"))
        self.add(node, DCAT.endpointDescription, self.resource(f"{self.uris.base}/api/schema/"))
        self.add(node, DCAT.landingPage, self.document(f"{self.uris.base}/api/docs/"))
        self.add(node, DCTERMS.publisher, self.publisher())
        if api.serves_catalogue:
            self.add(node, DCAT.servesDataset, self.dataset())
        return node


# --- the parts of a service: one function each ----------------------------------------

ServicePart = Callable[[CatalogueGraph, Service, URIRef], None]


def _describe(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    g.typed(node, CPSV.PublicService)
    g.identifier(node, service.slug)
    g.text(node, DCTERMS.title, service.name_th, service.name_en)
    # A description is mandatory; a service without a summary is described by its name.
    if (service.summary_th + service.summary_en).strip():
        g.text(node, DCTERMS.description, service.summary_th, service.summary_en)
    else:
        g.text(node, DCTERMS.description, service.name_th, service.name_en)
    if service.service_kind in SCHEMES["service-kind"].concepts:
        g.add(node, DCTERMS.type, g.concept("service-kind", service.service_kind))
    if service.manual_code:
        code = g.uris.part(service.slug, "manual-code")
        g.typed(code, ADMS.Identifier)
        g.add(code, SKOS.notation, Literal(service.manual_code))
        g.text(code, ADMS.schemaAgency, *MANUAL_CODE_AGENCY)
        g.add(node, ADMS.identifier, code)
    g.add(node, DCTERMS.modified, Literal(service.updated_at, datatype=XSD.dateTime))
    dataset = g.dataset()
    g.add(node, DCTERMS.isPartOf, dataset)
    g.add(dataset, DCTERMS.hasPart, node)


def _authority(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """The agency, with its own contact point; the service's is :func:`_contact`."""
    g.add(node, CV.hasCompetentAuthority, g.agency(service.agency))


def _contact(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """Where to ask about this service (the citizen manual's สถานที่ติดต่อ): a
    cv:ContactPoint with CPSV-AP's cv:telephone, cv:email and cv:openingHours (a
    time:TemporalEntity described in words, as CPSV-AP suggests for simple hours); the
    office by name (dct:title) and address (locn:Address, locn:fullAddress)."""
    office = (service.contact_office_th, service.contact_office_en)
    address = (service.contact_address_th, service.contact_address_en)
    hours = (service.opening_hours_th, service.opening_hours_en)
    phone, email = service.contact_phone.strip(), service.contact_email.strip()
    if not "".join((*office, *address, *hours, phone, email)).strip():
        return
    contact = g.uris.part(service.slug, "contact")
    g.typed(contact, CV.ContactPoint)
    g.text(contact, DCTERMS.title, *office)
    if "".join(address).strip():
        place = g.uris.part(service.slug, "contact-address")
        g.typed(place, LOCN.Address)
        g.text(place, LOCN.fullAddress, *address)
        g.add(contact, LOCN.address, place)
    if phone:
        g.add(contact, CV.telephone, Literal(phone))
    if email:
        g.add(contact, CV.email, Literal(email))
    if "".join(hours).strip():
        when = g.uris.part(service.slug, "opening-hours")
        g.typed(when, TIME.TemporalEntity)
        g.text(when, DCTERMS.description, *hours)
        g.add(contact, CV.openingHours, when)
    g.add(node, CV.contactPoint, contact)


def _processing_time(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    # Citizen manuals count working days; xsd:duration has no such unit (see the docs).
    g.add(node, CV.processingTime, Literal(f"P{service.processing_days}D", datatype=XSD.duration))


def _audience(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """Who may apply on Biz Portal (applicant types) and whom the service is for (the
    target groups): both are audiences, told apart by their schemes."""
    for flag, notation in AUDIENCE_FLAGS.items():
        if getattr(service, flag):
            g.add(node, DCTERMS.audience, g.concept("applicant-type", notation))
    for group in service_categories(service)[Category.Kind.TARGET_GROUP]:
        g.add(node, DCTERMS.audience, g.category(group))


def _sectors(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """The TSIC sections and divisions the service is filed under (a service for every
    kind of business has none)."""
    for industry in service_categories(service)[Category.Kind.INDUSTRY]:
        g.add(node, CV.sector, g.category(industry))


def _events(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """Each lifecycle stage (start, operate, change, close) is a business event with
    one URI, grouping its services (cv:isGroupedBy / cv:hasRelatedService)."""
    for stage in service_categories(service)[Category.Kind.LIFECYCLE]:
        g.event(
            node,
            g.uris.event(stage.code),
            identifier=stage.code,
            title_th=stage.name_th,
            title_en=stage.name_en,
            description_th=stage.description_th,
            description_en=stage.description_en,
            kind=g.category(stage),
        )


def _legal_basis(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """The laws that empower the service, in the manual's order (``#legal-1``...): an
    eli:LegalResource each, titled, with the law's web page when the manual links one."""
    for position, law in enumerate(service.legal_basis or [], start=1):
        legal = g.uris.part(service.slug, f"legal-{position}")
        g.typed(legal, ELI.LegalResource)
        g.text(legal, DCTERMS.title, str(law.get("th", "")), str(law.get("en", "")))
        if url := str(law.get("url") or "").strip():
            g.add(legal, FOAF.page, g.document(url))
        g.add(node, CV.hasLegalResource, legal)


def _eligibility(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """Who may apply (``#eligibility``) and the manual's criteria and conditions
    (``#criteria``): requirements without evidence, told apart by their type."""
    if (service.who_may_apply_th + service.who_may_apply_en).strip():
        requirement = g.uris.part(service.slug, "eligibility")
        g.typed(requirement, CV.Requirement)
        g.identifier(requirement, f"{service.slug}-eligibility")
        g.text(requirement, DCTERMS.title, *ELIGIBILITY_TITLE)
        g.text(requirement, DCTERMS.description, service.who_may_apply_th, service.who_may_apply_en)
        g.add(requirement, DCTERMS.type, g.concept("requirement-type", "eligibility"))
        g.add(node, CV.holdsRequirement, requirement)
    if (service.criteria_th + service.criteria_en).strip():
        requirement = g.uris.part(service.slug, "criteria")
        g.typed(requirement, CV.Requirement)
        g.identifier(requirement, f"{service.slug}-criteria")
        g.text(requirement, DCTERMS.title, *CRITERIA_TITLE)
        g.text(requirement, DCTERMS.description, service.criteria_th, service.criteria_en)
        g.add(requirement, DCTERMS.type, g.concept("requirement-type", "criteria"))
        g.add(node, CV.holdsRequirement, requirement)


def _documents(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """Each document is evidence the applicant submits (cpsv:hasInput); a required one
    also answers a requirement of the service (cv:holdsRequirement), CCCEV style."""
    for document in service_documents(service):
        evidence = g.uris.part(service.slug, f"evidence-{document.code}")
        g.typed(evidence, CV.Evidence)
        g.identifier(evidence, document.code)
        g.text(evidence, DCTERMS.title, document.name_th, document.name_en)
        g.text(evidence, DCTERMS.description, document.note_th, document.note_en)
        g.add(node, CPSV.hasInput, evidence)
        if not document.required:
            continue
        requirement = g.uris.part(service.slug, f"requirement-{document.code}")
        g.typed(requirement, CV.Requirement)
        g.identifier(requirement, f"{document.code}-requirement")
        g.text(
            requirement,
            DCTERMS.title,
            f"ยื่น{document.name_th}",
            f"Provide: {document.name_en}" if document.name_en else "",
        )
        g.text(requirement, DCTERMS.description, document.note_th, document.note_en)
        g.add(requirement, DCTERMS.type, g.concept("requirement-type", "document"))
        g.add(requirement, CV.hasSupportingEvidence, evidence)
        g.add(evidence, CV.supportsRequirement, requirement)
        g.add(node, CV.holdsRequirement, requirement)


def _a_cost(g: CatalogueGraph, service: Service, fragment: str, kind: str) -> URIRef:
    cost = g.uris.part(service.slug, fragment)
    g.typed(cost, CV.Cost)
    g.identifier(cost, f"{service.slug}-{fragment.replace('cost', 'fee')}")
    g.add(cost, DCTERMS.type, g.concept("cost-type", kind))
    g.add(cost, CV.currency, g.baht())
    g.add(cost, CV.isDefinedBy, g.agency(service.agency))
    return cost


def _cost(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """One cv:Cost per fee line of the manual (``#cost-1``...), with cv:hasValue when the
    line has an amount; and the fee as the manual sums it up in words (``#cost``, type
    ``cost-type/summary``), which carries an amount only when there are no lines (so a
    consumer adding up the values counts each baht once)."""
    items = [item for item in service.fee_items or [] if isinstance(item, dict)]
    if (service.fee_display_th + service.fee_display_en).strip():
        summary = _a_cost(g, service, "cost", "summary")
        g.text(summary, DCTERMS.description, service.fee_display_th, service.fee_display_en)
        if not items and (amount := fixed_fee(service)) is not None:
            g.add(summary, CV.hasValue, Literal(str(amount), datatype=XSD.double))
        g.add(node, CV.hasCost, summary)
    for position, item in enumerate(items, start=1):
        cost = _a_cost(g, service, f"cost-{position}", "item")
        g.text(cost, DCTERMS.description, str(item.get("th", "")), str(item.get("en", "")))
        if item.get("amount") is not None:
            amount = Decimal(str(item["amount"])).quantize(Decimal("0.01"))
            g.add(cost, CV.hasValue, Literal(str(amount), datatype=XSD.double))
        g.add(node, CV.hasCost, cost)


def _channels(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """Where to apply: online on Biz Portal, in person at an office, on the agency's own
    e-service (its address as vcard:hasURL, the way CPSV-AP suggests for a channel with
    a homepage) or through the agency's channels."""
    for position, kind in enumerate(CHANNEL_TYPES.get(service.channel, ("online",))):
        channel = g.uris.part(service.slug, f"channel-{kind}")
        g.typed(channel, CV.Channel)
        g.identifier(channel, f"{service.slug}-{kind}")
        g.add(channel, DCTERMS.type, g.concept("channel-type", kind))
        if kind != "online":
            g.add(channel, CV.ownedBy, g.agency(service.agency))
        if kind == "website" and service.apply_url:
            g.add(channel, VCARD.hasURL, URIRef(service.apply_url))
        if position == 0:
            g.text(channel, DCTERMS.description, service.channel_note_th, service.channel_note_en)
        g.add(node, CV.hasChannel, channel)


def _output(g: CatalogueGraph, service: Service, node: URIRef) -> None:
    """What the service produces: the licence (its type, what it permits)."""
    if not (service.licence_title_th + service.licence_title_en).strip():
        return
    output = g.uris.part(service.slug, "output")
    g.typed(output, CV.Output)
    g.identifier(output, service.licence_prefix or f"{service.slug}-output")
    g.text(output, DCTERMS.title, service.licence_title_th, service.licence_title_en)
    g.text(output, DCTERMS.description, service.licence_permits_th, service.licence_permits_en)
    g.add(node, CPSV.produces, output)


#: The parts of a service's description, in order. A new catalogue field is one more
#: function here, and its reader one more in :data:`.harvest_records.PARTS`.
SERVICE_PARTS: list[ServicePart] = [
    _describe,
    _authority,
    _contact,
    _processing_time,
    _audience,
    _sectors,
    _events,
    _legal_basis,
    _eligibility,
    _documents,
    _cost,
    _channels,
    _output,
]


def catalogue_graph(services: Iterable[Service], modified: datetime | None) -> Graph:
    builder = CatalogueGraph()
    builder.catalogue(services, modified)
    return builder.graph


def service_graph(service: Service) -> Graph:
    builder = CatalogueGraph()
    builder.service(service)
    return builder.graph


def agency_graph(agency: Agency) -> Graph:
    builder = CatalogueGraph()
    builder.agency(agency)
    return builder.graph


#: What an event's document says of each service it groups: enough to be a valid
#: public service (the shapes check the link's target); the rest is at the service's URI.
BRIEF_PARTS: list[ServicePart] = [_describe, _authority]


def event_graph(stage: Category, services: Iterable[Service]) -> Graph:
    """A lifecycle stage's business event with the published services it groups (their
    agencies selected), each in brief."""
    builder = CatalogueGraph()
    node = builder.uris.event(stage.code)
    for service in services:
        service_node = builder.uris.service(service.slug)
        for part in BRIEF_PARTS:
            part(builder, service, service_node)
        builder.event(
            service_node,
            node,
            identifier=stage.code,
            title_th=stage.name_th,
            title_en=stage.name_en,
            description_th=stage.description_th,
            description_en=stage.description_en,
            kind=builder.category(stage),
        )
    if builder.first_time(node):  # a stage no published service is in yet
        builder.typed(node, CV.Event, CV.BusinessEvent)
        builder.identifier(node, stage.code)
        builder.text(node, DCTERMS.title, stage.name_th, stage.name_en)
        builder.add(node, DCTERMS.type, builder.category(stage))
    return builder.graph


#: Scheme name -> the kind of category it publishes.
CATEGORY_KINDS: dict[str, str] = {scheme.name: kind for kind, scheme in CATEGORY_SCHEMES.items()}


def vocabulary_graph(scheme: str, code: str | None = None) -> Graph | None:
    """One of our schemes with its concepts, or one concept of it; None if there is no
    such scheme or concept. Category schemes read their rows (one query)."""
    builder = CatalogueGraph()
    if scheme in SCHEMES:
        codes = [code] if code else list(SCHEMES[scheme].concepts)
        if not set(codes) <= set(SCHEMES[scheme].concepts):
            return None
        for notation in codes:
            builder.concept(scheme, notation)
        return builder.graph
    kind = CATEGORY_KINDS.get(scheme)
    if kind is None:
        return None
    rows = Category.objects.filter(kind=kind).select_related("parent")
    found = list(rows.filter(code=code) if code else rows)
    if not found:
        return None
    for category in found:
        builder.category(category)
    return builder.graph
