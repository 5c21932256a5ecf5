"""Bearer access tokens the portal signed, accepted on ``/api/v1/``.

A system user's token names the approval it was issued under; the approval is read
again on every request, so a revoked one stops the system at its next call. The
request then carries the same ``acting`` (basis "system") that the session middleware
gives a person, so every existing check of the API applies to systems unchanged.

An agency service acting for a person it signed in holds an *exchanged* token (RFC
8693, ``act`` naming the service): the request acts for the party the person chose at
sign-in, on grounds re-checked now, with the sign-in's assurance, and every request is
audited naming the person, the service and the party. A plain sign-in access token is
refused here: it is good at ``/oidc/userinfo`` only.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from bizportal.identity.acting import Acting, grounds

from . import services
from .models import IssuedToken, SystemUserApproval

#: A key-bound client authentication (private_key_jwt) counts as a second factor.
SYSTEM_AAL = 2


class PortalTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <JWT>`` with a token from ``/oidc/token``."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token"))
        token = header[1].decode("ascii", "replace")
        if token.count(".") != 2:
            return None  # not ours (e.g. an agency system's opaque /o/token/ token)
        try:
            item, claims = services.verify_access_token(token)
        except services.InvalidToken as error:
            services.refused("federation.api_refused", "", str(error), path=request.path[:200])
            raise exceptions.AuthenticationFailed(_("The access token is not valid")) from error
        user = item.user
        if item.approval is not None:
            self._as_system(request, item)
        elif item.is_exchanged_token:
            self._as_person(request, item)
        else:
            services.refused(
                "federation.api_refused",
                item.client.client_id,
                "not an API token",
                path=request.path[:200],
            )
            raise exceptions.AuthenticationFailed(_("The access token is not valid"))
        return user, claims

    def _as_person(self, request: Request, item: IssuedToken) -> None:
        """An agency service acting for the person (an exchanged token): the party the
        person chose at sign-in, if the grounds still hold today."""
        user = item.user
        acting = grounds(user, item.party) if item.party is not None and user.is_active else None
        if acting is None:
            services.refused(
                "federation.api_refused",
                item.client.client_id,
                "the person may no longer act for the party",
                path=request.path[:200],
                person=str(user.public_id),
                on_behalf_of=item.party.key if item.party is not None else "",
            )
            raise exceptions.AuthenticationFailed(
                _("The person may no longer act for the party chosen at sign-in")
            )
        user.session_aal = item.code.aal if item.code is not None else 1
        user.acting_system = item.client  # type: ignore[attr-defined]
        user.acting = acting
        request._request.acting = acting  # type: ignore[attr-defined]
        services.record_api_use(item, acting, request.method or "", request.path)

    def _as_system(self, request: Request, item: IssuedToken) -> None:
        approval = SystemUserApproval.objects.select_related(
            "client__vendor", "company", "approved_by"
        ).get(pk=item.approval_id or 0)
        grant: SystemUserApproval | services.FirmGrant = approval
        company = approval.company
        reason = "approval revoked" if not approval.in_force or not item.user.is_system else ""
        if not reason and item.party_id is not None and item.party_id != approval.company_id:
            # A token for a client of the firm that approved the system: the client's
            # approval of the firm must still be in force too.
            representation = services.representation_in_force(approval.company_id, item.party_id)
            if representation is None:
                reason = "representation revoked"
            else:
                grant = services.FirmGrant(approval, representation)
                company = representation.client
        if reason:
            services.refused(
                "federation.api_refused",
                item.client.client_id,
                reason,
                path=request.path[:200],
                on_behalf_of=item.party.key if item.party is not None else company.key,
                **approval.audit_data(),
            )
            # 403, not 401 (RFC 6750 §3.1): the token itself is still valid, the
            # authority behind it is gone; asking for a new token will not help.
            raise exceptions.PermissionDenied(
                _("The company's approval of this system has been revoked")
                if reason == "approval revoked"
                else _("The company's approval of the firm that runs this system has been revoked"),
                code="system-approval-revoked",
            )
        user = item.user
        user.system_grant = grant  # type: ignore[attr-defined]
        user.session_aal = SYSTEM_AAL
        user.identity_assurance = approval.approved_ial
        user.responsible_person = approval.approved_by  # type: ignore[attr-defined]
        acting = Acting(user, company, "system", grant=grant)
        user.acting = acting
        request._request.acting = acting  # type: ignore[attr-defined]

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class PortalTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the scheme in the OpenAPI document."""

    target_class = "bizportal.federation.authentication.PortalTokenAuthentication"
    name = "portalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
