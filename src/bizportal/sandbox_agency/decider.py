"""The agency's back office, as a background thread: it decides forwardings that have
waited ``--delay`` seconds and delivers the updates owed to the portal, retrying a
lost or failed callback with backoff until the portal has confirmed it.

Deciding and delivering are separate steps joined by the store: a decision is written
with its updates first and sent afterwards, so a crash or a portal outage between the
two loses nothing, and a resend carries the same sequence and the same body (the portal
answers ``duplicate``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

from .config import Config
from .portal import PortalClient, PortalUnavailable
from .rules import decide
from .store import Forwarding, Store, Update

log = logging.getLogger("bizportal.sandbox_agency.decider")


class Deciding:
    """Turns a forwarding into owed updates. Shared by the online and batch paths, and
    serialised: the correction rule counts decisions, so two at once would share a count."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self._lock = threading.Lock()

    def decide(self, forwarding: Forwarding, channel: str) -> list[Update]:
        with self._lock:
            ordinal, corrected = self.store.decision_context(forwarding.application_id)
            decision = decide(
                forwarding.body.get("package") or {},
                ordinal=ordinal,
                corrected_before=corrected,
                correction_every=self.config.correction_every,
                area_limit=self.config.reject_area_over,
                today=date.today(),
            )
            updates = self.store.record_decision(
                forwarding, decision, ordinal=ordinal, channel=channel
            )
        log.info(
            "decided %s (application %s %s): %s, sequences %s",
            forwarding.key,
            forwarding.application_id,
            forwarding.reference,
            decision.type,
            "+".join(str(update.sequence) for update in updates),
        )
        return updates


class Decider(threading.Thread):
    """Every ``decide_interval`` seconds: decide what is due, deliver what is owed."""

    def __init__(self, store: Store, portal: PortalClient, deciding: Deciding) -> None:
        super().__init__(name="sandbox-agency-decider", daemon=True)
        self.store = store
        self.portal = portal
        self.deciding = deciding
        self.config = portal.config
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # one bad round must not end the agency's back office
                log.exception("decider round failed")
            self.stopping.wait(self.config.decide_interval)

    def tick(self) -> None:
        for forwarding in self.store.undecided(received_before=time.time() - self.config.delay):
            self.deciding.decide(forwarding, channel="api")
        self.deliver_due()

    def deliver_due(self) -> None:
        """Deliver until nothing due is left: a confirmed acknowledge lets its decision
        go in the same round; an update put off for a retry holds back its successors."""
        progress = True
        while progress and not self.stopping.is_set():
            progress = False
            for update in self.store.due_updates(time.time()):
                if self.stopping.is_set():
                    return
                progress |= deliver(self.store, self.portal, update)


def deliver(store: Store, portal: PortalClient, update: Update) -> bool:
    """Send one update and record what became of it; True when it is closed (sent,
    failed or stopped), False when it waits for a retry.

    No answer or a 5xx: retry later, same body. 409 on a decision: the portal no longer
    waits for one (already decided, back with the applicant), so stop. Any other 4xx:
    the update itself is wrong; retrying would not help, so it is recorded as failed."""
    where = f"update {update.sequence} {update.type} for {update.application_id}"
    try:
        answer = portal.post_update(update.application_id, update.body)
    except PortalUnavailable as error:
        give_up_or_retry(store, portal.config, update, str(error))
        return False
    if 200 <= answer.status < 300:
        outcome = (
            str((answer.data or {}).get("outcome", "")) if isinstance(answer.data, dict) else ""
        )
        store.mark_update(update.id, state="sent", outcome=outcome)
        log.info("%s sent: %s", where, outcome or answer.status)
    elif answer.status == 409 and update.type in ("approve", "reject", "correct"):
        store.mark_update(update.id, state="stopped", error=answer.text)
        log.warning("%s stopped: the portal no longer waits (409) %s", where, answer.text[:200])
    else:
        store.mark_update(update.id, state="failed", error=f"HTTP {answer.status} {answer.text}")
        log.error("%s failed: HTTP %s %s", where, answer.status, answer.text[:300])
    return True


def give_up_or_retry(store: Store, config: Config, update: Update, error: str) -> None:
    """Back off exponentially; after ``max_attempts`` the update is recorded as failed."""
    attempts = update.attempts + 1
    where = f"update {update.sequence} {update.type} for {update.application_id}"
    if attempts >= config.max_attempts:
        store.mark_update(update.id, state="failed", error=error)
        log.error("%s failed after %d attempts: %s", where, attempts, error)
        return
    wait = min(config.retry_base * 2 ** (attempts - 1), config.retry_max)
    store.retry_update(update.id, error=error, at=time.time() + wait)
    log.warning("%s not delivered (attempt %d), retry in %.1f s: %s", where, attempts, wait, error)
