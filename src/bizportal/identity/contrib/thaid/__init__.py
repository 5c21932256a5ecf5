"""DOPA's ThaID over OpenID Connect: the same protocol as Digital ID (the shared
:class:`~bizportal.identity.contrib.oidc.OidcProvider`), with ThaID's own scopes, claims
and ``acr`` values.

ThaID releases ``pid`` (the 13-digit ID of the card holder: Thai citizens and foreign
residents with a Thai ID alike), ``name``/``name_en``, ``given_name``/``family_name``
(and ``_en``), ``birthdate`` and ``address`` under scopes of the same names. A person
signs in with the ThaID app on the phone they enrolled, with its PIN, so every sign-in
is two factors (the device and the PIN): AAL 2. How the app was enrolled decides the
identity assurance, which ThaID states in ``acr``:

===================  =====================================================  =====  ===
``acr``              how the ThaID app was enrolled                          IAL    AAL
===================  =====================================================  =====  ===
``thaid:counter``    at a DOPA counter, ID card chip read by an officer      3      2
``thaid:face``       in the app: ID card chip + face compared to its photo   2.3    2
``thaid:card``       in the app: ID card details, no face comparison         2.1    2
anything else        (not a ThaID value)                                     none   1
===================  =====================================================  =====  ===

The plugin maps ThaID's claims to the portal's names (Digital ID's) and adds ``ial``
and ``aal`` from this table, keeping ``acr`` as sent.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from bizportal.identity.contrib.oidc import OidcProvider
from bizportal.identity.providers import SignInError, providers

SCOPE = "openid pid name name_en given_name family_name birthdate"

#: ThaID ``acr`` → (IAL, AAL): the table in the module docstring.
ASSURANCE: dict[str, tuple[str, int]] = {
    "thaid:counter": ("3", 2),
    "thaid:face": ("2.3", 2),
    "thaid:card": ("2.1", 2),
}

#: Claims passed through under the portal's name for them (ThaID's are the same names).
PASSED = (
    "sub",
    "iss",
    "acr",
    "pid",
    "name",
    "name_en",
    "given_name",
    "family_name",
    "given_name_en",
    "family_name_en",
    "birthdate",
)


@providers.register("thaid")
class ThaIdProvider(OidcProvider):
    label_th = "ไทยดี (ThaID)"
    label_en = "ThaID"
    name = "thaid"
    scope = SCOPE
    issuer_setting = "THAID_ISSUER"
    client_id_setting = "THAID_CLIENT_ID"
    client_secret_setting = "THAID_CLIENT_SECRET"  # noqa: S105 - a setting's name
    unavailable_message = _("ThaID is not available at the moment, please try again later")
    refused_message = _("ThaID did not confirm this sign-in")
    refresh_refused_message = _("ThaID no longer confirms this sign-in, please sign in again")
    no_token_message = _("ThaID sent no identity token")

    def map_claims(self, claims: dict[str, Any]) -> dict[str, Any]:
        mapped = {name: claims[name] for name in PASSED if claims.get(name) not in (None, "")}
        mapped["person_kind"] = "thai"  # a ThaID always has the 13-digit ID
        ial, aal = self.assurance(mapped)
        mapped["ial"], mapped["aal"] = ial, aal
        return mapped

    def check_claims(self, claims: dict[str, Any]) -> None:
        if not claims.get("pid"):
            raise SignInError(_("ThaID did not send a citizen ID"), code="missing_pid")

    def assurance(self, claims: dict[str, Any]) -> tuple[str, int]:
        return ASSURANCE.get(str(claims.get("acr") or ""), ("", 1))

    def asked_more_than_confirmed(self, acr_values: str, claims: dict[str, Any]) -> bool:
        """ThaID is always AAL2; asking for AAL3 cannot be met."""
        return "aal:3" in acr_values and self.assurance(claims)[1] < 3
