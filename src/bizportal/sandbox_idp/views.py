"""Endpoints of the sandbox Digital ID provider: discovery, authorize (with its own
sign-in pages: password, then a TOTP code at AAL2), token, userinfo, JWKS, and
RP-initiated logout.

The provider keeps who is signed in in its own session (:mod:`.sessions`, cookie
``bizportal_idp``) and never calls Django's ``login()``: being signed in here must not
sign anyone in to the portal, exactly as with a provider on another site.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.django_oauth2.resource_protector import return_error_response
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oidc.core.errors import InteractionRequiredError
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.core import audit
from bizportal.core.security import lockout_response

from . import keys, services, totp
from .flavours import current
from .forms import SignInForm, TotpForm
from .models import (
    AAL_LEVELS,
    IAL_LEVELS,
    REMOTE_PROOFING_MAX_IAL,
    SandboxIdentity,
    aal_satisfies,
    acr_value,
    amr_for,
    ial_rank,
    requested_aal,
    requested_ial,
)
from .server import (
    InvalidHintError,
    issuer,
    registered_client,
    require_oauth,
    server,
    verify_id_token_hint,
)
from .sessions import LIFETIME, ProviderSessionStore, provider_session

log = logging.getLogger(__name__)

#: In the provider session: who is signed in, since when, at which AAL, and the
#: session id (``sid``) that codes and tokens issued under this sign-in carry.
SESSION_KEY = "sign_in"
#: In the provider session: a second factor being asked for (which person, which
#: authorization request, since when, and the secret offered when enrolling).
SECOND_FACTOR_KEY = "second_factor"
#: How long the code page stays valid after the password (seconds).
SECOND_FACTOR_TIMEOUT = 600

SCOPE_LABELS = {
    "pid": _("Citizen ID, or passport number and nationality"),
    "profile": _("Name (Thai and English)"),
    "email": _("Email address"),
}


OTP_MESSAGES = {
    services.OtpOutcome.WRONG: (_("The code is not correct, please try again")),
    services.OtpOutcome.REPLAYED: (
        _("This code has already been used; wait for the next one in your app")
    ),
    services.OtpOutcome.RATE_LIMITED: (
        _("Too many wrong codes; please wait 5 minutes and try again")
    ),
}


def _signed_in(
    idp: ProviderSessionStore,
) -> tuple[SandboxIdentity | None, dict[str, Any] | None]:
    data = idp.get(SESSION_KEY)
    if not data:
        return None, None
    identity = SandboxIdentity.objects.filter(pk=data.get("identity"), is_active=True).first()
    return (identity, data) if identity else (None, None)


def _start_session(idp: ProviderSessionStore, identity: SandboxIdentity) -> dict[str, Any]:
    """A password sign-in: a new session key (no fixation) and a new ``sid``, at AAL1."""
    idp.cycle_key()
    idp.set_expiry(LIFETIME)
    idp.pop(SECOND_FACTOR_KEY, None)
    data = {
        "identity": identity.pk,
        "auth_time": int(time.time()),
        "aal": "1",
        "sid": secrets.token_urlsafe(16),
    }
    idp[SESSION_KEY] = data
    return data


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
    flavour = current()

    def url(name: str) -> str:
        return settings.BASE_URL + reverse(f"{flavour.namespace}:{name}")

    acr_values = list(flavour.acr_values) or [
        f"urn:th:digitalid:aal:{aal}" for aal in AAL_LEVELS
    ] + [acr_value(ial, aal) for ial in IAL_LEVELS for aal in AAL_LEVELS]
    return JsonResponse(
        {
            "issuer": issuer(),
            "authorization_endpoint": url("authorize"),
            "token_endpoint": url("token"),
            "userinfo_endpoint": url("userinfo"),
            "jwks_uri": url("jwks"),
            "end_session_endpoint": url("end_session"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(flavour.scopes),
            "acr_values_supported": acr_values,
            "claims_supported": sorted(
                {c for cs in flavour.scopes.values() for c in cs}
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
                    "sid",
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
@provider_session
def authorize(request: HttpRequest, idp: ProviderSessionStore) -> HttpResponse:
    """The authorization endpoint and its pages.

    The parameters of the relying party's request are read from the query string only:
    our own forms post back to the same URL, and a posted field must not be able to
    change what was asked for (``acr_values`` above all).
    """
    identity, signed_in = _signed_in(idp)
    prompts = request.GET.get("prompt", "").split()
    needed = requested_aal(request.GET.get("acr_values", ""))
    try:
        grant = server.get_consent_grant(request, end_user=None if "login" in prompts else identity)
        if "openid" not in grant.request.scope.split():
            raise InvalidScopeError(
                "This is an OpenID Connect provider: the 'openid' scope is required.",
                redirect_uri=grant.redirect_uri,
                state=grant.request.payload.state,
            )
    except OAuth2Error as error:
        return _error_page(request, error)

    if request.method == "POST":
        if "cancel" in request.POST:
            idp.pop(SECOND_FACTOR_KEY, None)
            return server.create_authorization_response(request, grant_user=None, grant=grant)
        if "totp_code" in request.POST:
            return _check_second_factor(request, idp, grant)
        if "proof_face" in request.POST and identity is not None and signed_in is not None:
            identity = services.prove_remotely(identity, requested_ial(_acr_values(request)))
            return _issue_code(request, grant, identity, signed_in)
        form = SignInForm(request.POST)
        if not form.is_valid():
            return _login_page(request, grant, needed, form=form)
        # A lockout answers in the provider's own layout, not the portal's.
        request.lockout_layout = "sandbox_idp/base.html"  # type: ignore[attr-defined]
        try:
            person = services.authenticate(
                form.cleaned_data["citizen_id"], form.cleaned_data["password"], request=request
            )
        except services.LockedOut:
            return lockout_response(request, None)
        if person is None:
            return _login_page(request, grant, needed, form=form, failed=True)
        signed_in = _start_session(idp, person)
        if aal_satisfies(signed_in["aal"], needed):
            return _issue_code_or_proof(request, grant, person, signed_in)
        return _second_factor_page(request, idp, grant, person)

    if identity is not None and signed_in is not None and grant.prompt != "login":
        if aal_satisfies(signed_in["aal"], needed):
            return _issue_code_or_proof(request, grant, identity, signed_in)  # single sign-on
        if "none" in prompts:
            return _error_page(
                request,
                InteractionRequiredError(
                    "A stronger sign-in (AAL2) needs the person at the provider.",
                    redirect_uri=grant.redirect_uri,
                    state=grant.request.payload.state,
                ),
            )
        return _second_factor_page(request, idp, grant, identity)  # step-up: code only
    return _login_page(request, grant, needed)


def _login_page(
    request: HttpRequest,
    grant: Any,
    needed: str,
    *,
    form: SignInForm | None = None,
    failed: bool = False,
) -> HttpResponse:
    scopes = [SCOPE_LABELS[s] for s in grant.request.scope.split() if s in SCOPE_LABELS]
    return render(
        request,
        "sandbox_idp/login.html",
        {
            "form": form or SignInForm(),
            "failed": failed,
            "scopes": scopes,
            "client_id": grant.client.client_id,
            "needs_code": needed == "2",
        },
    )


def _request_fingerprint(request: HttpRequest) -> str:
    """Which authorization request a second-factor step belongs to (the query string,
    parsed, since our forms post back to the same URL)."""
    items = sorted((k, sorted(v)) for k, v in request.GET.lists())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def _pending_second_factor(
    request: HttpRequest, idp: ProviderSessionStore, identity: SandboxIdentity
) -> dict[str, Any] | None:
    """The second-factor step under way for this person and request, if still valid."""
    pending = idp.get(SECOND_FACTOR_KEY)
    if (
        not pending
        or pending.get("identity") != identity.pk
        or pending.get("request") != _request_fingerprint(request)
        or pending.get("since", 0) + SECOND_FACTOR_TIMEOUT < time.time()
        # An enrolment finished elsewhere meanwhile: ask for a code, offer no new secret.
        or (identity.totp_secret and pending.get("secret"))
    ):
        return None
    return dict(pending)


def _second_factor_page(
    request: HttpRequest,
    idp: ProviderSessionStore,
    grant: Any,
    identity: SandboxIdentity,
    *,
    form: TotpForm | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    """Ask for a TOTP code; someone without TOTP first gets a new secret to enrol.

    The secret offered lives only in the provider session until a correct code comes
    back, so an enrolment abandoned halfway leaves nothing behind.
    """
    pending = _pending_second_factor(request, idp, identity)
    if pending is None:
        pending = {
            "identity": identity.pk,
            "request": _request_fingerprint(request),
            "since": int(time.time()),
            "secret": "" if identity.totp_secret else totp.new_secret(),
        }
        idp[SECOND_FACTOR_KEY] = pending
    context: dict[str, Any] = {
        "form": form or TotpForm(),
        "message": message,
        "client_id": grant.client.client_id,
        "name": identity.name_th or identity.name_en,
        "enrol": bool(pending["secret"]),
    }
    if pending["secret"]:
        account = identity.email or identity.name_en or identity.name_th
        uri = totp.provisioning_uri(pending["secret"], account)
        context.update(
            secret=totp.grouped(pending["secret"]),
            qr_code=totp.qr_data_uri(uri),
            otpauth_uri=uri,
            issuer=totp.ISSUER,
        )
    return render(request, "sandbox_idp/second_factor.html", context, status=status)


def _check_second_factor(
    request: HttpRequest, idp: ProviderSessionStore, grant: Any
) -> HttpResponse:
    identity, signed_in = _signed_in(idp)
    pending = _pending_second_factor(request, idp, identity) if identity else None
    if identity is None or signed_in is None or pending is None:
        # Timed out, or no page asked for a code: start this request over.
        idp.pop(SECOND_FACTOR_KEY, None)
        return HttpResponseRedirect(request.get_full_path(), status=303)
    form = TotpForm(request.POST)
    if not form.is_valid():
        return _second_factor_page(request, idp, grant, identity, form=form)
    outcome = services.verify_second_factor(
        identity, form.cleaned_data["totp_code"], enrol_secret=pending["secret"]
    )
    if outcome is not services.OtpOutcome.OK:
        status = 429 if outcome is services.OtpOutcome.RATE_LIMITED else 200
        return _second_factor_page(
            request, idp, grant, identity, message=str(OTP_MESSAGES[outcome]), status=status
        )
    idp.pop(SECOND_FACTOR_KEY, None)
    signed_in = {**signed_in, "aal": "2", "auth_time": int(time.time())}
    idp[SESSION_KEY] = signed_in
    idp.cycle_key()  # more privilege, new key
    return _issue_code(request, grant, identity, signed_in)


def _acr_values(request: HttpRequest) -> str:
    """Digital ID only: ThaID states how its app was enrolled, it is not asked for IAL."""
    return request.GET.get("acr_values", "") if current().name == "digital_id" else ""


def _issue_code_or_proof(
    request: HttpRequest, grant: Any, identity: SandboxIdentity, session: dict[str, Any]
) -> HttpResponse:
    """When the client asked for a higher IAL than the person has, and a remote proofing
    can reach it, ask for the face comparison first; otherwise issue the code (a client
    asking for more than can be proved remotely gets the person's IAL, and judges)."""
    wanted = requested_ial(_acr_values(request))
    if (
        wanted
        and ial_rank(identity.ial) < ial_rank(wanted)
        and ial_rank(identity.ial) < ial_rank(REMOTE_PROOFING_MAX_IAL)
    ):
        return render(
            request,
            "sandbox_idp/proofing.html",
            {"client_id": grant.client.client_id, "identity": identity, "wanted": wanted},
        )
    return _issue_code(request, grant, identity, session)


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
    claims["acr"] = current().acr(access.identity.ial, access.aal)
    claims["amr"] = amr_for(access.aal)
    with transaction.atomic():
        audit.record(
            "sandbox_idp.userinfo_released",
            access.identity,
            actor_label=services.ACTOR,
            client_id=access.client_id,
            claims=sorted(claims),
        )
    return JsonResponse(claims, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@provider_session
def end_session(request: HttpRequest, idp: ProviderSessionStore) -> HttpResponse:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

    Signs out at once, and returns to ``post_logout_redirect_uri`` (with ``state``),
    only for a valid ``id_token_hint`` (ours, for our client) of the person signed in
    here, or of nobody still signed in. Otherwise the person is asked (§2: the provider
    must ask when the hint is missing or does not belong to the current session), and
    nothing is redirected anywhere: an unverified request must not turn this endpoint
    into a way to sign people out, or an open redirector. CSRF-exempt because relying
    parties may POST here from their own site (§2); the checks above replace it.
    """
    params = request.POST if request.method == "POST" else request.GET
    hint = params.get("id_token_hint", "")
    return_to = params.get("post_logout_redirect_uri", "")
    state = params.get("state", "")
    client_id = params.get("client_id", "")
    identity, signed_in = _signed_in(idp)

    if not hint:
        services.record_end_session_refused(identity, reason="no_hint", client_id=client_id)
        return _confirm_sign_out(request, identity)
    try:
        claims = verify_id_token_hint(hint, client_id=client_id)
    except InvalidHintError as error:
        log.info("end_session: refused id_token_hint: %s", error)
        services.record_end_session_refused(identity, reason="invalid_hint", client_id=client_id)
        return _confirm_sign_out(request, identity, invalid=True, status=400)
    if identity is not None and str(identity.subject) != claims["sub"]:
        services.record_end_session_refused(identity, reason="other_person", client_id=client_id)
        return _confirm_sign_out(request, identity)

    client = registered_client()
    redirect_ok = bool(return_to) and client.check_post_logout_redirect_uri(return_to)
    person = identity or SandboxIdentity.objects.filter(subject=claims["sub"]).first()
    services.record_sign_out(
        person,
        sids=[signed_in["sid"] if signed_in else "", str(claims.get("sid", ""))],
        via="end_session",
        client_id=client.client_id,
        had_session=signed_in is not None,
        redirected=redirect_ok,
        return_refused=bool(return_to) and not redirect_ok,
    )
    idp.flush()
    if redirect_ok:
        target = add_params_to_uri(return_to, [("state", state)]) if state else return_to
        return HttpResponseRedirect(target)
    return render(
        request,
        "sandbox_idp/signed_out.html",
        {"return_refused": bool(return_to)},
        status=400 if return_to else 200,
    )


def _confirm_sign_out(
    request: HttpRequest,
    identity: SandboxIdentity | None,
    *,
    invalid: bool = False,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "sandbox_idp/end_session.html",
        {"identity": identity, "invalid": invalid},
        status=status,
    )


@never_cache
@require_POST
@provider_session
def sign_out(request: HttpRequest, idp: ProviderSessionStore) -> HttpResponse:
    """Forget the provider's own sign-in (the portal's session is not touched)."""
    identity, signed_in = _signed_in(idp)
    if signed_in is not None:
        services.record_sign_out(identity, sids=[signed_in.get("sid", "")], via="sign_out")
    idp.flush()
    return render(request, "sandbox_idp/signed_out.html")
