"""An agency's receiving endpoint for forwarding tests: a real HTTP server on this
machine that checks each request's RFC 9421 signature against the portal's published
keys, keeps what it received, and answers as the test tells it to."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms

from bizportal.exchange import services as exchange
from bizportal.integrations import services
from bizportal.integrations.models import IntegrationVersion, Mode
from bizportal.integrations.signing import jwks
from tests.factories import ServiceFactory

MAPPING = {"shop.name": "answers.business_name", "owner_id": "holder.id"}


class JWKSKeys(HTTPSignatureKeyResolver):
    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = {key["kid"]: key for key in keys["keys"]}

    def resolve_public_key(self, key_id: str) -> ed25519.Ed25519PublicKey:
        raw = base64.urlsafe_b64decode(self.keys[key_id]["x"] + "==")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)


@dataclass
class Message:
    method: str
    url: str
    headers: dict[str, str]


@dataclass
class Receiver:
    url: str
    keys: dict[str, Any]
    answers: list[int] = field(default_factory=list)  # status per request; then 202
    received: list[dict[str, Any]] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)

    def verify(self, message: Message, body: bytes) -> bool:
        try:
            HTTPMessageVerifier(
                signature_algorithm=algorithms.ED25519, key_resolver=JWKSKeys(self.keys)
            ).verify(
                message,
                body=body,
                expect_tag="bizportal",
                require_components=("@method", "@target-uri", "content-digest", "idempotency-key"),
            )
        except Exception:
            return False
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        return message.headers.get("Content-Digest") == f"sha-256=:{digest}:"


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    state = Receiver(url="", keys=jwks())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            url = f"http://{self.headers['Host']}{self.path}"
            state.verified.append(state.verify(Message("POST", url, dict(self.headers)), body))
            state.received.append({"headers": dict(self.headers), "body": json.loads(body)})
            status = state.answers.pop(0) if state.answers else 202
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"status": status}).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/forwardings"
    settings.FORWARDING_TIMEOUT_SECONDS = 3
    yield state
    server.shutdown()
    server.server_close()


def agency_system(agency: Any, code: str = "bma-licensing") -> tuple[Any, str]:
    return exchange.register_agency_system(
        code=code,
        agency=agency,
        name_th="ระบบอนุญาตของหน่วยงาน",
        scopes=["integrations:read", "integrations:decide", "integrations:batch"],
    )


def forwarded_service(mode: str, endpoint_url: str = "", code: str = "bma-licensing") -> Any:
    """A food-shop service decided in its agency's own system, and its system's secret."""
    service = ServiceFactory(process_id="agency_system_licence")
    system, secret = agency_system(service.agency, code)
    integration: IntegrationVersion = services.publish_integration(
        service,
        mode=mode,
        agency_system=system,
        endpoint_url=endpoint_url if mode == Mode.ONLINE else "",
        field_mapping=MAPPING,
        documents=[d.code for d in service.documents.all()],
    )
    service.secret = secret
    service.system = system
    service.integration = integration
    return service
