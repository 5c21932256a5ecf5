"""Applications API: the applicant's journey and the officer's decision over REST.

Access is the same as on the pages (``core.authz``): a person reaches the applications
of the parties they may act for, as far as their grounds reach; a counter officer those
they filed; an officer their agency's; anything else is 404 problem+json. A session
below the assurance a step needs gets 401 with an RFC 9470 step-up challenge.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.catalog.models import Service
from bizportal.core import audit, authz, ratelimits
from bizportal.core.problems import PROBLEM_CONTENT_TYPE, problem
from bizportal.identity.acting import Acting, StepUpRequired, grounds
from bizportal.identity.models import Party
from bizportal.licences.models import Licence

from . import evidence, selectors, services
from .models import Application, Attachment, FetchedEvidence, HolderKind, Kind, StatusChange


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class AttachmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "document_code",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
        ]


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusChange
        fields = [
            "from_status",
            "to_status",
            "step",
            "step_name",
            "step_type",
            "action",
            "action_label",
            "actor_label",
            "note",
            "at",
        ]


class WaitingStepSerializer(serializers.Serializer):
    """A step the process waits at (who acts is the step type's business)."""

    task_id = serializers.CharField()
    step = serializers.CharField(source="spec.id")
    name = serializers.CharField(source="spec.name")
    type = serializers.CharField(source="spec.type")
    lane = serializers.CharField(source="spec.lane")


STEP_ACTIONS_SCHEMA = inline_serializer(
    "StepActions",
    {
        "step": WaitingStepSerializer(),
        "actions": inline_serializer(
            "Action",
            {
                "id": serializers.CharField(),
                "label": serializers.CharField(),
                "completes": serializers.BooleanField(
                    help_text="false: recorded without moving the process (a schedule)"
                ),
                "note_required": serializers.BooleanField(),
                "fields": inline_serializer(
                    "ActionField",
                    {
                        "id": serializers.CharField(),
                        "label": serializers.CharField(),
                        "type": serializers.CharField(),
                        "required": serializers.BooleanField(),
                    },
                    many=True,
                ),
            },
            many=True,
        ),
    },
    many=True,
)


def step_actions_data(items: list[services.StepActions]) -> list[dict[str, Any]]:
    """The steps an actor may act on, with their actions, as the API shows them."""
    return [
        {
            "step": WaitingStepSerializer(item.step).data,
            "actions": [
                {
                    "id": action.id,
                    "label": action.label,
                    "completes": action.completes,
                    "note_required": action.note_required,
                    "fields": [
                        {"id": f.id, "label": f.label, "type": f.type, "required": f.required}
                        for f in action.fields
                    ],
                }
                for action in item.actions
            ],
        }
        for item in items
    ]


class FetchedEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = FetchedEvidence
        fields = [
            "document_code",
            "data_service",
            "data_service_name_th",
            "provider_name_th",
            "provider_name_en",
            "message_id",
            "basis",
            "fetched_at",
            "fields",
        ]


class EvidencePlanSerializer(serializers.Serializer):
    """A document the exchange supplies at submission instead of an upload."""

    document_code = serializers.CharField(source="document.code")
    data_service = serializers.CharField(source="source.data_service.code")
    provider = serializers.CharField(source="provider.code")
    provider_name_th = serializers.CharField(source="provider.name_th")
    fields = serializers.ListField(  # type: ignore[assignment]
        source="source.fields", child=serializers.CharField()
    )
    basis = serializers.ChoiceField(
        choices=["mission", "consent", "none"],
        help_text="none: the party's consent is needed (POST it), or upload the document",
    )
    notice_th = serializers.SerializerMethodField(help_text="the consent text, when needed")

    def get_notice_th(self, item: evidence.Evidence) -> str:
        return item.notice_th(self.context["application"]) if item.needs_consent else ""


class ConsentSerializer(serializers.Serializer):
    document_code = serializers.SlugField(max_length=60)


class ApplicationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    service = serializers.CharField(source="service.slug", read_only=True)
    agency = serializers.CharField(source="agency.code", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    evidence = FetchedEvidenceSerializer(many=True, read_only=True)
    history = StatusChangeSerializer(many=True, read_only=True)
    licence = serializers.CharField(source="licence.number", read_only=True, allow_null=True)
    holder = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "kind",
            "service",
            "agency",
            "licence",
            "issued_version",
            "holder",
            "status",
            "waiting",
            "data",
            "correction_note",
            "decision_reason",
            "created_at",
            "submitted_at",
            "decided_at",
            "attachments",
            "evidence",
            "history",
        ]

    @extend_schema_field(
        inline_serializer(
            "Holder",
            {
                "kind": serializers.ChoiceField(
                    choices=HolderKind.choices,
                    allow_blank=True,
                    help_text="blank until the first submission settles it",
                ),
                "id": serializers.CharField(),
                "name_th": serializers.CharField(),
                "name_en": serializers.CharField(),
            },
        )
    )
    def get_holder(self, application: Application) -> dict[str, str]:
        """The legal person the licence names (a company when filed for one)."""
        return {
            "kind": application.holder_kind,
            "id": application.holder_id,
            "name_th": application.holder_name_th,
            "name_en": application.holder_name_en,
        }

    @extend_schema_field(WaitingStepSerializer(many=True))
    def get_waiting(self, application: Application) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = WaitingStepSerializer(
            services.ready_steps(application), many=True
        ).data  # type: ignore[assignment]
        return data


class WorklistItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    service = serializers.CharField(source="service.slug", read_only=True)
    applicant_name = serializers.CharField(source="applicant.display_name", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "kind",
            "service",
            "status",
            "current_step",
            "applicant_name",
            "holder_name_th",
            "submitted_at",
        ]


class CreateSerializer(serializers.Serializer):
    service = serializers.SlugField()
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.NEW)
    licence = serializers.CharField(
        required=False,
        max_length=40,
        help_text="amend, renew, cancel: the number of the licence the party holds",
    )
    party = serializers.CharField(
        required=False,
        max_length=40,
        help_text="the party applying: a juristic ID of a company you direct, or of a "
        "grantor whose mandate you hold (default: whom the session acts for)",
    )


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField()


