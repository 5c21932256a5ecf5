"""The catalogue as linked data: DCAT-AP 3 / CPSV-AP 3.2, valid by the official shapes."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic

from bizportal.catalog import demo, rdf, services, shacl
from bizportal.catalog.models import Category, Service, ServiceCategory
from tests.factories import AgencyFactory, ServiceFactory

CV, CPSV = rdf.CV, rdf.CPSV
DCTERMS, RDF, SKOS = ns.DCTERMS, ns.RDF, ns.SKOS
# ns.DCAT and ns.XSD stay behind their module: pytest's collection probes the names of a
# test module, and these two warn about every unknown attribute.
STANDARDS = Path(settings.BASE_DIR).parents[1].parent / "shared" / "standards"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def catalogue(db) -> None:
    demo.seed()


def parse(response, media_type: str = rdf.TURTLE) -> Graph:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(media_type)
    return Graph().parse(data=response.content, format=rdf.FORMATS[media_type])


def uri(path: str) -> URIRef:
    return URIRef(settings.BASE_URL + path)


# --- conformance --------------------------------------------------------------------


def test_the_whole_catalogue_conforms_to_cpsv_ap_and_dcat_ap(client, catalogue) -> None:
    """Both official shape sets, inference off: 0 violations over the demo catalogue,
    with the exchange's data services in it."""
    from bizportal.exchange import demo as exchange_demo
    from bizportal.exchange.models import DataService

    exchange_demo.seed()
    graph = parse(client.get("/catalog.ttl"))
    assert len(set(graph.subjects(RDF.type, CPSV.PublicService))) == Service.objects.count()
    published = {str(n) for n in graph.subjects(RDF.type, ns.DCAT.DataService)}
    for code in DataService.objects.values_list("code", flat=True):
        assert str(uri(f"/catalog#exchange-{code}")) in published
    for files in (shacl.CPSV_AP_SHAPES, shacl.DCAT_AP_SHAPES):
        found = shacl.violations(graph, files)
        assert found == [], "\n".join(map(str, found))


def test_each_service_document_conforms_on_its_own(client, catalogue) -> None:
    for slug in Service.objects.values_list("slug", flat=True):
        graph = parse(client.get(f"/services/{slug}/", HTTP_ACCEPT=rdf.TURTLE))
        assert shacl.violations(graph) == [], slug


def test_a_broken_description_is_caught_by_the_shapes(client, catalogue) -> None:
    """The check can fail: a service without a title or authority, an untyped currency."""
    graph = parse(client.get("/catalog.ttl"))
    service = uri("/services/food-shop-licence/")
    graph.remove((service, DCTERMS.title, None))
    graph.remove((service, CV.hasCompetentAuthority, None))
    graph.remove((rdf.BAHT, RDF.type, SKOS.Concept))
    found = {(v.focus, v.path) for v in shacl.violations(graph)}
    assert (service, DCTERMS.title) in found
    assert (service, CV.hasCompetentAuthority) in found
    assert (uri("/services/commercial-registration/#cost"), CV.currency) in found


def test_business_events_are_typed_as_events_too() -> None:
    """The helper a lifecycle stage will use: cv:BusinessEvent and cv:Event, so the
    Event shape applies without inference (field notes)."""
    builder = rdf.CatalogueGraph()
    node = builder.uris.service("demo")
    builder.typed(node, CPSV.PublicService)
    builder.identifier(node, "demo")
    builder.text(node, DCTERMS.title, "บริการ", "Service")
    builder.text(node, DCTERMS.description, "บริการ", "Service")
    event = builder.event(
        node, uri("/catalog/events/start"), identifier="start", title_th="", title_en=""
    )
    messages = [str(v) for v in shacl.violations(builder.graph, shacl.CPSV_AP_SHAPES)]
    assert any(str(event) in m and "title" in m for m in messages)
    assert (event, RDF.type, CV.Event) in builder.graph
    assert (node, CV.isGroupedBy, event) in builder.graph


