"""Public verification API: look a licence up by number, or check a PDF's signature.

Both endpoints are open (``AllowAny``, no session): a bank or an inspection app must
be able to check a licence without an account. They expose only what the public
verification page shows: the verdict to anyone, the holder's details (citizen ID
masked) only with the licence's check code or a validly signed copy of the PDF. Both
are rate-limited per client address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.catalog.models import Agency
from bizportal.core import audit, authz, ratelimits
from bizportal.core.parsers import BoundedJSONParser
from bizportal.core.problems import PROBLEM_CONTENT_TYPE, problem

from . import credentials
from .check_codes import CodeCheck, check
from .models import HolderKind, Licence, RevocationReason
from .services import (
    LIFECYCLE_ACTIONS,
    VERDICTS,
    LicenceError,
    lifecycle_action,
    masked_holder_id,
    verdict,
    verify_pdf,
)
from .uploads import read_licence_upload

CODE_PARAMETER = OpenApiParameter(
    "code",
    str,
    description="the check code printed on the licence (e.g. 7KQ2-M9XA); unlocks the "
    "holder's details",
)


class LicenceStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=VERDICTS)
    verdict = serializers.ChoiceField(
        choices=VERDICTS,
        help_text="the one answer (same as status; the PDF check uses the same word)",
    )
    ok = serializers.BooleanField(help_text="true only when the status is valid")
    version = serializers.IntegerField(help_text="the version asked about")
    current_version = serializers.IntegerField()
    current_url = serializers.CharField(help_text="where the current version verifies")
    issuer = serializers.CharField(help_text="issuing agency, English name")
    issuer_th = serializers.CharField()
    issuer_code = serializers.CharField()
    service = serializers.CharField(help_text="the service (licence type) slug")
    title_th = serializers.CharField()
    title_en = serializers.CharField()
    issued_at = serializers.DateField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    check_code = serializers.ChoiceField(
        choices=[c.value for c in CodeCheck],
        help_text="absent / mismatched: the holder fields are left out; matched: included",
    )
    holder_kind = serializers.ChoiceField(
        choices=HolderKind.choices, required=False, help_text="only with the check code"
    )
    holder_name = serializers.CharField(required=False, help_text="only with the check code")
    holder_id_masked = serializers.CharField(
        required=False,
        help_text="only with the check code: a person's citizen ID masked; a company's "
        "juristic ID in full",
    )
    business_name = serializers.CharField(required=False, help_text="only with the check code")


def licence_status_data(
    licence: Licence, version: int | None = None, *, code_check: CodeCheck = CodeCheck.ABSENT
) -> dict[str, Any]:
    """The verdict and public facts; the holder's details only when ``code_check`` matched
    (the verify-by-PDF path passes MATCHED: a validly signed file proves possession)."""
    agency = licence.agency
    status = verdict(licence, version=version)
    data: dict[str, Any] = {
        "number": licence.number,
        "status": status,
        "verdict": status,
        "ok": status == "valid",
        "version": version or licence.version,
        "current_version": licence.version,
        "current_url": reverse("licences:verify-number", args=[licence.number]),
        "issuer": agency.name_en,
        "issuer_th": agency.name_th,
        "issuer_code": agency.code,
        "service": licence.service.slug,
        "title_th": licence.title_th,
        "title_en": licence.title_en,
        "issued_at": timezone.localtime(licence.issued_at).date(),
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "revoked_at": licence.revoked_at,
        "cancelled_at": licence.cancelled_at,
        "check_code": code_check.value,
    }
    if code_check == CodeCheck.MATCHED:
        data.update(
            holder_kind=licence.holder_kind,
            holder_name=licence.holder_name,
            holder_id_masked=masked_holder_id(licence),
            business_name=licence.business_name,
        )
    return data


class VerifyNumberView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    rate_limited_methods = ("GET",)  # "verify"

    @extend_schema(
        operation_id="licences_verify_number",
        description="The register's verdict on a licence as it stands, or on one version of "
        "it (the URL a version's QR code carries). The holder's details only with the "
        "licence's check code (`code`, printed on the licence and in its QR link). "
        "Rate-limited per client address (429 problem+json with Retry-After).",
        parameters=[CODE_PARAMETER],
        responses={
            200: LicenceStatusSerializer,
            404: OpenApiResponse(description="problem+json: unknown number"),
            429: OpenApiResponse(description="problem+json: too many lookups; see Retry-After"),
        },
        tags=["licences"],
    )
    def get(self, request: Request, number: str, version: int | None = None) -> Response:
        """The register's verdict on a licence, or on one version of it (the QR's link)."""
        ratelimits.limit(request, "verify", key="ip")
        licence = (
            Licence.objects.select_related("agency", "service")
            .filter(number=number.strip().upper())
            .first()
        )
        if (
            licence is not None
            and version is not None
            and not licence.versions.filter(number=version).exists()
        ):
            licence = None
        if licence is None:
            shown = number[:NUMBER_ECHO]  # never more of the input than a licence number
            raise NotFound(_("No licence numbered %(number)s") % {"number": shown})
        code_check = check(licence, request.query_params.get("code"))
        return Response(
            LicenceStatusSerializer(
                licence_status_data(licence, version, code_check=code_check)
            ).data
        )


class VerifyVersionView(VerifyNumberView):
    """One version of a licence: what the QR code printed on that version opens."""

    @extend_schema(
        operation_id="licences_verify_version",
        parameters=[CODE_PARAMETER],
        responses={
            200: LicenceStatusSerializer,
            404: OpenApiResponse(description="problem+json: unknown number or version"),
            429: OpenApiResponse(description="problem+json: too many lookups; see Retry-After"),
        },
        tags=["licences"],
    )
    def get(self, request: Request, number: str, version: int | None = None) -> Response:
        return super().get(request, number, version)


class VerifyPdfView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [MultiPartParser]
    rate_limited_methods = ("POST",)  # "verify-upload"

    @extend_schema(
        operation_id="licences_verify_pdf",
        request=inline_serializer("VerifyPdfRequest", {"file": serializers.FileField()}),
        responses={
            200: OpenApiResponse(
                description="verification result: outcome valid / tampered / untrusted / "
                "not_signed / unreadable, signature facts (level B-B / B-T / B-LT / B-LTA, "
                "timestamped_at; checked offline from the file's own validation data) and "
                "the licence's current status"
            ),
            400: OpenApiResponse(
                description="problem+json: missing, empty, oversized or non-PDF file"
            ),
            429: OpenApiResponse(description="problem+json: too many checks; see Retry-After"),
        },
        tags=["licences"],
    )
    def post(self, request: Request) -> Response:
        # Validating a signature costs CPU: a tighter limit per client address.
        ratelimits.limit(request, "verify-upload", key="ip")
        try:
            data = read_licence_upload(request.FILES.get("file"))
        except ValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        result = verify_pdf(data)
        body = result.as_dict()
        if result.licence is not None:
            number = result.version.number if result.version else None
            body["licence"] = LicenceStatusSerializer(
                licence_status_data(result.licence, number, code_check=CodeCheck.MATCHED)
            ).data
        return Response(body)


NUMBER_ECHO = 40
BATCH_MAX = 100


class VerifyBatchRequest(serializers.Serializer):
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=NUMBER_ECHO, trim_whitespace=True),
        min_length=1,
        max_length=BATCH_MAX,
    )


class VerifyBatchItem(serializers.Serializer):
    number = serializers.CharField()
    verdict = serializers.CharField(
        help_text="valid, expired, revoked, suspended, cancelled, superseded or not_found"
    )
    ok = serializers.BooleanField(help_text="true only for valid")
    issuer_code = serializers.CharField(allow_null=True)
    current_version = serializers.IntegerField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


class VerifyBatchView(APIView):
    """Up to 100 licence numbers in one call (a bank or a marketplace checking its
    suppliers): the register's verdict on each, in the order asked, with no holder
    details; one query whatever the count."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    rate_limited_methods = ("POST",)  # "verify"

    @extend_schema(
        operation_id="licences_verify_batch",
        request=VerifyBatchRequest,
        responses={
            200: inline_serializer("VerifyBatchAnswer", {"results": VerifyBatchItem(many=True)}),
            400: OpenApiResponse(description="problem+json: no numbers, over 100, too long"),
            429: OpenApiResponse(description="problem+json: too many lookups; see Retry-After"),
        },
        tags=["licences"],
    )
    def post(self, request: Request) -> Response:
        ratelimits.limit(request, "verify", key="ip")
        asked = VerifyBatchRequest(data=request.data)
        asked.is_valid(raise_exception=True)
        numbers = [n.upper() for n in asked.validated_data["numbers"]]
        found = {
            licence.number: licence
            for licence in Licence.objects.select_related("agency").filter(number__in=numbers)
        }
        return Response({"results": [_batch_item(number, found.get(number)) for number in numbers]})