class UploadSerializer(serializers.Serializer):
    document_code = serializers.SlugField()
    file = serializers.FileField()


class SubmitSerializer(serializers.Serializer):
    accept_terms = serializers.BooleanField()


class DecisionSerializer(serializers.Serializer):
    action = serializers.SlugField(
        max_length=40, help_text="an action of the step (GET .../actions/ lists them)"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    step = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=80,
        default="",
        help_text="the step's BPMN id or task id; needed only when several steps wait",
    )
    values = serializers.DictField(
        required=False, default=dict, help_text="the action's fields, e.g. scheduled_for"
    )


def _entrepreneur_only(request: Request) -> Acting:
    acting = getattr(request, "acting", None)
    if acting is None:
        raise PermissionDenied(_("For entrepreneurs only"))
    return acting


def _visible(request: Request, public_id: Any) -> Application:
    if getattr(request.user, "is_officer", False):
        return selectors.for_officer(request.user, public_id)
    return selectors.for_applicant(request.user, public_id)


def _own_with_payload(
    request: Request,
    public_id: Any,
    serializer: type[serializers.Serializer],
    permission: str = "applications.prepare",
) -> tuple[Application, dict[str, Any]]:
    """An application the person may see and do ``permission`` to, and the validated
    request body (404 if they may not see it, 403 if they may see but not do it, 400)."""
    application = selectors.for_applicant(request.user, public_id)
    _require(request, permission, application)
    payload = serializer(data=request.data)
    payload.is_valid(raise_exception=True)
    return application, dict(payload.validated_data)


def _party_for(request: Request, acting: Acting, key: str) -> Party:
    """The party named in the request (default: whom the session acts for)."""
    if not key:
        return acting.party
    party = Party.objects.filter(key=key.strip().upper()).first()
    if party is None or grounds(request.user, party) is None:
        if acting.basis == "system":
            raise _system_refused(
                acting,
                "system-other-party",
                _("This system is approved to act for another company, not for %(party)s")
                % {"party": key.strip()[:40]},
                party=key.strip()[:40],
            )
        raise NotFound(_("No party you may act for has this ID"))
    return party


def _require(request: Request, permission: str, application: Application) -> None:
    """``authz.require``, with a system user's refusal named and audited: its token is
    fine, the company did not approve it for this action or this service."""
    acting: Acting | None = getattr(request, "acting", None)
    if acting is not None and acting.basis == "system":
        if not authz.allowed(request.user, permission, application):
            raise _system_refused(
                acting,
                "system-outside-rights",
                _("The company did not approve this system to %(action)s for this service")
                % {"action": permission.rsplit(".", 1)[-1]},
                permission=permission,
                application=str(application.public_id),
                service=application.service.slug,
            )
        return
    authz.require(request.user, permission, application, hide=False)


def _system_refused(acting: Acting, code: str, detail: str, **data: Any) -> PermissionDenied:
    """403 problem+json of type ``code`` for a system user acting outside its approval,
    audited with the system, its vendor and the company (the company's data tracker
    lists it)."""
    grant = acting.grant
    audit.record(
        "application.system_refused",
        ("federation.federatedclient", grant.audit_data()["system"] if grant else "-"),
        actor=acting.user,
        on_behalf_of=acting.party.key,
        reason=code,
        **(grant.audit_data() if grant else {}),
        **data,
    )
    return PermissionDenied(detail, code=code)


