"""Thai Digital ID over OpenID Connect (authorization code + PKCE S256 + nonce).

The protocol is :class:`~bizportal.identity.contrib.oidc.OidcProvider`'s (Authlib).
This plugin adds what Digital ID needs on top: ``pid`` is required unless the person is
a foreign national (``person_kind: "foreign"``); a sign-in that asked for AAL2 must come
back at AAL2; the IAL is the ``ial`` claim and the AAL the lower of ``aal`` and the one
``acr`` names (``urn:th:digitalid:ial:2.1:aal:2``).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from bizportal.identity.contrib.oidc import OidcProvider
from bizportal.identity.providers import SignInError, providers

SCOPE = "openid pid profile email"

#: Portal-session keys of this plugin. The tokens stay out of the claims, which the
#: portal stores and audits; they are credentials, and live only as long as the session.
SESSION_ID_TOKEN = "digital_id.id_token"  # noqa: S105 - a session key, not a secret
SESSION_REFRESH_TOKEN = "digital_id.refresh_token"  # noqa: S105 - a session key
SESSION_SUBJECT = "digital_id.sub"

UNAVAILABLE = _("Digital ID is not available at the moment, please try again later")
REFRESH_REFUSED = _("Digital ID no longer confirms this sign-in, please sign in again")

_AAL_IN_ACR = re.compile(r"(?:^|:)aal:([0-9]+)$")


def _aal_of(acr: str) -> int:
    """The AAL an ``acr`` value names (``urn:th:digitalid:ial:2.1:aal:2`` → 2), else 0."""
    match = _AAL_IN_ACR.search(acr or "")
    return int(match.group(1)) if match else 0


def requested_aal(acr_values: str | None) -> int:
    """The highest AAL that space-separated ``acr_values`` ask for (0: none)."""
    return max((_aal_of(value) for value in (acr_values or "").split()), default=0)


def confirmed_aal(claims: dict[str, Any]) -> int:
    """The AAL the ID token confirms. When both ``aal`` and ``acr`` are present the lower
    counts: a provider contradicting itself gets the benefit of no doubt."""
    levels = []
    if str(claims.get("aal", "")).isdigit():
        levels.append(int(claims["aal"]))
    if claims.get("acr"):
        levels.append(_aal_of(str(claims["acr"])))
    return min(levels, default=0)


@providers.register("digital_id")
class DigitalIdProvider(OidcProvider):
    label_th = "ดิจิทัลไอดี"
    label_en = "Digital ID"
    name = "digital_id"
    scope = SCOPE
    issuer_setting = "OIDC_ISSUER"
    client_id_setting = "OIDC_CLIENT_ID"
    client_secret_setting = "OIDC_CLIENT_SECRET"  # noqa: S105 - a setting's name
    unavailable_message = UNAVAILABLE
    refused_message = _("Digital ID did not confirm this sign-in")
    refresh_refused_message = REFRESH_REFUSED
    no_token_message = _("Digital ID sent no identity token")
    #: Asked for a higher IAL (``urn:th:digitalid:ial:2.3``), it proves the person again.
    raises_ial = True

    def check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("person_kind") != "foreign" and not claims.get("pid"):
            raise SignInError(_("Digital ID did not send a citizen ID"), code="missing_pid")

    def assurance(self, claims: dict[str, Any]) -> tuple[str, int]:
        return str(claims.get("ial") or ""), confirmed_aal(claims)

    def asked_more_than_confirmed(self, acr_values: str, claims: dict[str, Any]) -> bool:
        wanted = requested_aal(acr_values)
        return bool(wanted) and confirmed_aal(claims) < wanted
