"""The sandbox agency put together: the store, the HTTP server and the two background
threads. ``__main__`` runs it until interrupted; tests start and stop it in-process.
"""

from __future__ import annotations

import json
import logging
import threading

from joserfc.jwk import RSAKey

from .batch import BatchWorker
from .config import Config
from .decider import Decider, Deciding
from .eservice import EService
from .faults import Faults
from .portal import PortalClient
from .server import AgencyServer, Context
from .store import Store
from .verify import KeyRing, Verifier

log = logging.getLogger("bizportal.sandbox_agency")


class Agency:
    """One running sandbox agency system."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.db)
        self.portal = PortalClient(config)
        keys = (
            KeyRing.from_file(config.jwks_file) if config.jwks_file else KeyRing(self.portal.jwks)
        )
        self.faults = Faults(config.fault, config.fault_rate, config.fault_seed)
        context = Context(
            store=self.store,
            verifier=Verifier(keys, config.max_signature_age),
            faults=self.faults,
            slow_seconds=config.slow_seconds,
            timeout_seconds=config.timeout_seconds,
        )
        self.server = AgencyServer((config.host, config.port), context)
        context.eservice = self._eservice()
        deciding = Deciding(self.store, config)
        self.decider = Decider(self.store, self.portal, deciding)
        self.batches = BatchWorker(self.store, self.portal, deciding)
        self._serving = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sandbox-agency-http",
            daemon=True,
        )
        self._stopped = False

    @property
    def port(self) -> int:
        """The port bound (the one asked for, or the free one picked for port 0)."""
        return int(self.server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The URL to configure in the portal as this system's endpoint."""
        return f"http://{self.config.host}:{self.port}/forwardings"

    def _eservice(self) -> EService | None:
        """The e-service, when a key file is configured; it calls back to this server."""
        config = self.config
        if not config.eservice_key_file:
            return None
        data = json.loads(config.eservice_key_file.read_text())
        client_id = config.eservice_client_id or str(data.pop("client_id", ""))
        data.pop("client_id", None)
        return EService(
            portal=config.portal_base,
            client_id=client_id,
            key=RSAKey.import_key(data),
            redirect_uri=f"http://{config.host}:{self.port}/eservice/callback",
            http_timeout=config.http_timeout,
        )

    def start(self) -> None:
        self._serving.start()
        self.decider.start()
        if self.config.batch_poll > 0:
            self.batches.start()
        log.info(
            "sandbox agency listening on %s (portal %s, delay %.1f s, fault %s)",
            self.endpoint,
            self.config.portal_base,
            self.config.delay,
            self.faults.setting.mode,
        )

    def stop(self) -> None:
        """Stop accepting, let the threads finish their round, close the database."""
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.decider.stopping.set()
        self.batches.stopping.set()
        for thread in (self.decider, self.batches, self._serving):
            if thread.is_alive():
                thread.join(timeout=15)
        self.store.close()
        log.info("sandbox agency stopped")
