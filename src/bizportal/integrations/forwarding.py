"""Forwarding applications to agencies' own systems, and what they report back.

Why its own delivery loop and not an outbox subscriber: an outbox delivery runs in a
transaction that a failure rolls back, and every attempt here must be kept whatever
its outcome (the exchange history shows each one). So a forwarding is claimed in one
short transaction, sent with no transaction open, and its attempt written in another.
The claim pushes ``next_attempt_at`` past the request's timeout, so a second worker
(or the sweeper) does not send the same forwarding at the same time; if the process
dies mid-request the forwarding is simply due again later, and the agency, which sees
the same ``Idempotency-Key``, stores it once.

Status updates are applied under a lock on the forwarding: a sequence number seen
before is answered as it was the first time and applied once; an acknowledgement or
progress note older than an update already applied is kept but not applied; a
decision completes the process's forward step through the applications app.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core import signing as django_signing
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from http_message_signatures import algorithms
from requests_http_signature import HTTPSignatureAuth

from bizportal.applications import services as applications
from bizportal.applications.models import Application, Attachment
from bizportal.core import audit
from bizportal.exchange.models import AgencySystem
from bizportal.workflow.steps import Completion

from . import package
from .models import (
    DECISIONS,
    Forwarding,
    ForwardingAttempt,
    ForwardingState,
    IntegrationVersion,
    Mode,
    StatusUpdate,
    UpdateType,
)
from .signing import PortalKeys, current_key_id

log = logging.getLogger(__name__)

STEP_TYPE = "forward-to-agency"
SIGNATURE_TAG = "bizportal"
COVERED = ("@method", "@target-uri", "content-type", "content-digest", "idempotency-key")
#: Answers worth trying again: the agency may take the same request later.
RETRYABLE = frozenset({408, 409, 425, 429})
LINK_SALT = "integrations.document-link"


# --- opening a forwarding (the forward step was reached) ---------------------------


def open_forwarding(
    application: Application, integration: IntegrationVersion, step: str
) -> Forwarding:
    """Record the hand-over of ``application`` under ``integration``; runs in the
    transaction that reached the step, so a rolled-back submission forwards nothing."""
    assert integration.agency_system is not None
    forwarding = Forwarding.objects.create(
        public_id=uuid.uuid4(),
        application=application,
        integration=integration,
        agency_system=integration.agency_system,
        mode=integration.mode,
        step=step,
        package=package.build(application, integration),
        next_attempt_at=timezone.now() if integration.mode == Mode.ONLINE else None,
    )
    audit.record(
        "integrations.forwarding_opened",
        application,
        actor_label="Biz Portal",
        forwarding=str(forwarding.public_id),
        agency_system=forwarding.agency_system.code,
        mode=forwarding.mode,
        integration_version=integration.version,
    )
    if integration.mode == Mode.ONLINE:
        transaction.on_commit(lambda: _schedule(forwarding.pk))
    return forwarding


def _schedule(forwarding_pk: int) -> None:
    from .tasks import deliver_forwarding  # tasks import this module

    deliver_forwarding.enqueue(forwarding_pk)


# --- delivering online --------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    outcome: str
    status_code: int | None
    latency_ms: int
    excerpt: str


def deliver_due(limit: int = 100) -> int:
    """Send up to ``limit`` due online forwardings; return how many were delivered."""
    due = Forwarding.objects.filter(
        state__in=(ForwardingState.PENDING,),
        mode=Mode.ONLINE,
        next_attempt_at__lte=timezone.now(),
    ).order_by("next_attempt_at")
    return sum(deliver(pk) for pk in list(due.values_list("pk", flat=True)[:limit]))


def deliver(forwarding_pk: int) -> bool:
    """One attempt at one forwarding if it is due and nobody else is sending it."""
    forwarding = _claim(forwarding_pk)
    if forwarding is None:
        return False
    sent = _send(forwarding)
    return _record(forwarding, sent)


def _claim(forwarding_pk: int) -> Forwarding | None:
    lease = dt.timedelta(seconds=settings.FORWARDING_TIMEOUT_SECONDS * 3 + 30)
    with transaction.atomic():
        forwarding = (
            # of=("self",): lock this forwarding only, never the agency system and
            # integration rows every forwarding of the service shares (else parallel
            # senders skip each other's forwardings on PostgreSQL).
            Forwarding.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("agency_system", "integration", "application")
            .filter(
                pk=forwarding_pk,
                state=ForwardingState.PENDING,
                mode=Mode.ONLINE,
                next_attempt_at__lte=timezone.now(),
            )
            .first()
        )
        if forwarding is None:
            return None
        forwarding.attempts += 1
        forwarding.next_attempt_at = timezone.now() + lease
        forwarding.save(update_fields=["attempts", "next_attempt_at"])
    return forwarding


def request_body(forwarding: Forwarding) -> dict[str, Any]:
    """What the agency receives; document links are made fresh for each attempt."""
    application = forwarding.application
    body_package = dict(forwarding.package)
    body_package["documents"] = [
        {**document, **document_link(forwarding, document)}
        for document in forwarding.package.get("documents", [])
    ]
    return {
        "forwarding_id": str(forwarding.public_id),
        "application_id": str(application.public_id),
        "reference": application.reference or "",
        "updates_url": settings.BASE_URL
        + reverse("integrations-agency-updates", args=[application.public_id]),
        "package": body_package,
    }


def _send(forwarding: Forwarding) -> Sent:
    body = json.dumps(request_body(forwarding), ensure_ascii=False).encode()
    auth = HTTPSignatureAuth(
        signature_algorithm=algorithms.ED25519,
        key_id=current_key_id(),
        key_resolver=PortalKeys(),
        covered_component_ids=COVERED,
        label=SIGNATURE_TAG,
        tag=SIGNATURE_TAG,
    )
    started = time.monotonic()
    try:
        response = requests.post(
            forwarding.integration.endpoint_url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": str(forwarding.public_id),
            },
            auth=auth,
            timeout=settings.FORWARDING_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.Timeout:
        return Sent(ForwardingAttempt.Outcome.TIMEOUT, None, _since(started), "")
    except requests.RequestException as error:
        return Sent(ForwardingAttempt.Outcome.UNREACHABLE, None, _since(started), str(error))
    code = response.status_code
    if 200 <= code < 300:
        outcome = ForwardingAttempt.Outcome.DELIVERED
    elif code < 500 and code not in RETRYABLE:
        outcome = ForwardingAttempt.Outcome.REFUSED
    else:
        outcome = ForwardingAttempt.Outcome.FAILED
    return Sent(outcome, code, _since(started), response.text)


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _record(forwarding: Forwarding, sent: Sent) -> bool:
    """Keep the attempt and move the forwarding on: delivered, due again, or dead."""
    delivered = sent.outcome == ForwardingAttempt.Outcome.DELIVERED
    with transaction.atomic():
        current = Forwarding.objects.select_for_update().get(pk=forwarding.pk)
        ForwardingAttempt.objects.create(
            forwarding=current,
            number=current.tries.count() + 1,  # numbered on, across replays
            at=timezone.now(),
            outcome=sent.outcome,
            status_code=sent.status_code,
            latency_ms=sent.latency_ms,
            response_excerpt=sent.excerpt[:500],
        )
        if current.state != ForwardingState.PENDING:
            return delivered  # the agency already reported on it (a slow answer)
        if delivered:
            current.state = ForwardingState.DELIVERED
            current.delivered_at = timezone.now()
            current.last_error = ""
        else:
            current.last_error = f"{sent.outcome} {sent.status_code or ''} {sent.excerpt[:200]}"
            final = sent.outcome == ForwardingAttempt.Outcome.REFUSED
            if final or current.attempts >= settings.FORWARDING_MAX_ATTEMPTS:
                current.state = ForwardingState.DEAD
                current.next_attempt_at = None
            else:
                current.next_attempt_at = timezone.now() + backoff(current.attempts)
        current.save()
        audit.record(
            "integrations.forwarding_attempt",
            current.application,
            actor_label="Biz Portal",
            forwarding=str(current.public_id),
            attempt=forwarding.attempts,
            outcome=sent.outcome,
            status_code=sent.status_code,
            state=current.state,
        )
    return delivered


def backoff(attempts: int) -> dt.timedelta:
    """Exponential, with full jitter so that agencies coming back up are not hit by
    every waiting forwarding in the same second."""
    ceiling = min(
        settings.FORWARDING_BACKOFF_SECONDS * 2 ** (attempts - 1),
        settings.FORWARDING_BACKOFF_MAX_SECONDS,
    )
    return dt.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


@transaction.atomic
def replay(forwarding: Forwarding, *, by: Any) -> Forwarding:
    """Send an undeliverable forwarding again, with a fresh set of attempts (after an
    admin fixed the cause: the endpoint, the agency's server, the mapping)."""
    current = Forwarding.objects.select_for_update().get(pk=forwarding.pk)
    if current.state != ForwardingState.DEAD:
        raise ValueError(_("only an undeliverable forwarding can be replayed"))
    current.state = ForwardingState.PENDING
    current.attempts = 0
    current.next_attempt_at = timezone.now()
    current.save(update_fields=["state", "attempts", "next_attempt_at"])
    audit.record(
        "integrations.forwarding_replayed",
        current.application,
        actor=by,
        forwarding=str(current.public_id),
    )
    transaction.on_commit(lambda: _schedule(current.pk))
    return current


# --- document links -------------------------------------------------------------------


def document_link(forwarding: Forwarding, document: Mapping[str, Any]) -> dict[str, str]:
    """A link that serves one travelling document for ``FORWARDING_LINK_SECONDS``."""
    token = django_signing.TimestampSigner(salt=LINK_SALT).sign_object(
        {"f": str(forwarding.public_id), "d": str(document.get("id", ""))}
    )
    expires = timezone.now() + dt.timedelta(seconds=settings.FORWARDING_LINK_SECONDS)
    return {
        "url": settings.BASE_URL + reverse("integrations-document-link", args=[token]),
        "url_expires_at": expires.isoformat(),
    }


def linked_document(token: str) -> tuple[Forwarding, Attachment]:
    """The forwarding and document a link names; ``LookupError`` if it is bad or old."""
    try:
        named = django_signing.TimestampSigner(salt=LINK_SALT).unsign_object(
            token, max_age=settings.FORWARDING_LINK_SECONDS
        )
    except django_signing.BadSignature as error:
        raise LookupError(str(error)) from None
    forwarding = (
        Forwarding.objects.select_related("agency_system", "application")
        .filter(public_id=named.get("f"))
        .first()
    )
    if forwarding is None:
        raise LookupError("no such forwarding")
    return forwarding, travelling_document(forwarding, str(named.get("d")))


def travelling_document(forwarding: Forwarding, document_id: str) -> Attachment:
    """A document of the forwarding's package (only those travel), by its id."""
    listed = {str(d.get("id")) for d in forwarding.package.get("documents", [])}
    if document_id not in listed:
        raise LookupError("the document does not travel with this forwarding")
    attachment = forwarding.application.attachments.filter(public_id=document_id).first()
    if attachment is None:
        raise LookupError("the document was replaced since it was forwarded")
    return attachment


# --- status back ----------------------------------------------------------------------


class UpdateRefused(Exception):
    """An update that cannot be taken; ``status`` is the HTTP status it is answered with."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class UpdateResult:
    sequence: int
    type: str
    outcome: str  # applied, duplicate, stale
    application_status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "type": self.type,
            "outcome": self.outcome,
            "application_status": self.application_status,
        }


MAX_TEXT = {"status": 200, "message": 2000}


def update_problems(body: Any) -> dict[str, list[str]]:
    """Every problem with an update's body, by field (empty when it can be applied)."""
    if not isinstance(body, dict):
        return {"body": [_("the update is a JSON object")]}
    problems: dict[str, list[str]] = {}
    sequence = body.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence < 2**31:
        problems["sequence"] = [_("a positive whole number")]
    kind = body.get("type")
    if kind not in UpdateType.values:
        problems["type"] = [_("one of %(values)s") % {"values": ", ".join(UpdateType.values)}]
    for name, limit in MAX_TEXT.items():
        value = body.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            problems[name] = [_("text of at most %(limit)s characters") % {"limit": limit}]
    if kind == UpdateType.STATUS and not str(body.get("status") or "").strip():
        problems.setdefault("status", []).append(_("say what the status is"))
    if (
        kind in (UpdateType.CORRECT, UpdateType.REJECT)
        and not str(body.get("message") or "").strip()
    ):
        problems.setdefault("message", []).append(_("give the message the applicant is told"))
    licence_problems = _licence_problems(body.get("licence"), kind)
    if licence_problems:
        problems["licence"] = licence_problems
    unknown = set(body) - {"sequence", "type", "status", "message", "licence"}
    if unknown:
        problems["body"] = [
            _("unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        ]
    return problems


def _licence_problems(licence: Any, kind: Any) -> list[str]:
    if licence is None:
        return []
    if kind != UpdateType.APPROVE:
        return [_("licence data comes only with approve")]
    if not isinstance(licence, dict) or set(licence) - {"number", "valid_until", "conditions"}:
        return [_("only number, valid_until, conditions")]
    problems = []
    if not isinstance(licence.get("number", ""), str) or len(licence.get("number", "")) > 60:
        problems.append(_("text of at most 60 characters"))
    if (
        not isinstance(licence.get("conditions", ""), str)
        or len(licence.get("conditions", "")) > 2000
    ):
        problems.append(_("at most 2000 characters"))
    valid_until = licence.get("valid_until")
    if valid_until is not None:
        try:
            dt.date.fromisoformat(str(valid_until))
        except ValueError:
            problems.append(_("an ISO date such as 2030-12-31"))
    return problems


def _normal(body: Mapping[str, Any]) -> dict[str, Any]:
    """The update as stored and compared: absent text is empty, no licence is none."""
    return {
        "sequence": body["sequence"],
        "type": body["type"],
        "status": str(body.get("status") or "").strip(),
        "message": str(body.get("message") or "").strip(),
        "licence": body.get("licence"),
    }


def apply_update(
    system: AgencySystem, application_id: Any, body: Any, *, source: str = "api"
) -> UpdateResult:
    """Take one update of ``system`` about one of its applications.

    Raises :class:`UpdateRefused` (nothing changed) for a malformed update (400), an
    application not forwarded to ``system`` (404), a decision the process does not wait
    for or a sequence reused with other content (409)."""
    problems = update_problems(body)
    if problems:
        message = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in problems.items())
        raise UpdateRefused(400, message, "invalid_update")
    update = _normal(body)
    with transaction.atomic():
        forwarding = _forwarding_of(system, application_id)
        earlier = StatusUpdate.objects.filter(
            application_id=forwarding.application_id, sequence=update["sequence"]
        ).first()
        if earlier is not None:
            return _repeat(earlier, update, forwarding)
        if update["type"] in DECISIONS:
            return _decide(forwarding, update, source)
        return _inform(forwarding, update, source)


def _forwarding_of(system: AgencySystem, application_id: Any) -> Forwarding:
    """The system's newest forwarding of the application, locked; 404 for anyone else's."""
    try:
        key = uuid.UUID(str(application_id))
    except ValueError:
        key = None
    newest = (
        Forwarding.objects.filter(application__public_id=key, agency_system=system)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
        if key
        else None
    )
    if newest is None:
        raise UpdateRefused(
            404,
            _("no application with this id was forwarded to your system"),
            "not_forwarded",
        )
    return (
        Forwarding.objects.select_for_update(of=("self",))
        .select_related("application", "agency_system")
        .get(pk=newest)
    )


def _repeat(earlier: StatusUpdate, update: dict[str, Any], forwarding: Forwarding) -> UpdateResult:
    if earlier.body != update:
        raise UpdateRefused(
            409,
            _("sequence %(sequence)s was already used with other content")
            % {"sequence": update["sequence"]},
            "sequence_reused",
        )
    forwarding.application.refresh_from_db(fields=["status"])
    return UpdateResult(earlier.sequence, earlier.type, "duplicate", forwarding.application.status)


def _last_applied(forwarding: Forwarding) -> int:
    return (
        StatusUpdate.objects.filter(
            application_id=forwarding.application_id, outcome=StatusUpdate.Outcome.APPLIED
        ).aggregate(n=Max("sequence"))["n"]
        or 0
    )


def _inform(forwarding: Forwarding, update: dict[str, Any], source: str) -> UpdateResult:
    """An acknowledgement or a progress note: applied unless something newer was."""
    stale = update["sequence"] < _last_applied(forwarding)
    outcome = StatusUpdate.Outcome.STALE if stale else StatusUpdate.Outcome.APPLIED
    if not stale:
        now = timezone.now()
        if update["type"] == UpdateType.ACKNOWLEDGE:
            forwarding.acknowledged_at = forwarding.acknowledged_at or now
            forwarding.delivered_at = forwarding.delivered_at or now
            if forwarding.state != ForwardingState.DECIDED:
                forwarding.state = ForwardingState.ACKNOWLEDGED
        else:
            forwarding.agency_status = update["status"]
        forwarding.save()
    _keep(forwarding, update, outcome, source)
    return UpdateResult(update["sequence"], update["type"], outcome, forwarding.application.status)


def _decide(forwarding: Forwarding, update: dict[str, Any], source: str) -> UpdateResult:
    """A decision completes the forward step this forwarding belongs to."""
    if forwarding.state == ForwardingState.DECIDED:
        raise UpdateRefused(
            409,
            _("this application was already decided (%(decision)s)")
            % {"decision": forwarding.decision},
            "already_decided",
        )
    system = forwarding.agency_system
    data: dict[str, Any] = {"decision": update["type"]}
    if update["licence"]:
        data["agency_licence"] = update["licence"]
    with translation.override(None):  # the history stores the English msgid as a code
        label = str(UpdateType(update["type"]).label)
    try:
        application = applications.complete_system_step(
            forwarding.application,
            STEP_TYPE,
            Completion(data=data, note=update["message"], action=update["type"], label=label),
            actor_label=f"{system.name_th} ({system.code})",
        )
    except applications.ApplicationError as error:
        raise UpdateRefused(409, str(error), "not_waiting") from None
    now = timezone.now()
    forwarding.state = ForwardingState.DECIDED
    forwarding.decision = update["type"]
    forwarding.decided_at = now
    forwarding.delivered_at = forwarding.delivered_at or now
    forwarding.next_attempt_at = None
    forwarding.save()
    _keep(forwarding, update, StatusUpdate.Outcome.APPLIED, source)
    return UpdateResult(update["sequence"], update["type"], "applied", application.status)


def _keep(forwarding: Forwarding, update: dict[str, Any], outcome: str, source: str) -> None:
    StatusUpdate.objects.create(
        forwarding=forwarding,
        application_id=forwarding.application_id,
        sequence=update["sequence"],
        type=update["type"],
        body=update,
        outcome=outcome,
        source=source,
    )
    audit.record(
        "integrations.update_received",
        forwarding.application,
        actor_label=f"{forwarding.agency_system.code} (agency system)",
        forwarding=str(forwarding.public_id),
        sequence=update["sequence"],
        type=update["type"],
        outcome=outcome,
        source=source,
    )