def _batch_item(number: str, licence: Licence | None) -> dict[str, Any]:
    if licence is None:
        return {
            "number": number,
            "verdict": "not_found",
            "ok": False,
            "issuer_code": None,
            "current_version": None,
            "valid_until": None,
        }
    status = verdict(licence)
    return {
        "number": number,
        "verdict": status,
        "ok": status == "valid",
        "issuer_code": licence.agency.code,
        "current_version": licence.version,
        "valid_until": licence.valid_until,
    }


class LifecycleRequest(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(LIFECYCLE_ACTIONS))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    until = serializers.DateField(required=False, allow_null=True)
    reason_code = serializers.ChoiceField(
        choices=RevocationReason.values, required=False, allow_blank=True
    )


class LicenceLifecycleView(APIView):
    """The issuing agency's officers (session): suspend, reinstate, ask for a revocation;
    a supervisor approves or declines it. Any other licence is 404."""

    @extend_schema(
        operation_id="licences_lifecycle",
        request=LifecycleRequest,
        responses={
            200: LicenceStatusSerializer,
            404: OpenApiResponse(description="problem+json: not a licence of your agency"),
            409: OpenApiResponse(description="problem+json: not allowed in its state, or by you"),
        },
        tags=["licences"],
    )
    def post(self, request: Request, public_id: Any) -> Response:
        licence = (
            Licence.objects.select_related("agency", "service").filter(public_id=public_id).first()
        )
        if licence is None or not authz.allowed(request.user, "licences.manage", licence):
            raise NotFound(_("no such licence of your agency"))
        asked = LifecycleRequest(data=request.data)
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        try:
            lifecycle_action(
                licence,
                action=data["action"],
                actor=request.user,
                reason=data.get("reason", ""),
                until=data.get("until"),
                reason_code=data.get("reason_code", ""),
            )
        except LicenceError as error:
            body = problem(409, str(error), type_="licence-lifecycle")
            return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)
        licence.refresh_from_db()
        return Response(LicenceStatusSerializer(licence_status_data(licence)).data)


