"""Mandates API: give, list, accept, decline and revoke electronic delegations, and
list the acts done under one (both sides see the same list).

The grantor is the party the session acts for (as itself or a company director); a
delegate cannot pass a mandate on. Refusals are problem+json and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.catalog.models import Service
from bizportal.core.models import AuditEvent
from bizportal.core.problems import PROBLEM_CONTENT_TYPE, problem

from . import services
from .acting import Acting, account_of, grounds, key_of
from .models import Mandate, MandateAction


class MandateSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    grantor = serializers.CharField(source="grantor.key", read_only=True)
    grantor_name = serializers.CharField(source="grantor.name_th", read_only=True)
    services: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    actions = serializers.ListField(child=serializers.ChoiceField(choices=MandateAction.choices))
    document_signed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="when the signed written mandate (PDF) was issued; null when none is "
        "needed or it is not issued yet (a delegate cannot act for a service that needs one "
        "until then)",
    )
    document_sha256 = serializers.CharField(
        read_only=True, help_text="SHA-256 of the signed written mandate; empty when none"
    )

    class Meta:
        model = Mandate
        fields = [
            "id",
            "grantor",
            "grantor_name",
            "delegate_key",
            "delegate_name",
            "services",
            "actions",
            "valid_from",
            "valid_until",
            "status",
            "granted_at",
            "answered_at",
            "revoked_at",
            "document_signed_at",
            "document_sha256",
        ]


class GrantSerializer(serializers.Serializer):
    delegate = serializers.CharField(
        max_length=40, help_text="citizen ID, or P:<nationality>:<passport>"
    )
    services = serializers.ListField(
        child=serializers.SlugField(), required=False, default=list, help_text="none: all"
    )
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=MandateAction.choices), allow_empty=False
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ActSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["at", "action", "actor_label", "object_type", "object_id", "on_behalf_of"]


def _acting(request: Request) -> Acting:
    acting = getattr(request, "acting", None)
    if acting is None:
        raise PermissionDenied(_("For entrepreneurs only"))
    return acting


def _conflict(error: Exception) -> Response:
    if isinstance(error, ValidationError):
        body = problem(400, " ".join(error.messages), type_="validation")
        return Response(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
    body = problem(409, str(error), type_="conflict")
    return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)


def _seen(request: Request, public_id: Any) -> Mandate:
    """A mandate the person is the delegate of, or may grant for (else 404)."""
    mandate = Mandate.objects.select_related("grantor").filter(public_id=public_id).first()
    if mandate is None:
        raise NotFound()
    acting = grounds(request.user, mandate.grantor)
    if not (acting is not None and acting.basis in ("self", "director")) and (
        mandate.delegate_key != key_of(account_of(request))
    ):
        raise NotFound()
    return mandate


class MandateListView(APIView):
    @extend_schema(
        operation_id="mandates_list",
        responses=inline_serializer(
            "Mandates",
            {"given": MandateSerializer(many=True), "received": MandateSerializer(many=True)},
        ),
        tags=["mandates"],
    )
    def get(self, request: Request) -> Response:
        """The mandates the acting party gave, and those given to you."""
        acting = _acting(request)
        given = (
            Mandate.objects.filter(grantor=acting.party).prefetch_related("services")
            if acting.basis in ("self", "director")
            else Mandate.objects.none()
        )
        received = (
            Mandate.objects.filter(delegate_key=key_of(account_of(request)))
            .select_related("grantor")
            .prefetch_related("services")
        )
        return Response(
            {
                "given": MandateSerializer(given, many=True).data,
                "received": MandateSerializer(received, many=True).data,
            }
        )

    @extend_schema(
        operation_id="mandates_create",
        request=GrantSerializer,
        responses={201: MandateSerializer},
        tags=["mandates"],
    )
    def post(self, request: Request) -> Response:
        """Give a mandate for the party the session acts for."""
        acting = _acting(request)
        payload = GrantSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        slugs = set(data.pop("services"))
        chosen = list(Service.objects.filter(slug__in=slugs, is_published=True))
        if len(chosen) != len(slugs):
            unknown = sorted(slugs - {s.slug for s in chosen})
            return _conflict(
                ValidationError(
                    _("No such service: %(services)s") % {"services": ", ".join(unknown)}
                )
            )
        try:
            mandate = services.grant_mandate(acting, services=chosen, **data)
        except (ValidationError, services.PartyError) as error:
            return _conflict(error)
        return Response(MandateSerializer(mandate).data, status=status.HTTP_201_CREATED)


class MandateDetailView(APIView):
    @extend_schema(
        operation_id="mandates_retrieve",
        responses=inline_serializer(
            "MandateWithActs",
            {"mandate": MandateSerializer(), "acts": ActSerializer(many=True)},
        ),
        tags=["mandates"],
    )
    def get(self, request: Request, public_id: Any) -> Response:
        """One mandate with every act done under it."""
        mandate = _seen(request, public_id)
        acts = AuditEvent.objects.filter(mandate=str(mandate.public_id))[:200]
        return Response(
            {
                "mandate": MandateSerializer(mandate).data,
                "acts": ActSerializer(acts, many=True).data,
            }
        )


class MandateAnswerView(APIView):
    answer = ""

    @extend_schema(request=RevokeSerializer, responses=MandateSerializer, tags=["mandates"])
    def post(self, request: Request, public_id: Any) -> Response:
        """Accept or decline (the delegate), or revoke (either side: takes effect at the
        delegate's next request)."""
        mandate = _seen(request, public_id)
        try:
            if self.answer == "revoke":
                payload = RevokeSerializer(data=request.data)
                payload.is_valid(raise_exception=True)
                mandate = services.revoke_mandate(
                    mandate, account_of(request), reason=payload.validated_data["reason"]
                )
            else:
                mandate = services.answer_mandate(
                    mandate, account_of(request), accept=self.answer == "accept"
                )
        except services.PartyError as error:
            return _conflict(error)
        return Response(MandateSerializer(mandate).data)


urlpatterns = [
    path("", MandateListView.as_view(), name="api-mandates"),
    path("<uuid:public_id>/", MandateDetailView.as_view(), name="api-mandate"),
    *[
        path(
            f"<uuid:public_id>/{answer}/",
            MandateAnswerView.as_view(answer=answer),
            name=f"api-mandate-{answer}",
        )
        for answer in ("accept", "decline", "revoke")
    ],
]
