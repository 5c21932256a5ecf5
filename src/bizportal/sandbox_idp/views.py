"""Endpoints of the sandbox Digital ID provider: discovery, authorize (with its own
sign-in page), token, userinfo and JWKS.

The provider keeps who is signed in under its own session key and never calls
Django's ``login()``: being signed in here must not sign anyone in to the portal,
exactly as with a provider on another site.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.django_oauth2.resource_protector import return_error_response
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.core import audit

from . import keys, services
from .forms import SignInForm
from .models import SandboxIdentity, acr_value
from .server import issuer, require_oauth, server

SESSION_KEY = "sandbox_idp.session"

SCOPE_LABELS = {
    "pid": ("เลขประจำตัวประชาชน", "Citizen ID"),
    "profile": ("ชื่อ-นามสกุล (ไทยและอังกฤษ)", "Name (Thai and English)"),
    "email": ("อีเมล", "Email address"),
}


def _signed_in(request: HttpRequest) -> tuple[SandboxIdentity | None, dict[str, Any] | None]:
    data = request.session.get(SESSION_KEY)
    if not data:
        return None, None
    identity = SandboxIdentity.objects.filter(pk=data.get("identity"), is_active=True).first()
    return (identity, data) if identity else (None, None)


def _error_page(request: HttpRequest, error: OAuth2Error) -> HttpResponse:
    """Errors that cannot go back to the client (unknown client, unregistered redirect
    URI) are shown here; sending them to an unverified address would make us an open
    redirector."""
    if error.redirect_uri:
        return server.handle_error_response(server.create_oauth2_request(request), error)
    return render(
        request,
        "sandbox_idp/error.html",
        {"error": error.error, "description": error.get_error_description()},
        status=error.status_code or 400,
    )


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    def url(name: str) -> str:
        return settings.BASE_URL + reverse(f"sandbox_idp:{name}")

    return JsonResponse(
        {
            "issuer": issuer(),
            "authorization_endpoint": url("authorize"),
            "token_endpoint": url("token"),
            "userinfo_endpoint": url("userinfo"),
            "jwks_uri": url("jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(services.SUPPORTED_SCOPES),
            "claims_supported": sorted(
                {c for cs in services.SCOPE_CLAIMS.values() for c in cs}
                | {
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "nonce",
                    "acr",
                    "amr",
                    "aal",
                    "azp",
                    "at_hash",
                }
            ),
            "ui_locales_supported": ["th", "en"],
            "prompt_values_supported": ["none", "login"],
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(keys.public_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    identity, session = _signed_in(request)
    force_login = "login" in request.GET.get("prompt", "").split()
    try:
        grant = server.get_consent_grant(request, end_user=None if force_login else identity)
        if "openid" not in grant.request.scope.split():
            raise InvalidScopeError(
                "This is an OpenID Connect provider: the 'openid' scope is required.",
                redirect_uri=grant.redirect_uri,
                state=grant.request.payload.state,
            )
    except OAuth2Error as error:
        return _error_page(request, error)

    form = SignInForm()
    failed = False
    if request.method == "POST":
        if "cancel" in request.POST:
            return server.create_authorization_response(request, grant_user=None, grant=grant)
        form = SignInForm(request.POST)
        if form.is_valid():
            identity = services.authenticate(
                form.cleaned_data["citizen_id"], form.cleaned_data["password"]
            )
            if identity is not None:
                request.session.cycle_key()
                session = {"identity": identity.pk, "auth_time": int(time.time()), "aal": "1"}
                request.session[SESSION_KEY] = session
                return _issue_code(request, grant, identity, session)
            failed = True
    elif identity is not None and session is not None and grant.prompt != "login":
        return _issue_code(request, grant, identity, session)  # single sign-on: no form

    scopes = [SCOPE_LABELS[s] for s in grant.request.scope.split() if s in SCOPE_LABELS]
    return render(
        request,
        "sandbox_idp/login.html",
        {"form": form, "failed": failed, "scopes": scopes, "client_id": grant.client.client_id},
        status=200,
    )


def _issue_code(
    request: HttpRequest, grant: Any, identity: SandboxIdentity, session: dict[str, Any]
) -> HttpResponse:
    grant.request.sandbox_session = session
    return server.create_authorization_response(request, grant_user=identity, grant=grant)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """Client-authenticated; no CSRF token because no browser session is involved."""
    with transaction.atomic():
        return server.create_token_response(request)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    try:
        access = require_oauth.acquire_token(request, ["openid"])
    except OAuth2Error as error:
        return return_error_response(error)
    claims = services.claims_for(access.identity, access.scope)
    claims["aal"] = access.aal
    claims["acr"] = acr_value(access.identity.ial, access.aal)
    with transaction.atomic():
        audit.record(
            "sandbox_idp.userinfo_released",
            access.identity,
            actor_label=services.ACTOR,
            client_id=access.client_id,
            claims=sorted(claims),
        )
    return JsonResponse(claims, json_dumps_params={"ensure_ascii": False})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Forget the provider's own sign-in (the portal's session is not touched)."""
    request.session.pop(SESSION_KEY, None)
    return render(request, "sandbox_idp/signed_out.html")