# --- verifiable credentials (issue 14) ---------------------------------------------


class VcJwtParser(BaseParser):
    """A VC-JOSE compact JWS posted as is (``application/vc+jwt``); read up to one byte
    past the bound, so the size check refuses it without reading a huge body."""

    media_type = credentials.MEDIA_TYPE

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, str]:
        data = stream.read(credentials.MAX_TOKEN_BYTES + 1) if stream else b""
        try:
            return {"credential": data.decode("utf-8")}
        except UnicodeDecodeError:
            raise serializers.ValidationError(
                {"credential": [_("the credential must be ASCII text")]}
            ) from None


class CredentialRequest(serializers.Serializer):
    credential = serializers.CharField(
        max_length=credentials.MAX_TOKEN_BYTES + 1,
        trim_whitespace=True,
        help_text="the licence's Verifiable Credential: a VC-JOSE compact JWS "
        "(header typ vc+jwt), as downloaded by the holder or read from the PDF's "
        "licence.vc.jwt attachment",
    )


class CredentialCheckSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=credentials.CREDENTIAL_VERDICTS,
        help_text="the one answer; only valid means the licence may be relied on",
    )
    ok = serializers.BooleanField(help_text="true only for valid")
    message = inline_serializer(
        "CredentialCheckMessage", {"th": serializers.CharField(), "en": serializers.CharField()}
    )
    signer = serializers.CharField(help_text="organisation in the signing certificate")
    trusted = serializers.BooleanField(help_text="the x5c chain leads to a platform root")
    status = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="the credential's bit in each status list (revocation, suspension)",
    )
    number = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    current_version = serializers.IntegerField(allow_null=True)
    issuer_code = serializers.CharField(allow_null=True)
    valid_until = serializers.CharField(allow_null=True, help_text="the credential's validUntil")
    details = serializers.ListField(child=serializers.CharField())


