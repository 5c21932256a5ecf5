"""Linked-data documents: the catalogue, one service, one agency.

Why conditional GET and a cache: harvesters poll catalogues, mostly to hear that
nothing changed. The ETag and Last-Modified come from one aggregate query (the newest
service or agency change), so an unchanged catalogue answers 304 without being built,
and a changed one is built once per change and format, then served from the cache.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from rdflib import Graph

from bizportal.core.db import reporting_db

from . import rdf
from .models import Agency, Category, Service

HTML = "text/html"
#: How long a client or proxy may reuse a document without asking again.
MAX_AGE_SECONDS = 300
#: How long a built catalogue stays in the cache; its key changes with the catalogue.
CACHE_SECONDS = 3600


def preferred_rdf_type(request: HttpRequest) -> str | None:
    """The RDF media type the client prefers to HTML, if any (HTML wins ties)."""
    wanted = request.get_preferred_type([HTML, rdf.TURTLE, rdf.JSONLD])
    return wanted if wanted in rdf.FORMATS else None


def rdf_response(
    request: HttpRequest,
    media_type: str,
    state: rdf.CatalogueState,
    build: Callable[[], Graph],
    *,
    cache_key: str | None = None,
) -> HttpResponse:
    """``build()``'s graph as ``media_type``, or 304 when the client has this version."""
    last_modified = int(state.last_modified.timestamp()) if state.last_modified else None
    response = get_conditional_response(request, etag=state.etag, last_modified=last_modified)
    if response is None:
        body = cache.get(cache_key) if cache_key else None
        if body is None:
            body = rdf.serialize(build(), media_type)
            if cache_key:
                cache.set(cache_key, body, CACHE_SECONDS)
        response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    response["ETag"] = state.etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Shared caches may keep what anonymous clients get; a signed-in request's answer can
    # carry a refreshed session cookie, which no shared cache may keep.
    signed_in = getattr(getattr(request, "user", None), "is_authenticated", False)
    scope = "private" if signed_in else "public"
    response["Cache-Control"] = f"{scope}, max-age={MAX_AGE_SECONDS}"
    return response


@require_safe
def catalogue_document(request: HttpRequest, extension: str) -> HttpResponse:
    """``/catalog.ttl`` and ``/catalog.jsonld``: every published service and public API."""
    media_type = rdf.EXTENSIONS.get(extension)
    if media_type is None:
        raise Http404
    database = reporting_db()
    state = rdf.catalogue_state(database)
    return rdf_response(
        request,
        media_type,
        state,
        lambda: rdf.catalogue_graph(rdf.published_services(database), state.last_modified),
        cache_key=f"catalog-rdf:{extension}:{state.etag}",
    )


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    """The catalogue's URI: its RDF for linked-data clients, the service list for people."""
    media_type = preferred_rdf_type(request)
    extension = {rdf.TURTLE: "ttl", rdf.JSONLD: "jsonld"}.get(media_type or "")
    response = HttpResponseRedirect(f"/catalog.{extension}" if extension else "/services/")
    response.status_code = 303
    patch_vary_headers(response, ["Accept"])
    return response


def service_document(request: HttpRequest, service: Service, media_type: str) -> HttpResponse:
    """One service's description (the service page answers with it on request)."""
    # The service page loads the row only; its documents and categories come in two
    # queries here rather than one per category.
    if "categories" not in getattr(service, "_prefetched_objects_cache", {}):
        prefetch_related_objects([service], *rdf.DESCRIPTION_PREFETCH)
    return rdf_response(
        request, media_type, rdf.service_state(service), lambda: rdf.service_graph(service)
    )


@require_safe
def service_file(request: HttpRequest, slug: str, extension: str) -> HttpResponse:
    """``/services/<slug>.ttl`` and ``.jsonld``: the same, for a link or a browser."""
    media_type = rdf.EXTENSIONS.get(extension)
    if media_type is None:
        raise Http404
    service = get_object_or_404(
        rdf.with_description(Service.objects.all()), slug=slug, is_published=True
    )
    return service_document(request, service, media_type)


@require_safe
def agency(request: HttpRequest, code: str) -> HttpResponse:
    """An agency's URI: its description as RDF, or its services for people."""
    found = get_object_or_404(Agency, code=code)
    media_type = preferred_rdf_type(request)
    if media_type is None:
        response: HttpResponse = HttpResponseRedirect(f"/services/?agency={found.code}")
        response.status_code = 303
    else:
        state = rdf.CatalogueState(1, found.updated_at, rdf.agency_etag(found))
        response = rdf_response(request, media_type, state, lambda: rdf.agency_graph(found))
    patch_vary_headers(response, ["Accept"])
    return response


def _see_other(location: str) -> HttpResponse:
    response = HttpResponseRedirect(location)
    response.status_code = 303
    return response


def _state_of(request: HttpRequest, database: str | None) -> rdf.CatalogueState:
    """Events and concepts change with the catalogue (its services, its categories):
    their validators follow it, one query, distinct per URI."""
    state = rdf.catalogue_state(database)
    return rdf.CatalogueState(
        state.published, state.last_modified, rdf.document_etag(request.path, state.etag)
    )


@require_safe
def event(request: HttpRequest, stage: str) -> HttpResponse:
    """A lifecycle stage's URI: its business event as RDF, or its browse page."""
    found = get_object_or_404(Category, kind=Category.Kind.LIFECYCLE, code=stage)
    media_type = preferred_rdf_type(request)
    if media_type is None:
        response = _see_other(f"/browse/lifecycle/{found.code}/")
    else:
        database = reporting_db()
        services = (
            Service.objects.using(database)
            .filter(is_published=True, categories=found)
            .select_related("agency")
            .order_by("slug")
        )
        response = rdf_response(
            request,
            media_type,
            _state_of(request, database),
            lambda: rdf.event_graph(found, services),
        )
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
def vocabulary(request: HttpRequest, scheme: str, code: str | None = None) -> HttpResponse:
    """Our concept schemes and concepts: RDF by ``Accept``; people go to the browse page
    of a category, or to the catalogue."""
    kind = rdf.CATEGORY_KINDS.get(scheme)
    media_type = preferred_rdf_type(request)
    graph = rdf.vocabulary_graph(scheme, code)
    if graph is None:
        raise Http404
    if media_type is None:
        browse = f"/browse/{kind}/{code}/" if code else "/browse/"
        response = _see_other(browse if kind else "/services/")
    else:
        state = _state_of(request, None)
        response = rdf_response(request, media_type, state, lambda: graph)
    patch_vary_headers(response, ["Accept"])
    return response