def test_the_shapes_in_the_package_are_the_official_files() -> None:
    if not STANDARDS.is_dir():
        pytest.skip("../shared/standards is not present (a user's clone)")
    pairs = {
        "cpsv-ap-SHACL.ttl": "cpsv-ap-3.2.0/cpsv-ap-SHACL.ttl",
        "dcat-ap-SHACL.ttl": "dcat-ap-3.0.1/dcat-ap-SHACL.ttl",
        "dcat-ap-ranges.ttl": "dcat-ap-3.0.1/ranges.ttl",
    }
    for ours, official in pairs.items():
        digest = hashlib.sha256((shacl.SHAPES_DIR / ours).read_bytes()).hexdigest()
        assert digest == hashlib.sha256((STANDARDS / official).read_bytes()).hexdigest()


def test_only_the_known_dangling_references_are_dropped_from_the_shapes() -> None:
    """SEMICeu/DCAT-AP#448: five sh:property links to undefined shapes; a new release
    with more would be noticed here."""
    from rdflib import Graph as G

    graph = G()
    for name in shacl.ALL_SHAPES:
        graph.parse(shacl.SHAPES_DIR / name)
    assert len(shacl.dangling_property_shapes(graph)) == 5
    assert shacl.dangling_property_shapes(shacl.shapes()) == []


# --- what the description says ------------------------------------------------------


def test_a_service_names_its_authority_costs_documents_channels_and_licence(
    client, catalogue
) -> None:
    graph = parse(client.get("/catalog.ttl"))
    service = uri("/services/commercial-registration/")
    agency = uri("/catalog/agencies/dbd")
    assert (service, CV.hasCompetentAuthority, agency) in graph
    assert (agency, RDF.type, CV.PublicOrganisation) in graph
    assert (agency, SKOS.prefLabel, Literal("กรมพัฒนาธุรกิจการค้า", lang="th")) in graph
    assert (service, CV.processingTime, Literal("P1D", datatype=ns.XSD.duration)) in graph

    costs = {str(c).rsplit("#", 1)[1]: c for c in graph.objects(service, CV.hasCost)}
    assert set(costs) == {"cost", "cost-1"}  # the fee in words, and its one line
    assert graph.value(costs["cost-1"], CV.hasValue).toPython() == 50
    assert graph.value(costs["cost"], CV.hasValue) is None  # each baht counted once
    assert (costs["cost"], DCTERMS.description, Literal("50 บาท", lang="th")) in graph
    for cost in costs.values():
        assert graph.value(cost, CV.currency) == rdf.BAHT
    assert (rdf.BAHT, RDF.type, SKOS.Concept) in graph

    inputs = set(graph.objects(service, CPSV.hasInput))
    codes = {str(graph.value(e, DCTERMS.identifier)) for e in inputs}
    assert codes == {"premises_map", "premises_consent"}
    requirements = set(graph.objects(service, CV.holdsRequirement))
    assert uri("/services/commercial-registration/#eligibility") in requirements
    supported = {graph.value(r, CV.hasSupportingEvidence) for r in requirements}
    assert inputs <= supported  # both documents are required (one only when rented)

    channel = graph.value(service, CV.hasChannel)
    assert (channel, RDF.type, CV.Channel) in graph
    output = graph.value(service, CPSV.produces)
    assert graph.value(output, DCTERMS.identifier) == Literal("DBD-CR")
    assert (output, DCTERMS.title, Literal("ใบอนุญาตขายสุรา", lang="th")) not in graph
    liquor_output = graph.value(uri("/services/liquor-sale-licence/"), CPSV.produces)
    assert (liquor_output, DCTERMS.title, Literal("ใบอนุญาตขายสุรา", lang="th")) in graph


def test_lifecycle_stages_are_business_events_grouping_their_services(client, catalogue) -> None:
    graph = parse(client.get("/catalog.ttl"))
    start = uri("/catalog/events/start")
    assert {(start, RDF.type, CV.BusinessEvent), (start, RDF.type, CV.Event)} <= set(graph)
    assert (start, DCTERMS.title, Literal("เริ่มต้นธุรกิจ", lang="th")) in graph
    assert graph.value(start, DCTERMS.identifier) == Literal("start")
    stage = graph.value(start, DCTERMS.type)
    assert stage == uri("/catalog/concepts/lifecycle/start")
    assert (stage, RDF.type, SKOS.Concept) in graph
    assert graph.value(stage, SKOS.inScheme) == uri("/catalog/concepts/lifecycle")
    in_db = Service.objects.filter(categories__kind="lifecycle", categories__code="start")
    related = set(graph.objects(start, CV.hasRelatedService))
    assert related == {uri(f"/services/{slug}/") for slug in in_db.values_list("slug", flat=True)}
    assert len(related) > 30
    for service in related:
        assert (service, CV.isGroupedBy, start) in graph
    events = set(graph.subjects(RDF.type, CV.BusinessEvent))
    assert events == {uri(f"/catalog/events/{s}") for s in ("start", "operate", "change", "close")}