class VerifyCredentialView(APIView):
    """The presentation check: a verifier posts the credential a holder showed it."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [BoundedJSONParser, VcJwtParser]
    rate_limited_methods = ("POST",)  # "verify-upload"

    @extend_schema(
        operation_id="licences_verify_credential",
        description="Check a licence's Verifiable Credential (VC-JOSE, `application/vc+jwt`): "
        "the signature against its `x5c` certificate, the chain to the platform's roots, "
        "the register's copy, the validity dates and the agency's status lists. Post the "
        'JWS as JSON `{"credential": ...}` or as the body with Content-Type '
        "`application/vc+jwt`. `ok` is true only for `valid`. Input that is not a "
        "licence credential (not a compact JWS, over 32 KB, typ not vc+jwt) is a 400.",
        request={
            "application/json": CredentialRequest,
            credentials.MEDIA_TYPE: OpenApiTypes.STR,
        },
        responses={
            200: CredentialCheckSerializer,
            400: OpenApiResponse(
                description="problem+json: not a compact JWS, too large, typ not vc+jwt, "
                "no x5c, or not a licence credential"
            ),
            429: OpenApiResponse(description="problem+json: too many checks; see Retry-After"),
        },
        tags=["licences"],
    )
    def post(self, request: Request) -> Response:
        # Validating a signature and a certificate path costs CPU: the upload limit.
        ratelimits.limit(request, "verify-upload", key="ip")
        asked = CredentialRequest(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            result = credentials.verify_credential(asked.validated_data["credential"])
        except credentials.CredentialInputError as error:
            raise serializers.ValidationError({"credential": [str(error)]}) from None
        return Response(CredentialCheckSerializer(result.as_dict()).data)


def _agency(code: str) -> Agency:
    """An agency that issues licences here (one query). Others get a 404: asking the
    signer plugin about an agency it holds no key for would be an error, not an answer."""
    agency = (
        Agency.objects.filter(code=code[:40])
        .filter(Exists(Licence.objects.filter(agency=OuterRef("pk"))))
        .first()
    )
    if agency is None:
        shown = code[:40]
        raise NotFound(_("No agency %(code)s issues licences here") % {"code": shown})
    return agency


def _public(response: HttpResponse, max_age: int) -> HttpResponse:
    """Cacheable by anyone, and readable from a verifier's web page (CORS)."""
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


class IssuerView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        operation_id="licences_issuer",
        description="What a licence credential's `issuer` id resolves to: the agency's "
        "names (th, en) and its signing key as a JWK with `kid` and its certificate "
        "chain (`x5c`), for verifiers that look keys up by `kid` rather than trusting "
        "the credential's own `x5c` after checking it.",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="the issuer description"),
            404: OpenApiResponse(description="problem+json: no such agency"),
        },
        tags=["licences"],
    )
    def get(self, request: Request, code: str) -> Response:
        response = Response(credentials.issuer_document(_agency(code)))
        _public(response, 3600)
        return response


