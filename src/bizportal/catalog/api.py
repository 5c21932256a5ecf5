"""Public catalogue API: search services and read their citizen-manual data and form."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from bizportal.core.db import reporting_db
from bizportal.core.pagination import CheckedCursorPagination

from .bundles import bundle, offered_kinds
from .models import Agency, RequiredDocument, Service
from .search import search


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = [
            "code",
            "name_th",
            "name_en",
            "ministry_th",
            "ministry_en",
            "website",
            "email",
            "phone",
        ]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequiredDocument
        fields = ["code", "name_th", "name_en", "note_th", "note_en", "required", "required_when"]


class ServiceSummarySerializer(serializers.ModelSerializer):
    agency = AgencySerializer(read_only=True)

    class Meta:
        model = Service
        fields = [
            "slug",
            "manual_code",
            "name_th",
            "name_en",
            "summary_th",
            "summary_en",
            "agency",
            "processing_days",
            "fee_display_th",
            "fee_display_en",
        ]


class ApplicationTypeSerializer(serializers.Serializer):
    """One kind of application the service takes, with what it uses (fallbacks applied)."""

    kind = serializers.CharField()
    form_schema = serializers.JSONField()
    ui_schema = serializers.JSONField()
    documents = DocumentSerializer(many=True)
    process = serializers.CharField(source="process_id")
    fee_table = serializers.CharField()
    renew_opens_days_before = serializers.IntegerField()
    renew_late_days = serializers.IntegerField()


class ServiceDetailSerializer(ServiceSummarySerializer):
    documents = serializers.SerializerMethodField(
        help_text="the documents of a new-licence application"
    )
    application_types = serializers.SerializerMethodField(
        help_text="new, amend, renew, cancel: each kind the service takes, with its own form, "
        "documents, fee table, process and renewal window"
    )

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, service: Service) -> Any:
        return DocumentSerializer(
            bundle(service, "new", offered_only=False).documents, many=True
        ).data

    @extend_schema_field(ApplicationTypeSerializer(many=True))
    def get_application_types(self, service: Service) -> Any:
        return ApplicationTypeSerializer(
            [bundle(service, kind) for kind in offered_kinds(service)], many=True
        ).data

    class Meta(ServiceSummarySerializer.Meta):
        fields = [
            *ServiceSummarySerializer.Meta.fields,
            "who_may_apply_th",
            "who_may_apply_en",
            "steps",
            "channel",
            "channel_note_th",
            "channel_note_en",
            "min_ial",
            "form_schema",
            "ui_schema",
            "terms_th",
            "terms_en",
            "documents",
            "application_types",
            "licence_title_th",
            "licence_title_en",
            "licence_validity_years",
        ]


class SlugCursorPagination(CheckedCursorPagination):
    ordering = "slug"
    page_size = 50


class ServiceListView(generics.ListAPIView):
    """Published services; ``q`` searches Thai and English words."""

    serializer_class = ServiceSummarySerializer
    permission_classes = [AllowAny]
    pagination_class = SlugCursorPagination

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Thai or English keywords")])
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Service]:
        query = self.request.query_params.get("q", "").strip()[:200]
        # The public catalogue tolerates replication lag: read it from the reporting database.
        services = (
            search(query)
            if query
            else Service.objects.filter(is_published=True).select_related("agency")
        )
        return services.using(reporting_db())


class ServiceDetailView(generics.RetrieveAPIView):
    serializer_class = ServiceDetailSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"
    queryset = (
        Service.objects.filter(is_published=True)
        .select_related("agency")
        .prefetch_related("documents", "application_types")
    )


urlpatterns = [
    path("services/", ServiceListView.as_view(), name="api-services"),
    path("services/<slug:slug>/", ServiceDetailView.as_view(), name="api-service"),
]
