"""The exchange's data services in the published DCAT-AP catalogue.

Each active data service is a ``dcat:DataService`` of the portal's catalogue, published
by its provider agency, with the gateway address an agency system calls
(``/api/v1/exchange/<code>/``) and the OpenAPI document that describes it: a system
discovers what it may ask for the way it discovers our other APIs.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rdflib import URIRef
from rdflib.namespace import DCAT, DCTERMS

from bizportal.catalog.rdf import CatalogueGraph, contributions

from .models import DataService


@contributions.register("exchange")
class ExchangeDataServices:
    def newest(self) -> QuerySet[DataService]:
        """A data service switched off, renamed or given new fields moves the ETag."""
        return DataService.objects.order_by("-updated_at")

    def add_to(self, graph: CatalogueGraph, catalogue: URIRef) -> None:
        base = graph.uris.base
        published = DataService.objects.filter(is_active=True).select_related("provider")
        for service in published:
            node = URIRef(f"{base}/catalog#exchange-{service.code}")
            graph.typed(node, DCAT.DataService)
            graph.identifier(node, f"exchange/{service.code}")
            graph.text(node, DCTERMS.title, service.name_th, service.name_en)
            graph.text(
                node,
                DCTERMS.description,
                _description(service.description_th, service.name_th, service.legal_basis_th),
                _description(service.description_en, service.name_en, service.legal_basis_en),
            )
            graph.add(
                node, DCAT.endpointURL, graph.resource(f"{base}/api/v1/exchange/{service.code}/")
            )
            graph.add(
                node,
                DCAT.endpointDescription,
                graph.resource(service.openapi_url or f"{base}/api/schema/"),
            )
            graph.add(node, DCTERMS.publisher, graph.agency(service.provider))
            graph.add(catalogue, DCAT.service, node)


def _description(text: str, name: str, legal_basis: str) -> str:
    """What the service holds and under which law: through the exchange only, on a
    mission or a consent."""
    parts = [text or name]
    if legal_basis:
        parts.append(legal_basis)
    return " · ".join(parts)