def test_target_groups_and_tsic_industries_are_concepts_of_their_schemes(client, catalogue) -> None:
    graph = parse(client.get("/catalog.ttl"))
    food = uri("/services/food-shop-licence/")
    audiences = set(graph.objects(food, DCTERMS.audience))
    groups = {a for a in audiences if "/target-group/" in str(a)}
    assert groups == {
        uri(f"/catalog/concepts/target-group/{code}")
        for code in ("individual", "sme", "foreign-investor")
    }
    for group in groups:
        assert (group, RDF.type, SKOS.Concept) in graph
        assert graph.value(group, SKOS.inScheme) == uri("/catalog/concepts/target-group")
    restaurants = uri("/catalog/concepts/tsic/56")
    assert set(graph.objects(food, CV.sector)) == {restaurants}
    assert (restaurants, SKOS.notation, Literal("56")) in graph
    section = graph.value(restaurants, SKOS.broader)
    assert section == uri("/catalog/concepts/tsic/I")
    assert (section, RDF.type, SKOS.Concept) in graph
    assert graph.value(section, SKOS.inScheme) == uri("/catalog/concepts/tsic")
    assert (uri("/catalog/concepts/tsic"), RDF.type, SKOS.ConceptScheme) in graph
    # A service every business may need is filed under no industry.
    assert graph.value(uri("/services/company-registration/"), CV.sector) is None
    kind = graph.value(uri("/services/company-registration/"), DCTERMS.type)
    assert kind == uri("/catalog/concepts/service-kind/registration")


def test_legal_basis_criteria_and_the_service_contact_point(client, catalogue) -> None:
    laws = [
        {
            "th": "พระราชบัญญัติการสาธารณสุข พ.ศ. 2535",
            "en": "Public Health Act B.E. 2535",
            "url": "https://www.ratchakitcha.soc.go.th/example.pdf",
        },
        {"th": "ข้อบัญญัติกรุงเทพมหานคร", "en": "Bangkok ordinance"},
    ]
    services.upsert_service("food-shop-licence", legal_basis=laws)
    graph = parse(client.get("/services/food-shop-licence.ttl"))
    service = uri("/services/food-shop-licence/")
    first, second = (
        uri("/services/food-shop-licence/#legal-1"),
        uri("/services/food-shop-licence/#legal-2"),
    )
    assert set(graph.objects(service, CV.hasLegalResource)) == {first, second}
    assert (first, RDF.type, rdf.ELI.LegalResource) in graph
    assert (first, DCTERMS.title, Literal("Public Health Act B.E. 2535", lang="en")) in graph
    page = URIRef("https://www.ratchakitcha.soc.go.th/example.pdf")
    assert graph.value(first, ns.FOAF.page) == page and (page, RDF.type, ns.FOAF.Document) in graph
    assert graph.value(second, ns.FOAF.page) is None

    criteria = uri("/services/food-shop-licence/#criteria")
    assert (service, CV.holdsRequirement, criteria) in graph
    assert graph.value(criteria, DCTERMS.type) == uri("/catalog/concepts/requirement-type/criteria")
    assert "200 m²" in " ".join(map(str, graph.objects(criteria, DCTERMS.description)))

    contact = graph.value(service, CV.contactPoint)
    assert contact == uri("/services/food-shop-licence/#contact")
    agency = uri("/catalog/agencies/bma")
    assert graph.value(agency, CV.contactPoint) == uri("/catalog/agencies/bma#contact")
    assert (contact, RDF.type, CV.ContactPoint) in graph
    assert graph.value(contact, CV.telephone) == Literal("1555")
    assert "district office" in " ".join(map(str, graph.objects(contact, DCTERMS.title)))
    address = graph.value(contact, rdf.LOCN.address)
    assert (address, RDF.type, rdf.LOCN.Address) in graph
    assert "50 district offices" in " ".join(map(str, graph.objects(address, rdf.LOCN.fullAddress)))
    hours = graph.value(contact, CV.openingHours)
    assert (hours, RDF.type, ns.TIME.TemporalEntity) in graph
    assert "08:30" in " ".join(map(str, graph.objects(hours, DCTERMS.description)))
    assert shacl.violations(graph) == []


