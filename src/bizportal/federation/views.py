"""The provider's endpoints (discovery, keys, token); the pages where a company's
director approves and revokes system users and client representatives (accountant
firms), and where a software vendor's director registers its systems and their keys."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.catalog.models import Service
from bizportal.core import audit, authz
from bizportal.identity import services as identity_services
from bizportal.identity.acting import AAL_SESSION_KEY, Acting, account_of, options
from bizportal.identity.models import ClientRepresentation, MandateAction

from . import server as authorization
from . import services
from .keys import CLIENT_ALGORITHMS, public_jwks
from .models import TOKEN_EXCHANGE, FederatedClient, SystemUserApproval


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """Authorisation server metadata (RFC 8414), at the OpenID Connect discovery path.

    Lists only what this server does: agency services sign people in (authorization
    code, PKCE S256, ID token, userinfo) and exchange the person's token to call the API
    for them (RFC 8693), system users get client credentials, all with ``private_key_jwt``.
    """
    base = services.issuer()
    return JsonResponse(
        {
            "issuer": base,
            "token_endpoint": base + reverse("federation:token"),
            "jwks_uri": base + reverse("federation:jwks"),
            "authorization_endpoint": base + reverse("federation:authorize"),
            "userinfo_endpoint": base + reverse("federation:userinfo"),
            "grant_types_supported": ["authorization_code", "client_credentials", TOKEN_EXCHANGE],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "pid", "name", "name_en", "ial", "aal", "acr", "act_for"],
            "acr_values_supported": [f"urn:th:bizportal:aal:{n}" for n in (1, 2, 3)],
            "token_endpoint_auth_methods_supported": [authorization.AUTH_METHOD],
            "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ALGORITHMS),
            "authorization_details_types_supported": [services.AUTHORIZATION_DETAILS_TYPE],
            "scopes_supported": ["openid", "profile", "act_for", "applications"],
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The public keys that verify the portal's tokens."""
    return JsonResponse(public_jwks())


