"""Sign-in through the NDID network: the portal is a relying party (RP) with its own NDID
node, and speaks the node's asynchronous RP API over HTTP.

1. The person gives their citizen ID and chooses their IdP (a bank, a mobile operator)
   from the node's list (``GET /utility/idp``).
2. The portal asks its node: ``POST /rp/requests/citizen_id/{pid}`` with ``mode``,
   ``reference_id``, ``idp_id_list`` (the chosen IdP), ``callback_url``,
   ``data_request_list`` (empty: identity only), ``request_message``, ``min_ial``,
   ``min_aal``, ``min_idp`` and ``request_timeout``; the node answers at once with its
   ``request_id``.
3. The person approves at the IdP (its app); the node then POSTs the request status to
   ``callback_url``: ``pending`` → ``completed`` / ``rejected`` / ``timed_out``, the
   IdP's ``ial`` and ``aal`` in ``response_valid_list``. The callback is signed with
   HMAC-SHA256 (header ``X-NDID-Signature: t=<unix>,v1=<hex>`` over ``t.body``, key
   ``NDID_CALLBACK_SECRET``); a bad signature, an unknown request and a replay (a
   status for a request already closed) are refused and audited.
4. The browser waits on a page that reloads itself; once completed, it goes to the
   portal's callback, where :meth:`NdidProvider.finish` hands over the claims.

Assurance is what the IdP answered (NDID's IAL 1.1-3 and AAL 1-3 are ETDA's levels, the
portal's own), never less than the request's ``min_ial``/``min_aal``, which the node
enforces and the portal checks again.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bizportal.identity.providers import SignInError, probe_url, providers

SIGNATURE_HEADER = "X-NDID-Signature"
TOLERANCE_SECONDS = 300
TIMEOUT = 10
#: In the portal session: the NDID request this browser started.
SESSION_REQUEST = "ndid.request"

UNAVAILABLE = _("The NDID network is not available at the moment, please try again later")


class SignatureError(ValueError):
    """A callback whose signature does not verify; ``str()`` says why (for the audit)."""


def verify_signature(header: str, body: bytes, *, now: float | None = None) -> None:
    """Check the node's ``t=<unix>,v1=<hex>`` HMAC over ``t.body``, within the tolerance."""
    parts = dict(item.strip().partition("=")[::2] for item in (header or "").split(","))
    try:
        moment = int(parts["t"])
    except (KeyError, ValueError):
        raise SignatureError("no signing time") from None
    if abs((time.time() if now is None else now) - moment) > TOLERANCE_SECONDS:
        raise SignatureError("signing time outside the tolerance")
    secret = settings.NDID_CALLBACK_SECRET.encode()
    expected = hmac.new(secret, f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise SignatureError("signature does not match")


def _node(path: str) -> str:
    return settings.NDID_NODE_URL + path


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.NDID_NODE_TOKEN}"}


def list_idps() -> list[dict[str, Any]]:
    """The IdPs the node knows that can reach ``NDID_MIN_IAL`` (``node_id``, names)."""
    try:
        answer = requests.get(
            _node("/utility/idp"),
            params={"min_ial": settings.NDID_MIN_IAL, "min_aal": settings.NDID_MIN_AAL},
            headers=_headers(),
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        return [idp for idp in answer.json() if isinstance(idp, dict) and idp.get("node_id")]
    except (requests.RequestException, ValueError) as error:
        raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error


def create_request(
    *, pid: str, idp_id: str, reference_id: str, callback_url: str
) -> dict[str, Any]:
    """POST the identity request to the node; its answer (``request_id``)."""
    body = {
        "mode": 2,
        "reference_id": reference_id,
        "idp_id_list": [idp_id],
        "callback_url": callback_url,
        "data_request_list": [],
        "request_message": "Biz Portal: sign in / เข้าสู่ระบบบิซพอร์ทัล",
        "min_ial": float(settings.NDID_MIN_IAL),
        "min_aal": float(settings.NDID_MIN_AAL),
        "min_idp": 1,
        "request_timeout": settings.NDID_REQUEST_TIMEOUT,
        "bypass_identity_check": False,
    }
    try:
        answer = requests.post(
            _node(f"/rp/requests/citizen_id/{pid}"), json=body, headers=_headers(), timeout=TIMEOUT
        )
        answer.raise_for_status()
        data = dict(answer.json())
    except (requests.RequestException, ValueError) as error:
        raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error
    if not data.get("request_id"):
        raise SignInError(UNAVAILABLE, code="ndid_no_request_id", status=502)
    return data


@providers.register("ndid")
class NdidProvider:
    label_th = "NDID"
    label_en = "NDID"
    name = "ndid"
    unavailable_message = UNAVAILABLE

    def probe(self) -> str:
        return probe_url(_node("/utility/idp"), headers=_headers())

    def assurance(self, claims: dict[str, Any]) -> tuple[str, int]:
        aal = str(claims.get("aal") or "1")
        return str(claims.get("ial") or ""), int(float(aal)) if aal else 1

    def start(
        self,
        request: HttpRequest,
        *,
        redirect_uri: str,
        acr_values: str | None = None,
        prompt: str | None = None,
    ) -> HttpResponse:
        """Asynchronous: the portal's own page asks for the citizen ID and the IdP."""
        return HttpResponseRedirect(reverse("identity:ndid-start"))

    def finish(self, request: HttpRequest) -> dict[str, Any]:
        """The claims of the completed request this browser started (once only)."""
        from bizportal.identity import services

        public_id = request.session.pop(SESSION_REQUEST, None)
        if not public_id or request.GET.get("ndid") != public_id:
            raise SignInError(
                _("This sign-in request has expired or is not valid, please start again"),
                code="bad_state",
            )
        item = services.consume_ndid_request(public_id)
        return {
            "sub": f"{item.namespace}:{item.identifier}",
            "pid": item.identifier,
            "person_kind": "thai",
            "ial": item.ial,
            "aal": item.aal,
            "iss": settings.NDID_NODE_URL,
            "acr": f"ndid:idp:{item.idp_id}",
        }

    def end_session_url(self, request: HttpRequest, *, post_logout_redirect_uri: str) -> str | None:
        """NDID has no sessions at the IdP to end."""
        return None

    def refresh(self, request: HttpRequest) -> dict[str, Any]:
        raise SignInError(
            _("NDID cannot read your details again without a new confirmation"),
            code="no_refresh_token",
            status=401,
        )