def test_the_agency_e_service_and_the_counter_are_channels(client, catalogue) -> None:
    graph = parse(client.get("/catalog.ttl"))
    online = uri("/services/company-registration/#channel-website")
    assert set(graph.objects(uri("/services/company-registration/"), CV.hasChannel)) == {online}
    assert graph.value(online, DCTERMS.type) == uri("/catalog/concepts/channel-type/website")
    assert graph.value(online, rdf.VCARD.hasURL) == URIRef("https://www.dbd.go.th")
    assert graph.value(online, CV.ownedBy) == uri("/catalog/agencies/dbd")
    counter = uri("/services/pharmacy-licence/#channel-office")
    assert set(graph.objects(uri("/services/pharmacy-licence/"), CV.hasChannel)) == {counter}
    assert graph.value(counter, DCTERMS.type) == uri("/catalog/concepts/channel-type/office")
    assert graph.value(counter, rdf.VCARD.hasURL) is None
    assert graph.value(counter, CV.ownedBy) is not None
    office = uri("/catalog/concepts/channel-type/office")
    assert (office, SKOS.prefLabel, Literal("In person at an office", lang="en")) in graph


def test_a_fee_range_stays_text_without_a_value(client, catalogue) -> None:
    graph = parse(client.get("/catalog.ttl"))
    service = uri("/services/food-shop-licence/")
    costs = set(graph.objects(service, CV.hasCost))
    assert costs == {
        uri("/services/food-shop-licence/#cost"),
        uri("/services/food-shop-licence/#cost-1"),
    }
    assert all(graph.value(cost, CV.hasValue) is None for cost in costs)  # amount varies
    assert "500–2,000" in str(
        graph.value(uri("/services/food-shop-licence/#cost"), DCTERMS.description)
    )


def test_without_fee_lines_the_fee_text_is_the_one_cost(client, catalogue) -> None:
    """The text-only case: a single stated amount in the fee text is its value."""
    services.upsert_service("commercial-registration", fee_items=[])
    graph = parse(client.get("/services/commercial-registration.ttl"))
    cost = uri("/services/commercial-registration/#cost")
    assert set(graph.objects(uri("/services/commercial-registration/"), CV.hasCost)) == {cost}
    assert graph.value(cost, CV.hasValue).toPython() == 50
    assert shacl.violations(graph) == []


@pytest.mark.parametrize(
    ("th", "en", "amount"),
    [
        ("50 บาท", "THB 50", Decimal(50)),
        ("1,100 บาท", "THB 1,100", Decimal(1100)),
        ("500–2,000 บาท ต่อปี", "THB 500–2,000 a year", None),
        ("ไม่มีค่าธรรมเนียม", "Free", None),
        ("50 บาท", "THB 60", None),
    ],
)
def test_only_a_single_stated_amount_becomes_a_value(th, en, amount) -> None:
    assert rdf.fixed_fee(Service(fee_display_th=th, fee_display_en=en)) == amount


def test_every_api_is_a_data_service_described_by_the_openapi_document(client, catalogue) -> None:
    graph = parse(client.get("/catalog.ttl"))
    catalogue_node = uri("/catalog")
    endpoints = set()
    for data_service in graph.objects(catalogue_node, ns.DCAT.service):
        assert graph.value(data_service, ns.DCAT.endpointDescription) == uri("/api/schema/")
        endpoints.add(str(graph.value(data_service, ns.DCAT.endpointURL)))
    v1 = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    assert isinstance(v1, URLResolver)
    mounted = {f"{settings.BASE_URL}/api/v1/{p.pattern}" for p in v1.url_patterns}
    assert endpoints == mounted
    assert client.get("/api/schema/").status_code == 200
    catalogue_api = uri("/catalog#api-catalog")
    assert graph.value(catalogue_api, ns.DCAT.servesDataset) == uri("/catalog#services")


# --- HTTP: content negotiation, formats, caching ------------------------------------


