"""The application package over HTTP: its JSON Schema (open, so an agency's developers
can build against it) and, for the agency's officers, the package of one of its
applications exactly as the agency's system will receive it (to check a mapping)."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.applications import selectors as applications
from bizportal.core import audit, authz

from . import package
from .selectors import current_integration


class PackageSchemaView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = (AllowAny,)

    @extend_schema(
        responses={200: OpenApiResponse(description="the JSON Schema (2020-12) of the package")},
        tags=["integrations"],
    )
    def get(self, request: Request) -> JsonResponse:
        return JsonResponse(
            package.schema(),
            content_type="application/schema+json",
            json_dumps_params={"ensure_ascii": False, "indent": 2},
        )


class PackagePreviewView(audit.AuditedReadMixin, APIView):
    """The package of one of the agency's applications under the service's current
    integration settings (officers of the deciding agency only)."""

    audit_read_action = "integrations.package_viewed"
    audit_read_type = "applications.application"

    @extend_schema(
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="the application package (see the package's JSON Schema)",
            )
        },
        tags=["integrations"],
    )
    def get(self, request: Request, public_id: Any) -> Response:
        authz.require(request.user, "backoffice.worklist")
        application = applications.for_officer(request.user, public_id)
        integration = current_integration(application.service)
        if integration is None:
            raise NotFound(
                "บริการนี้พิจารณาในระบบหลังบ้านของพอร์ทัล ไม่มีการส่งต่อ / this service is "
                "decided in the portal's back office: nothing is forwarded"
            )
        audit.saw(request, [application])
        return Response(package.build(application, integration))


urlpatterns = [
    path(
        f"schemas/application-package/{package.SCHEMA_VERSION}/",
        PackageSchemaView.as_view(),
        name="integrations-package-schema",
    ),
    path(
        "applications/<uuid:public_id>/package/",
        PackagePreviewView.as_view(),
        name="integrations-package",
    ),
]
