"""The sandbox NDID node and its IdPs: the node's RP API (the IdP list, identity
requests), the IdP's approval page standing in for a bank's app, and the signed
callback to the RP over HTTP.

Signing: ``X-NDID-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`` with
``NDID_CALLBACK_SECRET``, the key the node and the RP share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bizportal.core import audit

from .models import IAL_LEVELS, SandboxIdentity, SandboxNdidRequest

ACTOR = "sandbox_ndid_node"
SIGNATURE_HEADER = "X-NDID-Signature"
CALLBACK_TIMEOUT = 10

#: The demo IdPs on the sandbox network, with the highest IAL each can prove.
IDPS: tuple[dict[str, Any], ...] = (
    {"node_id": "sandbox-bank-idp", "display_name": "ธนาคารทดสอบ (Sandbox Bank)", "max_ial": "2.3"},
    {"node_id": "sandbox-telco-idp", "display_name": "มือถือทดสอบ (Sandbox Telco)", "max_ial": "2.1"},
)


def _rank(level: str) -> int:
    value = str(level)
    value = {"3.0": "3", "1.0": "1.1", "2.0": "2.1"}.get(value, value)
    return IAL_LEVELS.index(value) if value in IAL_LEVELS else -1


def idps_for(min_ial: str) -> list[dict[str, Any]]:
    """The IdPs that can prove at least ``min_ial`` (all of them when it is empty)."""
    return [idp for idp in IDPS if not min_ial or _rank(idp["max_ial"]) >= _rank(min_ial)]


def idp(node_id: str) -> dict[str, Any] | None:
    return next((item for item in IDPS if item["node_id"] == node_id), None)


class BadRequest(ValueError):
    """An RP request the node refuses; ``str()`` is the reason given back."""


def _level(value: Any, name: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a number") from None
    return f"{number:g}"


@transaction.atomic
def create_request(namespace: str, identifier: str, body: dict[str, Any]) -> SandboxNdidRequest:
    """Check an RP's request as a node would and keep it pending."""
    if namespace != "citizen_id" or not identifier.isdigit() or len(identifier) != 13:
        raise BadRequest("namespace must be citizen_id with a 13-digit identifier")
    idp_ids = body.get("idp_id_list")
    if not isinstance(idp_ids, list) or len(idp_ids) != 1 or idp(str(idp_ids[0])) is None:
        raise BadRequest("idp_id_list must name one IdP of this network")
    callback_url = str(body.get("callback_url") or "")
    if not callback_url.startswith(("http://", "https://")):
        raise BadRequest("callback_url is required")
    if body.get("data_request_list") not in ([], None):
        raise BadRequest("this sandbox serves identity requests only (data_request_list empty)")
    timeout = int(body.get("request_timeout") or 300)
    item = SandboxNdidRequest.objects.create(
        request_id=uuid.uuid4().hex,
        reference_id=str(body.get("reference_id") or "")[:64],
        namespace=namespace,
        identifier=identifier,
        idp_id=str(idp_ids[0]),
        min_ial=_level(body.get("min_ial"), "min_ial"),
        min_aal=_level(body.get("min_aal"), "min_aal"),
        callback_url=callback_url,
        request_message=str(body.get("request_message") or "")[:500],
        timeout_at=timezone.now() + dt.timedelta(seconds=max(30, min(timeout, 3600))),
    )
    audit.record("sandbox_ndid.requested", item, actor_label=ACTOR, idp_id=item.idp_id)
    return item


@transaction.atomic
def answer(item: SandboxNdidRequest, identity: SandboxIdentity | None, *, approve: bool) -> bool:
    """The IdP's answer: approved (the person's IAL, capped at what the IdP can prove;
    AAL 1, a password) or rejected. False when the request was already answered."""
    item = SandboxNdidRequest.objects.select_for_update().get(pk=item.pk)
    if item.status != SandboxNdidRequest.Status.PENDING:
        return False
    if item.timeout_at <= timezone.now():
        item.status = SandboxNdidRequest.Status.TIMED_OUT
    elif approve and identity is not None:
        cap = (idp(item.idp_id) or {}).get("max_ial", "1.1")
        item.ial = min(identity.ial, cap, key=_rank)
        item.aal = "1"
        item.status = SandboxNdidRequest.Status.COMPLETED
    else:
        item.status = SandboxNdidRequest.Status.REJECTED
    item.answered_at = timezone.now()
    item.save()
    audit.record("sandbox_ndid.answered", item, actor_label=ACTOR, status=item.status)
    return True


def callback_body(item: SandboxNdidRequest) -> dict[str, Any]:
    """The request status the node reports to the RP (NDID's ``request_status`` shape)."""
    answered = item.status in (
        SandboxNdidRequest.Status.COMPLETED,
        SandboxNdidRequest.Status.REJECTED,
    )
    return {
        "type": "request_status",
        "node_id": "sandbox-ndid-node",
        "request_id": item.request_id,
        "reference_id": item.reference_id,
        "status": item.status,
        "mode": 2,
        "min_idp": 1,
        "answered_idp_count": 1 if answered else 0,
        "closed": item.status != SandboxNdidRequest.Status.PENDING,
        "timed_out": item.status == SandboxNdidRequest.Status.TIMED_OUT,
        "response_valid_list": (
            [
                {
                    "idp_id": item.idp_id,
                    "valid_signature": True,
                    "valid_ial": True,
                    "ial": float(item.ial) if item.ial else None,
                    "aal": float(item.aal) if item.aal else None,
                }
            ]
            if item.status == SandboxNdidRequest.Status.COMPLETED
            else []
        ),
    }


def sign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    key = (secret if secret is not None else settings.NDID_CALLBACK_SECRET).encode()
    digest = hmac.new(key, f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def deliver_callback(item: SandboxNdidRequest) -> int | None:
    """POST the signed status to the RP's ``callback_url`` (outside any transaction);
    keeps the RP's answer code."""
    body = json.dumps(callback_body(item), separators=(",", ":")).encode()
    code: int | None
    try:
        response = requests.post(
            item.callback_url,
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
            timeout=CALLBACK_TIMEOUT,
        )
        code = response.status_code
    except requests.RequestException:
        code = None
    with transaction.atomic():
        SandboxNdidRequest.objects.filter(pk=item.pk).update(callback_status_code=code)
        audit.record("sandbox_ndid.callback_sent", item, actor_label=ACTOR, status_code=code)
    return code