def test_the_service_page_answers_rdf_when_asked_and_html_by_default(client, catalogue) -> None:
    path = "/services/food-shop-licence/"
    page = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert page["Content-Type"].startswith("text/html")
    assert "Accept" in page["Vary"]
    assert 'type="text/turtle" href="/services/food-shop-licence.ttl"' in page.content.decode()
    assert client.get(path)["Content-Type"].startswith("text/html")  # no Accept at all

    turtle = client.get(path, HTTP_ACCEPT="text/turtle")
    assert "Accept" in turtle["Vary"]
    graph = parse(turtle)
    assert (uri(path), RDF.type, CPSV.PublicService) in graph
    assert len(set(graph.subjects(RDF.type, CPSV.PublicService))) == 1

    jsonld = client.get(path, HTTP_ACCEPT="application/ld+json, text/html;q=0.5")
    assert isomorphic(parse(jsonld, rdf.JSONLD), graph)
    assert isomorphic(parse(client.get("/services/food-shop-licence.ttl")), graph)


def test_an_unpublished_service_has_no_description(client, catalogue) -> None:
    Service.objects.filter(slug="food-shop-licence").update(is_published=False)
    assert client.get("/services/food-shop-licence/", HTTP_ACCEPT=rdf.TURTLE).status_code == 404
    assert client.get("/services/food-shop-licence.jsonld").status_code == 404
    graph = parse(client.get("/catalog.ttl"))
    assert (uri("/services/food-shop-licence/"), RDF.type, CPSV.PublicService) not in graph


def test_json_ld_and_turtle_are_the_same_graph(client, catalogue) -> None:
    turtle = parse(client.get("/catalog.ttl"))
    jsonld = parse(client.get("/catalog.jsonld"), rdf.JSONLD)
    assert len(turtle) > 500
    assert isomorphic(turtle, jsonld)
    assert json.loads(client.get("/catalog.jsonld").content)["@context"]["cv"] == str(CV)


def test_the_catalogue_is_built_in_a_constant_number_of_queries(
    client, catalogue, django_assert_max_num_queries
) -> None:
    """State (1), services with agencies (1), documents (1), categories with their TSIC
    sections (1), the exchange's data services (1), the open-data datasets with their
    agencies (1), whatever the size."""
    with django_assert_max_num_queries(6):
        small = client.get("/catalog.ttl")
    agency = AgencyFactory(code="many")
    categories = list(Category.objects.filter(code__in=["operate", "sme", "56", "I"]))
    for n in range(30):
        service = ServiceFactory(agency=agency, slug=f"many-{n}")
        ServiceCategory.objects.bulk_create(
            ServiceCategory(service=service, category=c) for c in categories
        )
    with django_assert_max_num_queries(6):
        large = client.get("/catalog.jsonld")
    assert len(parse(large, rdf.JSONLD)) > len(parse(small)) + 30 * 20