def _detail(application: Application) -> Response:
    application = (
        Application.objects.prefetch_related("attachments", "evidence", "history")
        .with_process("service", "agency", "licence")
        .get(pk=application.pk)
    )
    return Response(ApplicationSerializer(application).data)


def _refused(error: Exception) -> Response:
    if isinstance(error, StepUpRequired):
        body = problem(401, str(error), type_="step-up-required", acr_values=_acr(error))
        response = Response(body, status=401, content_type=PROBLEM_CONTENT_TYPE)
        # RFC 9470: the client signs in again at Digital ID with these acr_values.
        response["WWW-Authenticate"] = (
            f'Bearer error="insufficient_user_authentication", acr_values="{_acr(error)}"'
        )
        return response
    if isinstance(error, services.SubmissionErrors):
        body = problem(
            400,
            _("The application is not complete"),
            type_="validation",
            errors=error.as_dict(),
        )
        return Response(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(error, ValidationError):
        body = problem(400, " ".join(error.messages), type_="validation")
        return Response(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
    return Response(
        problem(409, str(error), type_="conflict"), status=409, content_type=PROBLEM_CONTENT_TYPE
    )


def _acr(error: StepUpRequired) -> str:
    return f"urn:th:digitalid:aal:{error.needed}"


class ApplicationListView(APIView):
    rate_limited_methods = ("POST",)  # "draft"

    @extend_schema(responses=ApplicationSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The applications of the party the session acts for (as far as the grounds
        reach: a delegate sees the mandate's services), newest first."""
        _entrepreneur_only(request)
        qs = selectors.my_applications(request.user).prefetch_related(
            "attachments", "evidence", "history"
        )[:100]
        return Response(ApplicationSerializer(qs, many=True).data)

    @extend_schema(request=CreateSerializer, responses={201: ApplicationSerializer})
    def post(self, request: Request) -> Response:
        """Start a draft for a service, for the party (yourself, a company you direct, a
        grantor whose mandate covers the service); identity fields are prefilled."""
        acting = _entrepreneur_only(request)
        payload = CreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        party = _party_for(request, acting, str(data.get("party", "")))
        service = get_object_or_404(Service, slug=data["service"], is_published=True)
        if acting.basis == "system" and not acting.may("prepare", service.pk):
            raise _system_refused(
                acting,
                "system-outside-rights",
                _("The company did not approve this system to prepare applications for %(service)s")
                % {"service": service.slug},
                permission="applications.prepare",
                service=service.slug,
            )
        licence = None
        if data["kind"] != Kind.NEW:
            licence = Licence.objects.filter(
                number=str(data.get("licence", "")).strip().upper(),
                holder_id=party.key,
                service=service,
            ).first()
            if licence is None or not authz.allowed(request.user, "licences.change", licence):
                raise NotFound(_("No licence with this number for this service in your account"))
        ratelimits.limit(request, "draft", key="user")
        try:
            application = services.start_application(
                service, request.user, kind=data["kind"], licence=licence, party=party
            )
        except services.refusals() as error:
            return _refused(error)
        response = _detail(application)
        response.status_code = status.HTTP_201_CREATED
        return response


class ApplicationDetailView(audit.AuditedReadMixin, APIView):
    audit_read_action = "application.viewed"
    audit_read_type = "applications.application"

    @extend_schema(responses=ApplicationSerializer)
    def get(self, request: Request, public_id: Any) -> Response:
        return _detail(_visible(request, public_id))

    @extend_schema(request=AnswersSerializer, responses=ApplicationSerializer)
    def patch(self, request: Request, public_id: Any) -> Response:
        """Save answers of a draft or of an application sent back for correction."""
        application, data = _own_with_payload(request, public_id, AnswersSerializer)
        try:
            services.save_answers(application, data["answers"], actor=request.user)
        except services.refusals() as error:
            return _refused(error)
        return _detail(application)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, public_id: Any) -> Response:
        """Delete a draft that was never submitted, with its uploads; it then no longer
        counts against the party's open drafts. 409 once it has been submitted."""
        application = selectors.for_applicant(request.user, public_id)
        _require(request, "applications.prepare", application)
        try:
            services.discard_draft(application, actor=request.user)
        except services.refusals() as error:
            return _refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentUploadView(APIView):
    parser_classes = [MultiPartParser, FormParser]
    rate_limited_methods = ("POST",)  # "upload"

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: AttachmentSerializer}
    )
    def post(self, request: Request, public_id: Any) -> Response:
        """Attach a PDF, JPEG or PNG; the type is sniffed from the content."""
        application, data = _own_with_payload(request, public_id, UploadSerializer)
        ratelimits.limit(request, "upload", key="user")
        try:
            attachment = services.attach_document(
                application,
                data["document_code"],
                data["file"],
                actor=request.user,
            )
        except (ValidationError, *services.refusals()) as error:  # type: ignore[misc]
            return _refused(error)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class EvidenceView(APIView):
    """Documents the exchange fetches at submission (once only), and the party's
    consent where the agency has no legal mission for them."""

    @extend_schema(responses=EvidencePlanSerializer(many=True))
    def get(self, request: Request, public_id: Any) -> Response:
        application = selectors.for_applicant(request.user, public_id)
        plan = evidence.plan(application, services.bundle_of(application).documents)
        return Response(
            EvidencePlanSerializer(
                list(plan.values()), many=True, context={"application": application}
            ).data
        )

    @extend_schema(
        request=ConsentSerializer,
        responses={
            201: inline_serializer(
                "EvidenceConsent",
                {"consent": serializers.UUIDField(), "notice_th": serializers.CharField()},
            ),
            204: None,
        },
    )
    def post(self, request: Request, public_id: Any) -> Response:
        """Consent to one document being fetched; 204 when a basis already exists."""
        application, data = _own_with_payload(request, public_id, ConsentSerializer)
        try:
            consent = services.consent_to_evidence(
                application, data["document_code"], actor=request.user
            )
        except services.refusals() as error:
            return _refused(error)
        if consent is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            {"consent": consent.public_id, "notice_th": consent.notice_th},
            status=status.HTTP_201_CREATED,
        )


