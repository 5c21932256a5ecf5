"""Sign-in with the identity providers (OpenID Connect relying party): the page that
offers the enabled providers side by side, login, callback, logout.

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
from .providers import IdentityProvider, SignInError, availability, enabled, get_provider
from .providers import providers as registered_providers

log = logging.getLogger(__name__)

NEXT_KEY = "identity.next"
STEP_UP_KEY = "identity.step_up"
#: Which provider the round trip under way went to, and which one signed this session in.
STARTED_KEY = "identity.started_with"
PROVIDER_KEY = "identity.provider"


def _plugin_keys() -> tuple[str, ...]:
    """Session-key prefixes the provider plugins own (e.g. ``digital_id.id_token``)."""
    return tuple(f"{name}." for name, _plugin in registered_providers)


def _session_provider(request: HttpRequest) -> IdentityProvider:
    """The provider that signed this session in (the default one for older sessions)."""
    name = request.session.get(PROVIDER_KEY)
    return get_provider(name if name in registered_providers else None)


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
    log.info("sign-in failed: %s", error.code)
    return render(
        request,
        "identity/error.html",
        {"message": str(error), "code": error.code, "retry_url": reverse("identity:login")},
        status=error.status,
    )


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """``/auth/login/?next=...``: the enabled providers side by side, each shown as
    available or not; with only one enabled, straight to it (as old links expect)."""
    names = enabled()
    if len(names) == 1:
        return login_with(request, names[0])
    return render(
        request,
        "identity/login.html",
        {
            "providers": [availability(name) for name in names],
            "next": _safe_next(request, request.GET.get("next")),
        },
    )


@never_cache
@require_GET
def login_with(request: HttpRequest, provider: str) -> HttpResponse:
    """``/auth/login/<provider>/?next=...``: start the round trip with that provider."""
    if provider not in enabled():
        raise Http404("no such identity provider")
    if not availability(provider).available:
        message = getattr(get_provider(provider), "unavailable_message", "") or _(
            "This way of signing in is not available at the moment; please choose "
            "another one or try again in a few minutes"
        )
        return _failure(request, SignInError(message, code="provider_unavailable", status=502))
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    request.session[STARTED_KEY] = provider
    try:
        return get_provider(provider).start(request, redirect_uri=_callback_uri())
    except SignInError as error:
        return _failure(request, error)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """``/auth/callback/``: verify the answer, read the registry, sign the person in
    (or, after a step-up, raise the session's assurance)."""
    step_up = request.session.pop(STEP_UP_KEY, None)
    name = request.session.pop(STARTED_KEY, None) or settings.IDENTITY_PROVIDER
    if name not in registered_providers:
        raise Http404("no such identity provider")
    provider = get_provider(name)
    try:
        claims = provider.finish(request)
        ial, aal = provider.assurance(claims)
        if step_up is not None and "ial" in step_up:
            return _finish_ial_step_up(request, claims, step_up, name, ial)
        if step_up is not None:
            return _finish_step_up(request, claims, step_up, aal)
        user = services.sign_in_with_digital_id(
            claims, _registry_record(claims), provider=name, ial=ial, aal=aal
        )
    except SignInError as error:
        return _failure(request, error)

    next_url = _safe_next(request, request.session.pop(NEXT_KEY, None))
    # login() empties the session when someone else was signed in on this browser: keep
    # what the provider plugin stored for sign-out and refresh across it.
    kept = {k: v for k, v in request.session.items() if k.startswith(_plugin_keys())}
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.update(kept)
    request.session[PROVIDER_KEY] = name
    request.session[AAL_SESSION_KEY] = max(aal, 1)
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
    factor) for this session; the person comes back to ``next``. With ``?ial=2.3``
    instead: ask the provider to prove the person's identity at that IAL."""
    if "ial" in request.GET:
        return _step_up_ial(request, request.GET["ial"])
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
    request.session[STARTED_KEY] = request.session.get(PROVIDER_KEY) or settings.IDENTITY_PROVIDER
    try:
        return _session_provider(request).start(
            request,
            redirect_uri=_callback_uri(),
            # No prompt=login: the provider keeps the password sign-in and asks only
            # for the second factor.
            acr_values=f"urn:th:digitalid:aal:{wanted}",
        )
    except SignInError as error:
        request.session.pop(STEP_UP_KEY, None)
        return _failure(request, error)


def _step_up_ial(request: HttpRequest, wanted: str) -> HttpResponse:
    """Send the person to their provider with ``acr_values`` asking for IAL ``wanted``."""
    next_url = _safe_next(request, request.GET.get("next"))
    if wanted not in services.IAL_ORDER:
        return _failure(request, SignInError(_("Unknown identity assurance level"), code="bad_ial"))
    if services.meets_assurance(request.user, wanted):
        return HttpResponseRedirect(next_url)
    if not getattr(request.user, "is_entrepreneur", False):
        raise Http404("entrepreneurs only")
    provider = _session_provider(request)
    if not getattr(provider, "raises_ial", False):
        return _failure(
            request,
            SignInError(
                _(
                    "The provider you signed in with cannot prove your identity at a higher "
                    "level; sign in with Digital ID, or visit a service counter"
                ),
                code="provider_cannot_raise_ial",
                status=409,
            ),
        )
    request.session[STEP_UP_KEY] = {"ial": wanted, "next": next_url}
    request.session[STARTED_KEY] = request.session.get(PROVIDER_KEY) or settings.IDENTITY_PROVIDER
    try:
        return provider.start(
            request, redirect_uri=_callback_uri(), acr_values=f"urn:th:digitalid:ial:{wanted}"
        )
    except SignInError as error:
        request.session.pop(STEP_UP_KEY, None)
        return _failure(request, error)


def _finish_ial_step_up(
    request: HttpRequest, claims: dict[str, Any], asked: dict[str, Any], name: str, ial: str
) -> HttpResponse:
    """The proofing must be the same person's and reach the IAL asked for."""
    user = request.user
    if not user.is_authenticated or not _same_person(user, claims):
        raise SignInError(
            _("The second sign-in was someone else's"), code="step_up_other_person", status=403
        )
    if not services.ial_reaches(ial, asked["ial"]):
        raise SignInError(
            _("Your identity was not proved at the level asked for"),
            code="insufficient_ial",
            status=403,
        )
    services.record_provider_proofing(user, name, ial)  # type: ignore[arg-type]
    messages.success(request, _("Identity proved at IAL %(level)s") % {"level": ial})
    return HttpResponseRedirect(_safe_next(request, asked.get("next")))


def _finish_step_up(
    request: HttpRequest, claims: dict[str, Any], asked: dict[str, Any], reached: int
) -> HttpResponse:
    """The stronger sign-in must be the same person's, at the level asked for."""
    user = request.user
    if not user.is_authenticated or not _same_person(user, claims):
        raise SignInError(
            _("The second sign-in was someone else's"),
            code="step_up_other_person",
            status=403,
        )
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
        provider_logout = _session_provider(request).end_session_url(
            request, post_logout_redirect_uri=home
        )
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
        info = _session_provider(request).refresh(request)
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