def test_an_unchanged_catalogue_answers_304_and_a_change_gives_a_new_etag(
    client, catalogue, django_assert_max_num_queries
) -> None:
    first = client.get("/catalog.ttl")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    with django_assert_max_num_queries(1):
        assert client.get("/catalog.ttl", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/catalog.ttl", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    with django_assert_max_num_queries(1):  # built once per change: the cache serves it
        assert client.get("/catalog.ttl").content == first.content

    services.upsert_service("tour-business-licence", name_en="Tour business licence (new)")
    second = client.get("/catalog.ttl", HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 200
    assert second["ETag"] != etag
    assert b"Tour business licence (new)" in second.content

    assert first["Cache-Control"] == "public, max-age=300"
    page = client.get("/services/tour-business-licence/", HTTP_ACCEPT=rdf.TURTLE)
    again = client.get(
        "/services/tour-business-licence/", HTTP_ACCEPT=rdf.TURTLE, HTTP_IF_NONE_MATCH=page["ETag"]
    )
    assert again.status_code == 304


def test_a_renamed_category_gives_the_catalogue_a_new_etag(client, catalogue) -> None:
    """Its name is in every service that points at it: the documents must change too."""
    first = client.get("/catalog.ttl")
    page = client.get("/services/food-shop-licence.ttl")
    restaurants = Category.objects.get(kind="industry", code="56")
    restaurants.name_en = "Restaurants and other places serving food"
    restaurants.save()
    again = client.get("/catalog.ttl", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert b"Restaurants and other places serving food" in again.content
    fresh = client.get("/services/food-shop-licence.ttl", HTTP_IF_NONE_MATCH=page["ETag"])
    assert fresh.status_code == 200


def test_the_catalogue_and_agency_uris_dereference(client, catalogue) -> None:
    turtle = client.get("/catalog", HTTP_ACCEPT="text/turtle")
    assert (turtle.status_code, turtle["Location"]) == (303, "/catalog.ttl")
    assert client.get("/catalog", HTTP_ACCEPT=BROWSER_ACCEPT)["Location"] == "/services/"

    graph = parse(
        client.get("/catalog/agencies/excise", HTTP_ACCEPT="application/ld+json"), rdf.JSONLD
    )
    agency = uri("/catalog/agencies/excise")
    assert (agency, RDF.type, CV.PublicOrganisation) in graph
    assert shacl.violations(graph) == []
    page = client.get("/catalog/agencies/excise", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert (page.status_code, page["Location"]) == (303, "/services/?agency=excise")
    assert client.get("/catalog/agencies/nobody", HTTP_ACCEPT=rdf.TURTLE).status_code == 404
    assert client.get("/catalog.xml").status_code == 404


def test_event_and_concept_uris_dereference(
    client, catalogue, django_assert_max_num_queries
) -> None:
    """A stage's event, a category concept and our schemes answer RDF by Accept (valid
    by the shapes) and send people to the browse pages."""
    with django_assert_max_num_queries(3):
        response = client.get("/catalog/events/close", HTTP_ACCEPT=rdf.TURTLE)
    graph = parse(response)
    event = uri("/catalog/events/close")
    closing = Service.objects.filter(categories__kind="lifecycle", categories__code="close")
    assert set(graph.objects(event, CV.hasRelatedService)) == {
        uri(f"/services/{slug}/") for slug in closing.values_list("slug", flat=True)
    }
    assert (event, RDF.type, CV.BusinessEvent) in graph
    assert shacl.violations(graph) == []
    page = client.get("/catalog/events/close", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert (page.status_code, page["Location"]) == (303, "/browse/lifecycle/close/")
    assert "Accept" in page["Vary"]
    again = client.get(
        "/catalog/events/close", HTTP_ACCEPT=rdf.TURTLE, HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304
    assert client.get("/catalog/events/grow", HTTP_ACCEPT=rdf.TURTLE).status_code == 404

    division = parse(client.get("/catalog/concepts/tsic/56", HTTP_ACCEPT=rdf.JSONLD), rdf.JSONLD)
    assert (
        uri("/catalog/concepts/tsic/56"),
        SKOS.broader,
        uri("/catalog/concepts/tsic/I"),
    ) in division
    assert shacl.violations(division) == []
    tsic = parse(client.get("/catalog/concepts/tsic", HTTP_ACCEPT=rdf.TURTLE))
    assert (
        len(set(tsic.subjects(SKOS.inScheme, uri("/catalog/concepts/tsic"))))
        == Category.objects.filter(kind="industry").count()
    )
    channels = parse(client.get("/catalog/concepts/channel-type", HTTP_ACCEPT=rdf.TURTLE))
    assert set(channels.objects(None, SKOS.notation)) == {
        Literal(n) for n in rdf.SCHEMES["channel-type"].concepts
    }
    assert (
        client.get("/catalog/concepts/tsic/56", HTTP_ACCEPT=BROWSER_ACCEPT)["Location"]
        == "/browse/industry/56/"
    )
    assert (
        client.get("/catalog/concepts/target-group", HTTP_ACCEPT=BROWSER_ACCEPT)["Location"]
        == "/browse/"
    )
    for missing in (
        "/catalog/concepts/tsic/04",
        "/catalog/concepts/nothing",
        "/catalog/concepts/channel-type/fax",
    ):
        assert client.get(missing, HTTP_ACCEPT=rdf.TURTLE).status_code == 404, missing


def test_a_signed_in_request_is_not_stored_by_shared_caches(client, catalogue) -> None:
    """Its answer may carry a refreshed session cookie."""
    from tests.factories import ApplicantFactory

    client.force_login(ApplicantFactory())
    response = client.get("/services/food-shop-licence/", HTTP_ACCEPT=rdf.TURTLE)
    assert response["Cache-Control"] == "private, max-age=300"