class StatusListView(APIView):
    """An agency's Bitstring Status List credential, signed (VC-JOSE), per purpose."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        operation_id="licences_status_list",
        description="The agency's `BitstringStatusListCredential` for `revocation` or "
        "`suspension` as a VC-JOSE compact JWS (`application/vc+jwt`): at least 131,072 "
        "entries, GZIP and multibase base64url (`u` prefix); bit i (0 = most significant "
        "bit of the first byte) is 1 when the licence whose credential names index i is "
        "revoked (or cancelled by its holder) / suspended now. Valid for a few minutes "
        "(`validUntil`, `ttl`, `Cache-Control: max-age`); `ETag` for conditional requests.",
        parameters=[
            OpenApiParameter(
                "purpose", str, OpenApiParameter.PATH, enum=list(credentials.STATUS_PURPOSES)
            )
        ],
        responses={
            (200, credentials.MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="the signed status list credential"
            ),
            304: OpenApiResponse(description="not modified (If-None-Match)"),
            404: OpenApiResponse(description="problem+json: no such agency or purpose"),
        },
        tags=["licences"],
    )
    def get(self, request: Request, code: str, purpose: str) -> HttpResponse:
        if purpose not in credentials.STATUS_PURPOSES:
            raise NotFound(_("the purposes are revocation and suspension"))
        published = credentials.status_list(_agency(code), purpose)
        max_age = max(0, int((published.valid_until - timezone.now()).total_seconds()))
        if request.headers.get("If-None-Match") == published.etag:
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(published.token, content_type=credentials.MEDIA_TYPE)
        response["ETag"] = published.etag
        response["Last-Modified"] = http_date(published.valid_from.timestamp())
        response["Expires"] = http_date(published.valid_until.timestamp())
        return _public(response, max_age)


class LicenceCredentialView(APIView):
    """The holder's own credential, for a wallet or an app (session; ``licences.download``,
    as for the PDF). Anyone else gets the 404 of a wrong id. Audited."""

    @extend_schema(
        operation_id="licences_credential",
        parameters=[
            OpenApiParameter(
                "version", int, description="a version number; the current one by default"
            )
        ],
        responses={
            200: inline_serializer(
                "LicenceCredential",
                {
                    "number": serializers.CharField(),
                    "version": serializers.IntegerField(),
                    "media_type": serializers.CharField(),
                    "credential": serializers.CharField(help_text="the compact JWS"),
                },
            ),
            404: OpenApiResponse(
                description="problem+json: no such licence of yours, or the version has no "
                "credential (issued before credentials were)"
            ),
        },
        tags=["licences"],
    )
    def get(self, request: Request, public_id: Any) -> Response:
        licence = Licence.objects.filter(public_id=public_id).first()
        if licence is None or not authz.allowed(request.user, "licences.download", licence):
            raise NotFound(_("no such licence of yours"))
        asked = serializers.IntegerField(min_value=1, required=False)
        raw = request.query_params.get("version")
        number = asked.run_validation(raw) if raw is not None else licence.version
        document = licence.versions.filter(number=number).exclude(credential="").first()
        if document is None:
            raise NotFound(_("this version has no verifiable credential"))
        with transaction.atomic():
            audit.record(
                "licence.credential_downloaded",
                licence,
                actor=request.user,
                number=licence.number,
                version=document.number,
            )
        response = Response(
            {
                "number": licence.number,
                "version": document.number,
                "media_type": credentials.MEDIA_TYPE,
                "credential": document.credential,
            }
        )
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("verify/", VerifyBatchView.as_view(), name="licences-verify-batch"),
    # Before verify/<number>/, which would take "credential" for a licence number.
    path(
        "verify/credential/",
        VerifyCredentialView.as_view(),
        name="licences-verify-credential",
    ),
    path("issuers/<slug:code>/", IssuerView.as_view(), name="licences-issuer"),
    path(
        "status/<slug:code>/<slug:purpose>/",
        StatusListView.as_view(),
        name="licences-status-list",
    ),
    path(
        "<uuid:public_id>/credential/",
        LicenceCredentialView.as_view(),
        name="licences-credential",
    ),
    path("<uuid:public_id>/lifecycle/", LicenceLifecycleView.as_view(), name="licences-lifecycle"),
    path("verify/<str:number>/", VerifyNumberView.as_view(), name="licences-verify-number"),
    path(
        "verify/<str:number>/<int:version>/",
        VerifyVersionView.as_view(),
        name="licences-verify-version",
    ),
    path("verify-pdf/", VerifyPdfView.as_view(), name="licences-verify-pdf"),
]