class SubmitView(APIView):
    @extend_schema(request=SubmitSerializer, responses=ApplicationSerializer)
    def post(self, request: Request, public_id: Any) -> Response:
        """Submit (or resubmit after a correction); answers a reference number. For a
        company whose directors sign jointly, the first call signs and the application
        waits (``awaiting_signature``) until a second director calls it too."""
        application, data = _own_with_payload(
            request, public_id, SubmitSerializer, "applications.submit"
        )
        try:
            services.submit(application, actor=request.user, accept_terms=data["accept_terms"])
        except (services.SubmissionErrors, *services.refusals()) as error:  # type: ignore[misc]
            return _refused(error)
        return _detail(application)


class WorklistView(audit.AuditedReadMixin, APIView):
    audit_read_action = "applications.listed"
    audit_read_type = "applications.application"
    audit_read_filters = ("status", "after")

    @extend_schema(
        responses=inline_serializer(
            "Worklist",
            {"results": WorklistItemSerializer(many=True), "next": serializers.CharField()},
        )
    )
    def get(self, request: Request) -> Response:
        """The officer's agency's applications, oldest first; ``after`` is the keyset cursor."""
        if not getattr(request.user, "is_officer", False):
            raise NotFound()
        page = selectors.worklist(
            request.user,
            status=request.query_params.get("status", ""),
            cursor=request.query_params.get("after", ""),
        )
        audit.saw(request, page.items)
        return Response(
            {
                "results": WorklistItemSerializer(page.items, many=True).data,
                "next": page.next_cursor,
            }
        )


class ActionsView(APIView):
    @extend_schema(responses=STEP_ACTIONS_SCHEMA)
    def get(self, request: Request, public_id: Any) -> Response:
        """The waiting steps you may act on, with their actions (decisions, schedule ...)."""
        application = _visible(request, public_id)
        return Response(step_actions_data(services.actions_for(application, request.user)))


class DecisionView(APIView):
    @extend_schema(request=DecisionSerializer, responses=ApplicationSerializer)
    def post(self, request: Request, public_id: Any) -> Response:
        """Take an action at a waiting step (officers of the owning agency): approve,
        request a correction, reject, schedule or record an inspection ... as the step
        offers. Refusals are problem+json and change nothing."""
        application = selectors.for_officer(request.user, public_id)
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            services.decide(
                application,
                officer=request.user,
                action=data["action"],
                note=data["note"],
                step=data["step"],
                values=data["values"],
            )
        except (ValidationError, *services.refusals()) as error:  # type: ignore[misc]
            return _refused(error)
        return _detail(application)


urlpatterns = [
    path("", ApplicationListView.as_view(), name="api-applications"),
    path("worklist/", WorklistView.as_view(), name="api-worklist"),
    path("<uuid:public_id>/", ApplicationDetailView.as_view(), name="api-application"),
    path(
        "<uuid:public_id>/documents/",
        DocumentUploadView.as_view(),
        name="api-application-documents",
    ),
    path("<uuid:public_id>/evidence/", EvidenceView.as_view(), name="api-application-evidence"),
    path("<uuid:public_id>/submit/", SubmitView.as_view(), name="api-application-submit"),
    path("<uuid:public_id>/actions/", ActionsView.as_view(), name="api-application-actions"),
    path("<uuid:public_id>/decision/", DecisionView.as_view(), name="api-application-decision"),
]
