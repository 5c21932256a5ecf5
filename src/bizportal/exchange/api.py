"""The exchange over HTTP: the catalogue of data services (open) and the gateway for
agency systems (OAuth2 client credentials, scope ``exchange:fetch``).

An agency system asks ``POST /api/v1/exchange/<code>/`` with the subject, the fields
and the purpose; the gateway decides on the agency's mission or the person's consent
exactly as for the portal's own requests, answers only the allowed fields and writes
the message log. A refusal is problem+json with the gateway's ``reason`` code and the
``message_id`` of its log entry, so the agency can quote it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.core.problems import PROBLEM_CONTENT_TYPE, problem

from . import gateway
from .gateway import Reason
from .models import DataService
from .tokens import system_of

#: The HTTP status of each refusal: no basis is 403, nothing to answer 404, a request
#: that cannot be right 422, a provider down 503.
STATUS_OF_REASON = {
    Reason.UNKNOWN_DATA_SERVICE: 404,
    Reason.UNKNOWN_CONSUMER: 403,
    Reason.OFFICER_NOT_OF_AGENCY: 403,
    Reason.UNKNOWN_FIELDS: 422,
    Reason.INVALID_SUBJECT: 422,
    Reason.NO_LEGAL_BASIS: 403,
    Reason.FIELDS_NOT_ALLOWED: 403,
    Reason.NOT_FOUND: 404,
    Reason.PROVIDER_UNAVAILABLE: 503,
}


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label_th = serializers.CharField(required=False)
    label_en = serializers.CharField(required=False)
    pdpa = serializers.CharField(required=False)


class DataServiceSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.code")
    provider_name_th = serializers.CharField(source="provider.name_th")
    # DRF's metaclass takes declared fields off the class: "fields" is safe to name.
    fields = FieldSerializer(many=True)  # type: ignore[assignment]

    class Meta:
        model = DataService
        fields: ClassVar[list[str]] = [
            "code",
            "provider",
            "provider_name_th",
            "name_th",
            "name_en",
            "description_th",
            "description_en",
            "version",
            "subject_kind",
            "fields",
            "legal_basis_th",
            "legal_basis_en",
            "openapi_url",
        ]


class PurposeSerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    application = serializers.CharField(max_length=64, required=False, allow_blank=True)
    step = serializers.CharField(max_length=64, required=False, allow_blank=True)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        if not any(attrs.values()):
            raise serializers.ValidationError(
                _("state the purpose (service, application, step or description)")
            )
        return attrs


class QuerySerializer(serializers.Serializer):
    subject_id = serializers.RegexField(r"^[0-9]{13}$", help_text="13-digit citizen/juristic ID")
    fields = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(max_length=60), min_length=1, max_length=50
    )
    purpose = PurposeSerializer()


ANSWER = inline_serializer(
    "ExchangeAnswer",
    {
        "data": serializers.DictField(),
        "fields": serializers.ListField(child=serializers.CharField()),
        "message_id": serializers.UUIDField(),
        "provider": serializers.CharField(),
        "basis": serializers.ChoiceField(choices=["mission", "consent", "subject"]),
        "at": serializers.DateTimeField(),
    },
)


def _active() -> Any:
    return DataService.objects.filter(is_active=True).select_related("provider")


class DataServiceList(APIView):
    """What can be asked of the exchange: open, like the DCAT catalogue that lists it."""

    authentication_classes: list[Any] = []
    permission_classes = (AllowAny,)

    @extend_schema(responses=DataServiceSerializer(many=True), tags=["exchange"])
    def get(self, request: Request) -> Response:
        return Response(DataServiceSerializer(_active(), many=True).data)


class DataServiceQuery(APIView):
    """One data service: its description (open) and queries (agency systems only)."""

    authentication_classes: list[Any] = [OAuth2Authentication]
    required_scopes: ClassVar[list[str]] = ["exchange:fetch"]

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [TokenHasScope()]

    def get_authenticators(self) -> list[Any]:
        # Reading the description needs no token; a bad one must not refuse it.
        if getattr(self, "request", None) is not None and self.request.method == "GET":
            return []
        return super().get_authenticators()

    @extend_schema(responses=DataServiceSerializer, tags=["exchange"], auth=[])
    def get(self, request: Request, code: str) -> Response:
        service = _active().filter(code=code).first()
        if service is None:
            return _problem(404, Reason.UNKNOWN_DATA_SERVICE)
        return Response(DataServiceSerializer(service).data)

    @extend_schema(
        request=QuerySerializer,
        responses={
            200: ANSWER,
            403: OpenApiResponse(description="no legal mission or consent covers the request"),
            404: OpenApiResponse(description="no such data service, or no record"),
            422: OpenApiResponse(description="fields the data service does not hold"),
            503: OpenApiResponse(description="the provider does not answer"),
        },
        tags=["exchange"],
    )
    def post(self, request: Request, code: str) -> Response:
        system = system_of(request)
        query = QuerySerializer(data=request.data)
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        try:
            answer = gateway.fetch(
                gateway.Consumer(system.agency.code, system.code),
                code,
                asked["subject_id"],
                list(asked["fields"]),
                gateway.Purpose(**asked["purpose"]),
            )
        except gateway.Refused as refused:
            return _problem(
                STATUS_OF_REASON[refused.reason], refused.reason, message_id=refused.message_id
            )
        return Response(
            {
                "data": answer.data,
                "fields": answer.fields,
                "message_id": answer.message_id,
                "provider": answer.provider,
                "basis": answer.basis,
                "at": answer.at,
            }
        )


def _problem(status: int, reason: str, **extra: Any) -> Response:
    extra = {k: str(v) for k, v in extra.items() if v is not None}
    body = problem(status, _(Reason.MESSAGES[reason][1]), type_=f"exchange-{reason}", **extra)
    body["reason"] = reason
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


urlpatterns = [
    path("", DataServiceList.as_view(), name="exchange-data-services"),
    path("<slug:code>/", DataServiceQuery.as_view(), name="exchange-data-service"),
]
