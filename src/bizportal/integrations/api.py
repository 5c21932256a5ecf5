"""The application package over HTTP: its JSON Schema (open, so an agency's developers
can build against it) and, for the agency's officers, the package of one of its
applications exactly as the agency's system will receive it (to check a mapping)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.applications import selectors as applications
from bizportal.applications.downloads import serve_attachment
from bizportal.core import audit, authz

from . import forwarding, package, signing
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
                _("this service is decided in the portal's back office: nothing is forwarded")
            )
        audit.saw(request, [application])
        return Response(package.build(application, integration))


class SigningKeysView(APIView):
    """The public keys forwarded applications are signed with (JWKS), for agencies to
    verify the HTTP Message Signature of every request they receive."""

    authentication_classes: list[Any] = []
    permission_classes = (AllowAny,)

    @extend_schema(
        responses={
            (200, "application/jwk-set+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="a JSON Web Key Set"
            )
        },
        tags=["integrations"],
    )
    def get(self, request: Request) -> JsonResponse:
        return JsonResponse(signing.jwks(), content_type="application/jwk-set+json")


class DocumentLinkView(APIView):
    """A travelling document through the short-lived link in a forwarded package: the
    link is the credential (signed, expiring); every fetch is audited."""

    authentication_classes: list[Any] = []
    permission_classes = (AllowAny,)

    @extend_schema(
        responses={200: OpenApiTypes.BINARY, 404: OpenApiResponse(description="bad or expired")},
        tags=["integrations"],
    )
    def get(self, request: Request, token: str) -> FileResponse:
        try:
            row, attachment = forwarding.linked_document(token)
        except LookupError:
            raise NotFound(_("the link is not valid or has expired")) from None
        return serve_attachment(
            request, attachment, actor_label=f"{row.agency_system.code} (agency system, link)"
        )


urlpatterns = [
    path("keys/", SigningKeysView.as_view(), name="integrations-keys"),
    path("documents/<str:token>/", DocumentLinkView.as_view(), name="integrations-document-link"),
    path("agency/", include("bizportal.integrations.agency_api")),
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
