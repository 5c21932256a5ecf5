"""The agency API: what an agency's own system calls (OAuth2 client credentials).

``integrations:read`` lists and reads the applications forwarded to the calling system
(never another system's: anything else is 404), ``integrations:decide`` posts status
updates and decisions, ``integrations:batch`` downloads daily batches and uploads
results files. Every read of personal data and every update is in the audit trail
under the system's name; errors are problem+json.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse, HttpResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.applications.downloads import serve_attachment
from bizportal.core import audit
from bizportal.core.pagination import CheckedCursorPagination
from bizportal.core.problems import PROBLEM_CONTENT_TYPE, problem
from bizportal.exchange.models import AgencySystem
from bizportal.exchange.tokens import system_of

from . import batches, forwarding
from .models import Batch, Forwarding, ForwardingState, StatusUpdate

MAX_RESULTS_BYTES = 5 * 1024 * 1024


def actor(system: AgencySystem) -> str:
    return f"{system.code} (agency system)"


class AgencyView(APIView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasScope]
    required_scopes: ClassVar[list[str]] = ["integrations:read"]


def refused(error: forwarding.UpdateRefused) -> Response:
    body = problem(error.status, str(error), type_=f"integrations-{error.code}")
    body["code"] = error.code
    return Response(body, status=error.status, content_type=PROBLEM_CONTENT_TYPE)


class ForwardedSerializer(serializers.Serializer):
    application_id = serializers.UUIDField(source="application.public_id")
    reference = serializers.CharField(source="application.reference")
    service = serializers.CharField(source="integration.service.slug")
    forwarding_id = serializers.UUIDField(source="public_id")
    mode = serializers.CharField()
    state = serializers.CharField()
    forwarded_at = serializers.DateTimeField(source="created_at")
    delivered_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.CharField()
    agency_status = serializers.CharField()
    batch_id = serializers.UUIDField(source="batch.public_id", allow_null=True, default=None)


class UpdateSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    type = serializers.CharField()  # type: ignore[assignment]
    outcome = serializers.CharField()
    body = serializers.JSONField()
    channel = serializers.CharField(source="source")
    received_at = serializers.DateTimeField()


class NewestFirst(CheckedCursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class ForwardedList(AgencyView):
    @extend_schema(
        parameters=[
            OpenApiParameter("state", enum=ForwardingState.values, required=False),
            OpenApiParameter("cursor", str, required=False),
        ],
        responses=ForwardedSerializer(many=True),
        tags=["agency systems"],
    )
    def get(self, request: Request) -> Response:
        system = system_of(request)
        rows = Forwarding.objects.filter(agency_system=system).select_related(
            "application", "integration__service", "batch"
        )
        state = request.query_params.get("state")
        if state:
            if state not in ForwardingState.values:
                raise NotFound(f"no state {state!r}")
            rows = rows.filter(state=state)
        paginator = NewestFirst()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ForwardedSerializer(page, many=True).data)


def newest_forwarding(system: AgencySystem, application_id: Any) -> Forwarding:
    row = (
        Forwarding.objects.filter(agency_system=system, application__public_id=application_id)
        .select_related("application", "integration__service", "batch")
        .order_by("-created_at", "-pk")
        .first()
    )
    if row is None:
        raise NotFound(_("no application with this id was forwarded to your system"))
    return row


class ForwardedDetail(AgencyView):
    @extend_schema(
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="the forwarding, its package and the updates received so far",
            )
        },
        tags=["agency systems"],
    )
    def get(self, request: Request, application_id: Any) -> Response:
        system = system_of(request)
        row = newest_forwarding(system, application_id)
        audit.record(
            "integrations.package_read",
            row.application,
            actor_label=actor(system),
            forwarding=str(row.public_id),
        )
        updates = StatusUpdate.objects.filter(application=row.application)
        return Response(
            {
                **ForwardedSerializer(row).data,
                "package": row.package,
                "updates": UpdateSerializer(updates, many=True).data,
            }
        )


class ForwardedDocument(AgencyView):
    @extend_schema(responses={200: OpenApiTypes.BINARY}, tags=["agency systems"])
    def get(self, request: Request, application_id: Any, document_id: Any) -> FileResponse:
        system = system_of(request)
        row = newest_forwarding(system, application_id)
        try:
            attachment = forwarding.travelling_document(row, str(document_id))
        except LookupError as error:
            raise NotFound(str(error)) from None
        return serve_attachment(request, attachment, actor_label=actor(system))


class ForwardedUpdates(AgencyView):
    required_scopes: ClassVar[list[str]] = ["integrations:decide"]
    parser_classes = [JSONParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="sequence, type, outcome (applied|duplicate|stale), status",
            ),
            400: OpenApiResponse(description="a malformed update"),
            404: OpenApiResponse(description="not forwarded to this system"),
            409: OpenApiResponse(description="not allowed in the current step; sequence reused"),
        },
        tags=["agency systems"],
    )
    def post(self, request: Request, application_id: Any) -> Response:
        system = system_of(request)
        try:
            result = forwarding.apply_update(system, application_id, request.data)
        except forwarding.UpdateRefused as error:
            return refused(error)
        return Response(result.as_dict())


# --- batches ------------------------------------------------------------------------------


class BatchSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField(source="public_id")
    day = serializers.DateField()
    count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    downloaded_at = serializers.DateTimeField(allow_null=True)


class BatchView(AgencyView):
    required_scopes: ClassVar[list[str]] = ["integrations:batch"]

    def batch(self, request: Request, batch_id: Any) -> Batch:
        system = system_of(request)
        found = (
            Batch.objects.select_related("agency_system")
            .filter(agency_system=system, public_id=batch_id)
            .first()
        )
        if found is None:
            raise NotFound(_("no such batch for your system"))
        return found


class BatchList(BatchView):
    @extend_schema(responses=BatchSerializer(many=True), tags=["agency systems"])
    def get(self, request: Request) -> Response:
        system = system_of(request)
        rows = Batch.objects.filter(agency_system=system).order_by("-day")[:100]
        return Response({"results": BatchSerializer(rows, many=True).data})


class BatchManifest(BatchView):
    @extend_schema(
        operation_id="agency_batch_manifest",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="the manifest")},
        tags=["agency systems"],
    )
    def get(self, request: Request, batch_id: Any) -> Response:
        return Response(self.batch(request, batch_id).manifest)


class BatchFile(BatchView):
    @extend_schema(
        operation_id="agency_batch_file",
        responses={200: OpenApiTypes.BINARY},
        tags=["agency systems"],
    )
    def get(self, request: Request, batch_id: Any, name: str) -> HttpResponse:
        batch = self.batch(request, batch_id)
        text, content_type = {
            "items.jsonl": (batch.items_jsonl, "application/x-ndjson"),
            "items.csv": (batch.items_csv, "text/csv"),
        }[name]
        batches.mark_downloaded(batch)
        audit.record(
            "integrations.batch_file_read",
            batch,
            actor_label=actor(batch.agency_system),
            file=name,
            count=batch.count,
        )
        response = HttpResponse(text.encode(), content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{batch.day}-{name}"'
        return response


class RawBody(BaseParser):
    """The results file as bytes (CSV or JSON Lines): parsed row by row by the service."""

    media_type = "*/*"

    def parse(  # type: ignore[override]
        self, stream: Any, media_type: Any = None, parser_context: Any = None
    ) -> bytes:
        return stream.read(MAX_RESULTS_BYTES + 1) if stream is not None else b""


class BatchResults(BatchView):
    parser_classes = [RawBody]

    @extend_schema(
        request={"text/csv": OpenApiTypes.BINARY, "application/x-ndjson": OpenApiTypes.BINARY},
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="the per-row report"),
            400: OpenApiResponse(description="the file cannot be read as a whole"),
        },
        tags=["agency systems"],
    )
    def post(self, request: Request, batch_id: Any) -> Response:
        batch = self.batch(request, batch_id)
        content: bytes = request.data if isinstance(request.data, bytes) else b""
        if len(content) > MAX_RESULTS_BYTES:
            return Response(
                problem(413, _("the file is over %(size)s bytes") % {"size": MAX_RESULTS_BYTES}),
                status=413,
                content_type=PROBLEM_CONTENT_TYPE,
            )
        try:
            report = batches.apply_results(batch, content, request.content_type or "text/csv")
        except batches.ResultsFileError as error:
            return Response(
                problem(400, str(error), type_="integrations-results-file"),
                status=400,
                content_type=PROBLEM_CONTENT_TYPE,
            )
        return Response({"batch_id": str(batch.public_id), "rows": report})


urlpatterns = [
    path("applications/", ForwardedList.as_view(), name="integrations-agency-applications"),
    path(
        "applications/<uuid:application_id>/",
        ForwardedDetail.as_view(),
        name="integrations-agency-application",
    ),
    path(
        "applications/<uuid:application_id>/documents/<uuid:document_id>/",
        ForwardedDocument.as_view(),
        name="integrations-agency-document",
    ),
    path(
        "applications/<uuid:application_id>/updates/",
        ForwardedUpdates.as_view(),
        name="integrations-agency-updates",
    ),
    path("batches/", BatchList.as_view(), name="integrations-agency-batches"),
    path("batches/<uuid:batch_id>/", BatchManifest.as_view(), name="integrations-agency-batch"),
    path(
        "batches/<uuid:batch_id>/results/",
        BatchResults.as_view(),
        name="integrations-agency-batch-results",
    ),
    re_path(
        r"^batches/(?P<batch_id>[0-9a-f-]{36})/(?P<name>items\.jsonl|items\.csv)$",
        BatchFile.as_view(),
        name="integrations-agency-batch-file",
    ),
]
