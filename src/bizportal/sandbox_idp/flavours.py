"""The sandbox provider speaks as two providers: DGA's Digital ID (``/sandbox/idp/``) and
DOPA's ThaID (``/sandbox/thaid/``).

Both are the same Authlib server and the same people; what differs is what a relying
party sees: the issuer, the registered client, the scopes and claims, and the ``acr``
values. The URL a request came in on decides the flavour (:func:`flavoured` wraps each
view), and the code that builds answers asks :func:`current` instead of assuming
Digital ID.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Claims released per scope, Digital ID's names. ``sub`` and the assurance claims are
#: always released: a relying party cannot judge a sign-in without them. ``pid`` covers
#: the person's identity document: the citizen ID, or for a foreign national the passport
#: (and the 13-digit Thai ID only when they have one).
DIGITAL_ID_SCOPES: dict[str, tuple[str, ...]] = {
    "openid": ("sub", "ial"),
    "pid": ("pid", "person_kind", "passport_no", "nationality"),
    "profile": ("name", "given_name", "family_name", "name_en", "given_name_en", "family_name_en"),
    "email": ("email", "email_verified"),
}

#: ThaID's scopes, each releasing the claim of the same name (names: all three parts).
THAID_SCOPES: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "pid": ("pid",),
    "name": ("name", "given_name", "family_name"),
    "name_en": ("name_en", "given_name_en", "family_name_en"),
    "given_name": ("given_name",),
    "family_name": ("family_name",),
    "birthdate": ("birthdate",),
}


def digital_id_acr(ial: str, aal: str) -> str:
    """IAL and AAL together, because relying parties decide on both
    (``urn:th:digitalid:ial:2.1:aal:1``)."""
    return f"urn:th:digitalid:ial:{ial}:aal:{aal}"


def thaid_acr(ial: str, aal: str) -> str:
    """How the person's ThaID app was enrolled (the ThaID plugin's table): at a counter
    (IAL 3), in the app with a face comparison (IAL 2.2 and 2.3), or with the card alone."""
    if ial == "3":
        return "thaid:counter"
    if ial in ("2.2", "2.3"):
        return "thaid:face"
    return "thaid:card"


@dataclass(frozen=True)
class Flavour:
    name: str
    label: str
    namespace: str
    client_id_setting: str
    client_secret_setting: str
    scopes: dict[str, tuple[str, ...]]
    acr: Callable[[str, str], str]
    acr_values: tuple[str, ...]


DIGITAL_ID = Flavour(
    name="digital_id",
    label="Digital ID",
    namespace="sandbox_idp",
    client_id_setting="OIDC_CLIENT_ID",
    client_secret_setting="OIDC_CLIENT_SECRET",  # noqa: S106 - a setting's name
    scopes=DIGITAL_ID_SCOPES,
    acr=digital_id_acr,
    acr_values=(),  # built by the discovery view from the IAL and AAL levels
)
THAID = Flavour(
    name="thaid",
    label="ThaID",
    namespace="sandbox_thaid",
    client_id_setting="THAID_CLIENT_ID",
    client_secret_setting="THAID_CLIENT_SECRET",  # noqa: S106 - a setting's name
    scopes=THAID_SCOPES,
    acr=thaid_acr,
    acr_values=("thaid:counter", "thaid:face", "thaid:card"),
)
FLAVOURS = {flavour.name: flavour for flavour in (DIGITAL_ID, THAID)}
#: Every scope either flavour knows (Authlib's server checks requests against these).
ALL_SCOPES = tuple(dict.fromkeys([*DIGITAL_ID_SCOPES, *THAID_SCOPES]))

_current: contextvars.ContextVar[Flavour] = contextvars.ContextVar(
    "sandbox_idp_flavour", default=DIGITAL_ID
)


def current() -> Flavour:
    """The flavour of the request being answered (Digital ID outside a request)."""
    return _current.get()


def flavoured(name: str, view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` answering as flavour ``name``; 503 while that provider is stopped (the
    NDID node has no OIDC flavour, only the switch)."""

    @functools.wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        from .switches import stopped_response  # models load after the URLconf

        token = _current.set(FLAVOURS.get(name, DIGITAL_ID))
        try:
            return stopped_response(name) or view(request, *args, **kwargs)
        finally:
            _current.reset(token)

    return wrapper
