"""Public catalogue API: search services and read their citizen-manual data and form."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny

from bizportal.core.db import reporting_db
from bizportal.core.pagination import CheckedCursorPagination

from . import selectors
from .bundles import bundle, offered_kinds
from .models import Agency, Category, RequiredDocument, Service
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
        fields = [
            "code",
            "name_th",
            "name_en",
            "note_th",
            "note_en",
            "required",
            "required_when",
            "originals",
            "copies",
        ]


class CategorySerializer(serializers.ModelSerializer):
    section = serializers.CharField(
        source="parent.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="industry divisions: the code of their TSIC section",
    )

    class Meta:
        model = Category
        fields = ["kind", "code", "name_th", "name_en", "section"]


class LawSerializer(serializers.Serializer):
    th = serializers.CharField()
    en = serializers.CharField()
    url = serializers.CharField(required=False)


class StepSerializer(serializers.Serializer):
    th = serializers.CharField()
    en = serializers.CharField()
    days = serializers.IntegerField(help_text="working days")
    unit_th = serializers.CharField(required=False, help_text="the unit responsible")
    unit_en = serializers.CharField(required=False)


class FeeItemSerializer(serializers.Serializer):
    th = serializers.CharField()
    en = serializers.CharField()
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="THB; null when it varies"
    )


class ServiceSummarySerializer(serializers.ModelSerializer):
    agency = AgencySerializer(read_only=True)
    applies_on_portal = serializers.BooleanField(
        read_only=True,
        help_text="whether Biz Portal takes the application; else apply where channel and "
        "apply_url say",
    )

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
            "channel",
            "applies_on_portal",
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
    categories = CategorySerializer(many=True, read_only=True)
    legal_basis = LawSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    fee_items = FeeItemSerializer(many=True, read_only=True)
    documents = serializers.SerializerMethodField(
        help_text="the documents of a new-licence application"
    )
    application_types = serializers.SerializerMethodField(
        help_text="new, amend, renew, cancel: each kind the service takes on Biz Portal, with "
        "its own form, documents, fee table, process and renewal window; empty when the "
        "service is applied for at the agency (see channel and apply_url)"
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
            "service_kind",
            "categories",
            "all_industries",
            "who_may_apply_th",
            "who_may_apply_en",
            "legal_basis",
            "criteria_th",
            "criteria_en",
            "steps",
            "fee_items",
            "fee_note_th",
            "fee_note_en",
            "channel_note_th",
            "channel_note_en",
            "apply_url",
            "official_form_th",
            "official_form_en",
            "contact_office_th",
            "contact_office_en",
            "contact_address_th",
            "contact_address_en",
            "contact_phone",
            "contact_email",
            "opening_hours_th",
            "opening_hours_en",
            "complaint_th",
            "complaint_en",
            "remarks_th",
            "remarks_en",
            "min_ial",
            "form_schema",
            "ui_schema",
            "terms_th",
            "terms_en",
            "documents",
            "application_types",
            "licence_title_th",
            "licence_title_en",
            "licence_permits_th",
            "licence_permits_en",
            "licence_validity_years",
        ]


class SlugCursorPagination(CheckedCursorPagination):
    ordering = "slug"
    page_size = 50


FACET_PARAMETERS = [
    OpenApiParameter("q", str, description="Thai or English keywords"),
    OpenApiParameter("agency", str, description="agency code, e.g. `dbd`"),
    OpenApiParameter(
        "lifecycle", str, description="business lifecycle stage: start, operate, change, close"
    ),
    OpenApiParameter(
        "target_group",
        str,
        description="target group code, e.g. `sme` (see /api/v1/catalog/categories/)",
    ),
    OpenApiParameter(
        "industry",
        str,
        description="TSIC 2009 section letter (includes its divisions) or two-digit division; "
        "`all` for the services every kind of business may need",
    ),
]
UNKNOWN_VALUE = _("unknown value {value!r}")


class ServiceListView(generics.ListAPIView):
    """Published services; ``q`` searches Thai and English words, and the facets narrow
    the result (they combine with AND). An unknown facet value is a 400 problem naming
    the parameter, never an empty list that looks like an answer."""

    serializer_class = ServiceSummarySerializer
    permission_classes = [AllowAny]
    pagination_class = SlugCursorPagination

    @extend_schema(parameters=FACET_PARAMETERS)
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Service]:
        # The public catalogue tolerates replication lag: read it from the reporting database.
        db = reporting_db()
        query = self.request.query_params.get("q", "").strip()[:200]
        facets = selectors.resolve_facets(self.request.query_params, using=db)
        if facets.unknown:
            raise ValidationError(
                {
                    name: [UNKNOWN_VALUE.format(value=value)]
                    for name, value in facets.unknown.items()
                }
            )
        # Matched on the reporting database from the start: search also counts and
        # corrects on the queryset it is given.
        published = selectors.published(db)
        services = search(query, published) if query else published.select_related("agency")
        return selectors.apply_facets(services, facets, using=db)


class CategoryListView(generics.ListAPIView):
    """The categories services are grouped by: target groups, lifecycle stages and TSIC
    industries (sections and their divisions). Reference data of a few hundred rows at
    most, so one unpaginated list; ``kind`` narrows it."""

    serializer_class = CategorySerializer
    permission_classes = [AllowAny]
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind", str, enum=list(Category.Kind.values), description="only this grouping"
            )
        ]
    )
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Category]:
        categories = Category.objects.using(reporting_db()).select_related("parent")
        kind = self.request.query_params.get("kind", "")
        if kind:
            if kind not in Category.Kind.values:
                raise ValidationError({"kind": [UNKNOWN_VALUE.format(value=kind[:40])]})
            categories = categories.filter(kind=kind)
        return categories.order_by("kind", "parent__order", "order", "code")


class ServiceDetailView(generics.RetrieveAPIView):
    serializer_class = ServiceDetailSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"
    queryset = (
        Service.objects.filter(is_published=True)
        .select_related("agency")
        .prefetch_related(
            "documents",
            "application_types",
            Prefetch("categories", queryset=Category.objects.select_related("parent")),
        )
    )


urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="api-categories"),
    path("services/", ServiceListView.as_view(), name="api-services"),
    path("services/<slug:slug>/", ServiceDetailView.as_view(), name="api-service"),
]
