"""Digital ID sign-in (OpenID Connect relying party): login, callback, logout.

The callback does its two HTTP exchanges (token endpoint, civil registry) before any
database transaction opens, then hands the verified claims and the registry record to
:func:`bizportal.identity.services.sign_in_with_digital_id`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bizportal.exchange import gateway
from bizportal.exchange.persons import NOT_CONFIGURED, fetch_person_record
from bizportal.registries.client import PersonRecord, RegistryError

from . import services
from .acting import AAL_SESSION_KEY, session_aal
from .acting import options as acting_options
from .contrib.digital_id import confirmed_aal
from .providers import SignInError, get_provider

log = logging.getLogger(__name__)

NEXT_KEY = "identity.next"
STEP_UP_KEY = "identity.step_up"
#: Session keys the provider plugins own (e.g. ``digital_id.id_token``).
PROVIDER_KEYS = ("digital_id.",)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _callback_uri() -> str:
    # From BASE_URL, not the request's Host header: it must equal the registered URI.
    return settings.BASE_URL + reverse("identity:callback")


def _failure(request: HttpRequest, error: SignInError) -> HttpResponse:
    log.info("Digital ID sign-in failed: %s", error.code)
    return render(
        request,
        "identity/error.html",
        {"message": str(error), "code": error.code, "retry_url": reverse("identity:login")},
        status=error.status,
    )


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """``/auth/login/?next=...``: start the Digital ID round trip."""
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    try:
        return get_provider().start(request, redirect_uri=_callback_uri())
    except SignInError as error:
        return _failure(request, error)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """``/auth/callback/``: verify the answer, read the registry, sign the person in
    (or, after a step-up, raise the session's assurance)."""
    step_up = request.session.pop(STEP_UP_KEY, None)
    try:
        claims = get_provider().finish(request)
        if step_up is not None:
            return _finish_step_up(request, claims, step_up)
        user = services.sign_in_with_digital_id(claims, _registry_record(claims))
    except SignInError as error:
        return _failure(request, error)

    next_url = _safe_next(request, request.session.pop(NEXT_KEY, None))
    # login() empties the session when someone else was signed in on this browser: keep
    # what the provider plugin stored for sign-out and refresh across it.
    kept = {k: v for k, v in request.session.items() if k.startswith(PROVIDER_KEYS)}
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.update(kept)
    request.session[AAL_SESSION_KEY] = max(confirmed_aal(claims), 1)
    return _after_sign_in(request, user, next_url)


#: Sign-in is the portal asking the civil registry for the person's own record, through
#: the exchange gateway: the message log records it, and the person sees it in their data
#: tracker, as any agency's read of their record.
SIGN_IN_SYSTEM = "bizportal-sign-in"


def _registry_record(claims: dict[str, Any]) -> PersonRecord | None:
    """The civil-registry record of a Thai national (over HTTP, before any transaction),
    read through the exchange gateway on the subject basis; foreign nationals have none."""
    if claims.get("person_kind") == "foreign":
        return None
    pid = str(claims["pid"])
    try:
        return fetch_person_record(
            gateway.Consumer(gateway.PLATFORM, SIGN_IN_SYSTEM, subject_id=pid),
            pid,
            gateway.Purpose(step="digital_id_sign_in"),
        )
    except gateway.Refused as refused:
        raise _sign_in_error(refused) from refused


def _sign_in_error(refused: gateway.Refused) -> SignInError:
    """The sign-in error page for a gateway refusal (the reason is in the message log)."""
    reason = refused.reason
    if reason == gateway.Reason.INVALID_SUBJECT:
        return SignInError(
            _("Digital ID sent an invalid citizen ID"),
            code="invalid_pid",
        )
    if reason == gateway.Reason.NOT_FOUND:
        return SignInError(
            _("Your record was not found in the civil registry"),
            code="registry_not_found",
            status=403,
        )
    if reason == gateway.Reason.PROVIDER_UNAVAILABLE:
        return SignInError(
            _("The civil registry is not available, please try again later"),
            code="registry_unavailable",
            status=502,
        )
    if reason in NOT_CONFIGURED:
        log.error("sign-in cannot read the civil registry: %s (exchange set-up)", reason)
        return SignInError(
            _(
                "The portal is not connected to the civil registry's data "
                "service, so signing in is not possible now; please try again later"
            ),
            code="registry_not_configured",
            status=503,
        )
    log.error("the gateway refused the sign-in read: %s", reason)
    return SignInError(str(refused), code="registry_refused", status=403)


def _after_sign_in(request: HttpRequest, user: Any, next_url: str) -> HttpResponse:
    """Read which companies list the person as a director; when there is more than one
    party to act for, ask whom (the person acts for themselves until they choose)."""
    try:
        services.refresh_companies_of(user)
    except RegistryError as error:
        log.info("juristic registry unavailable at sign-in: %s", error)
        messages.warning(
            request,
            _("The juristic registry did not answer; your companies may not be up to date"),
        )
    if len(acting_options(user)) > 1:
        return redirect(f"{reverse('portal:acting')}?{urlencode({'next': next_url})}")
    return HttpResponseRedirect(next_url)


@never_cache
@login_required
@require_GET
def step_up(request: HttpRequest) -> HttpResponse:
    """``/auth/step-up/?aal=2&next=...``: ask Digital ID for a stronger sign-in (a second
    factor) for this session; the person comes back to ``next``."""
    try:
        wanted = int(request.GET.get("aal", "2"))
    except ValueError:
        wanted = 2
    if wanted not in (2, 3):
        wanted = 2
    next_url = _safe_next(request, request.GET.get("next"))
    if session_aal(request.user) >= wanted:
        return HttpResponseRedirect(next_url)
    if not getattr(request.user, "is_entrepreneur", False):
        raise Http404("entrepreneurs only")
    request.session[STEP_UP_KEY] = {"aal": wanted, "next": next_url}
    try:
        return get_provider().start(
            request,
            redirect_uri=_callback_uri(),
            # No prompt=login: the provider keeps the password sign-in and asks only
            # for the second factor.
            acr_values=f"urn:th:digitalid:aal:{wanted}",
        )
    except SignInError as error:
        request.session.pop(STEP_UP_KEY, None)
        return _failure(request, error)


def _finish_step_up(
    request: HttpRequest, claims: dict[str, Any], asked: dict[str, Any]
) -> HttpResponse:
    """The stronger sign-in must be the same person's, at the level asked for."""
    user = request.user
    if not user.is_authenticated or not _same_person(user, claims):
        raise SignInError(
            _("The second sign-in was someone else's"),
            code="step_up_other_person",
            status=403,
        )
    reached = confirmed_aal(claims)
    if reached < int(asked.get("aal", 2)):
        raise SignInError(
            _("The second factor was not confirmed"),
            code="insufficient_assurance",
            status=403,
        )
    request.session[AAL_SESSION_KEY] = reached
    services.record_step_up(user, claims)
    messages.success(
        request,
        _("Second factor confirmed (AAL%(level)s)") % {"level": reached},
    )
    return HttpResponseRedirect(_safe_next(request, asked.get("next")))


def _same_person(user: Any, claims: dict[str, Any]) -> bool:
    if user.citizen_id:
        return str(claims.get("pid") or "") == user.citizen_id
    return (
        str(claims.get("passport_no") or "").upper() == user.passport_no.upper()
        and str(claims.get("nationality") or "").upper() == user.nationality.upper()
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """``POST /auth/logout/``: end the portal session and, for a Digital ID sign-in, the
    provider's session too (RP-initiated logout); then home."""
    home = settings.BASE_URL + reverse(settings.LOGOUT_REDIRECT_URL)
    try:
        provider_logout = get_provider().end_session_url(request, post_logout_redirect_uri=home)
    except SignInError:
        provider_logout = None
    services.record_sign_out(request.user)
    django_logout(request)
    return redirect(provider_logout or settings.LOGOUT_REDIRECT_URL)


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """``POST /auth/refresh/``: read the person's details again from Digital ID with the
    session's refresh token (no browser round trip) and keep the account current."""
    user = request.user
    if not getattr(user, "is_entrepreneur", False):
        raise Http404("entrepreneurs only")
    try:
        info = get_provider().refresh(request)
        changed = services.update_from_userinfo(user, info)  # type: ignore[arg-type]
    except SignInError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Your details were read again from Digital ID")
            + (f" ({', '.join(changed)})" if changed else ""),
        )
    return redirect("portal:account")