@csrf_exempt  # an OAuth endpoint: clients authenticate with a signed assertion
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    response: HttpResponse = authorization.server.create_token_response(request)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """An agency service signs the person in: with their portal session (Digital ID
    first if there is none), they choose whom they act for and agree once more per
    visit; the service gets who they are, whom they act for and the assurance levels."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("identity:login"))
    user = account_of(request)
    if not user.is_entrepreneur:
        raise PermissionDenied("entrepreneurs only")
    try:
        grant = authorization.server.get_consent_grant(request, end_user=user)
        if "openid" not in (grant.request.scope or "").split():
            raise InvalidScopeError("The 'openid' scope is required.")
    except OAuth2Error as error:
        # Strings, not the error: a template would call it (OAuth2Error is callable).
        context = {"oauth_error": str(error.error), "description": str(error.description or "")}
        return render(request, "federation/authorize_error.html", context, status=400)
    choices = options(user)
    failed = False
    if request.method == "POST":
        chosen = next(
            (c for c in choices if str(c.party.public_id) == request.POST.get("party", "")), None
        )
        if chosen is not None:
            grant.request.act_for = chosen
            grant.request.session_aal = int(request.session.get(AAL_SESSION_KEY, 1))
            response: HttpResponse = authorization.server.create_authorization_response(
                request, grant_user=user, grant=grant
            )
            return response
        failed = True
    return render(
        request,
        "federation/authorize.html",
        {"client": grant.client, "choices": choices, "failed": failed},
        status=400 if failed else 200,
    )


@never_cache
@csrf_exempt  # a bearer-token endpoint, no cookies
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> JsonResponse:
    """The person's claims for the access token the agency service holds."""
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    try:
        item, _claims = services.verify_access_token(token, services.userinfo_audience())
    except services.InvalidToken:
        response = JsonResponse({"error": "invalid_token"}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    code = item.code
    if item.party is None or code is None:
        return JsonResponse({"error": "insufficient_scope"}, status=403)
    audit.record(
        "federation.userinfo_read", item.client, actor=item.user, client_id=item.client.client_id
    )
    return JsonResponse(
        services.person_claims(item.user, item.party, code.basis, code.mandate_id, code.aal)
    )


class ApprovalForm(forms.Form):
    services = forms.MultipleChoiceField(
        label=pgettext_lazy("system users", "Services"), widget=forms.CheckboxSelectMultiple
    )
    actions = forms.MultipleChoiceField(
        label=pgettext_lazy("system users", "Actions"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, client: FederatedClient, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested = list(client.requested_services.order_by("name_th"))
        services_field: Any = self.fields["services"]
        services_field.choices = [(s.slug, str(s)) for s in self.requested]
        actions_field: Any = self.fields["actions"]
        actions_field.choices = [
            (a, MandateAction(a).label)
            for a in client.requested_actions or []
            if a in MandateAction.values
        ]

    def chosen_services(self) -> list[Any]:
        slugs = set(self.cleaned_data["services"])
        return [s for s in self.requested if s.slug in slugs]


def _director(request: HttpRequest) -> Acting:
    """The company the session acts for, as one of its directors."""
    acting: Acting | None = getattr(request, "acting", None)
    if acting is None:
        raise PermissionDenied("entrepreneurs only")
    return acting


@login_required
@never_cache
@require_GET
def systems(request: HttpRequest) -> HttpResponse:
    """``/account/systems/``: the systems the company approved, and those it may approve."""
    acting = _director(request)
    may_approve = authz.allowed(request.user, "federation.approve_system", acting.party)
    approvals = (
        SystemUserApproval.objects.filter(company=acting.party)
        .select_related("client__vendor", "approved_by")
        .prefetch_related("services")
        .order_by("-approved_at")
        if may_approve
        else []
    )
    approved = {a.client_id for a in approvals if a.revoked_at is None}
    available = (
        FederatedClient.objects.filter(kind=FederatedClient.Kind.VENDOR_SYSTEM, active=True)
        .select_related("vendor")
        .exclude(pk__in=approved)
        .order_by("name")
        if may_approve
        else []
    )
    return render(
        request,
        "federation/systems.html",
        {
            "acting": acting,
            "may_approve": may_approve,
            "approvals": approvals,
            "available": available,
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def approve(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Approve one vendor system for the company, with a subset of what it asked for."""
    acting = _director(request)
    authz.require(request.user, "federation.approve_system", acting.party, hide=False)
    client = get_object_or_404(
        FederatedClient, public_id=public_id, kind=FederatedClient.Kind.VENDOR_SYSTEM, active=True
    )
    form = ApprovalForm(client, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.approve(
                client,
                acting.party,
                actor=request.user,
                services=form.chosen_services(),
                actions=form.cleaned_data["actions"],
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(system)s may now act for the company") % {"system": client.name}
            )
            return redirect("federation:systems")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "federation/approve.html",
        {"acting": acting, "client": client, "form": form},
        status=status,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Revoke an approval: the system is refused from its next request on."""
    acting = _director(request)
    approval = get_object_or_404(SystemUserApproval, public_id=public_id, company=acting.party)
    try:
        services.revoke(approval, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Approval revoked: the system can no longer act for the company")
        )
    return redirect("federation:systems")


def _published_services() -> Any:
    return Service.objects.filter(is_published=True).order_by("name_th")


class RightsForm(forms.Form):
    """Services and actions: what a system asks for, or a firm is approved for."""

    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        to_field_name="slug",
        label=pgettext_lazy("system users", "Services"),
        widget=forms.CheckboxSelectMultiple,
    )
    actions = forms.MultipleChoiceField(
        choices=MandateAction.choices,
        label=pgettext_lazy("system users", "Actions"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services_field: Any = self.fields["services"]
        services_field.queryset = _published_services()


class RegisterForm(RightsForm):
    name = forms.CharField(label=pgettext_lazy("system users", "System name"), max_length=200)
    jwks = forms.CharField(
        label=gettext_lazy("Public keys (JWKS)"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=gettext_lazy('{"keys": [...]}: public RS256, ES256 or PS256 signing keys only'),
    )
    field_order = ["name", "jwks", "services", "actions"]


class KeysForm(forms.Form):
    jwks = forms.CharField(
        label=gettext_lazy("New public keys (JWKS)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )


class RepresentativeForm(RightsForm):
    firm = forms.CharField(
        label=gettext_lazy("The firm's juristic person ID"),
        max_length=20,
        help_text=gettext_lazy("13 digits, e.g. the accountant firm's registration number"),
    )
    field_order = ["firm", "services", "actions"]


def _vendor_page(
    request: HttpRequest,
    acting: Acting,
    *,
    keys_form: KeysForm | None = None,
    failed: Any = None,
    status: int = 200,
) -> HttpResponse:
    may_register = authz.allowed(request.user, "federation.register_system", acting.party)
    systems = (
        FederatedClient.objects.filter(vendor=acting.party, kind=FederatedClient.Kind.VENDOR_SYSTEM)
        .prefetch_related("requested_services")
        .order_by("name")
        if may_register
        else []
    )
    return render(
        request,
        "federation/vendor_systems.html",
        {
            "acting": acting,
            "may_register": may_register,
            "systems": systems,
            "keys_form": keys_form or KeysForm(),
            "failed": failed,
        },
        status=status,
    )


@login_required
@never_cache
@require_GET
def vendor_systems(request: HttpRequest) -> HttpResponse:
    """``/account/systems/vendor/``: the systems the company registered as a software
    vendor, with their ``client_id`` and keys (the vendor's own, nobody else's)."""
    return _vendor_page(request, _director(request))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """A vendor's director registers a system: name, public keys, rights it will ask."""
    acting = _director(request)
    authz.require(request.user, "federation.register_system", acting.party, hide=False)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.register_system(
                acting,
                name=form.cleaned_data["name"],
                jwks=form.cleaned_data["jwks"],
                services=form.cleaned_data["services"],
                actions=form.cleaned_data["actions"],
            )
        except ValidationError as error:
            form.add_error("jwks" if error.code and "jwks" in error.code else None, error)
        else:
            messages.success(
                request,
                _("%(system)s is registered; its client_id is %(client_id)s")
                % {"system": client.name, "client_id": client.client_id},
            )
            return redirect("federation:vendor-systems")
    return render(
        request,
        "federation/register.html",
        {"acting": acting, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def rotate_keys(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Replace a system's public keys (the vendor's own systems only)."""
    acting = _director(request)
    client = get_object_or_404(
        FederatedClient,
        public_id=public_id,
        vendor=acting.party,
        kind=FederatedClient.Kind.VENDOR_SYSTEM,
    )
    form = KeysForm(request.POST)
    if form.is_valid():
        try:
            services.rotate_keys(client, acting, jwks=form.cleaned_data["jwks"])
        except ValidationError as error:
            form.add_error("jwks", error)
        else:
            messages.success(
                request, _("The keys of %(system)s were replaced") % {"system": client.name}
            )
            return redirect("federation:vendor-systems")
    return _vendor_page(request, acting, keys_form=form, failed=client, status=400)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def representatives(request: HttpRequest) -> HttpResponse:
    """``/account/representatives/``: the firms (accountants) the company approved as
    its client representatives, and the clients the company represents as a firm."""
    acting = _director(request)
    may_approve = authz.allowed(request.user, "federation.approve_representative", acting.party)
    form = RepresentativeForm(request.POST or None)
    if request.method == "POST":
        authz.require(request.user, "federation.approve_representative", acting.party, hide=False)
        if form.is_valid():
            try:
                firm = identity_services.firm_by_juristic_id(
                    form.cleaned_data["firm"], actor=request.user
                )
                identity_services.approve_representative(
                    acting,
                    firm,
                    services=list(form.cleaned_data["services"]),
                    actions=form.cleaned_data["actions"],
                )
            except (ValidationError, identity_services.PartyError) as error:
                form.add_error(
                    "firm" if isinstance(error, ValidationError) and error.code == "firm" else None,
                    " ".join(getattr(error, "messages", [str(error)])),
                )
            else:
                messages.success(
                    request,
                    _("%(firm)s may now act for the company within the rights you chose")
                    % {"firm": firm},
                )
                return redirect("federation:representatives")
    approved = (
        ClientRepresentation.objects.filter(client=acting.party)
        .select_related("firm", "approved_by")
        .prefetch_related("services")
        if may_approve
        else []
    )
    clients = (
        ClientRepresentation.objects.filter(firm=acting.party, revoked_at__isnull=True)
        .select_related("client")
        .prefetch_related("services")
        if may_approve
        else []
    )
    return render(
        request,
        "federation/representatives.html",
        {
            "acting": acting,
            "may_approve": may_approve,
            "approved": approved,
            "clients": clients,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def revoke_representative(request: HttpRequest, public_id: Any) -> HttpResponse:
    """End a firm's approval: its people and systems are refused from their next request."""
    acting = _director(request)
    representation = get_object_or_404(
        ClientRepresentation, public_id=public_id, client=acting.party
    )
    try:
        identity_services.revoke_representative(representation, acting)
    except identity_services.PartyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Approval revoked: the firm can no longer act for the company"))
    return redirect("federation:representatives")
