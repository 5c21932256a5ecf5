"""A fake portal and a signer for the sandbox agency's tests.

The fake portal is a small ThreadingHTTPServer speaking the portal's side of the
contract: ``/o/token/`` (client credentials, Basic auth), the JWKS, the updates
endpoint (applied / duplicate, with a plan of failures to play), and the batch API.
It records what the agency sent so the tests can look at it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms
from requests.structures import CaseInsensitiveDict

CLIENT_ID = "sandbox-agency-test"
CLIENT_SECRET = "sandbox-agency-test-secret"
COVERED = ("@method", "@target-uri", "content-type", "content-digest", "idempotency-key")
UPDATES_PREFIX = "/api/v1/integrations/agency/applications/"
BATCHES_PREFIX = "/api/v1/integrations/agency/batches/"


# -- signing ---------------------------------------------------------------------------


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        return self.key

    def resolve_public_key(self, key_id: str) -> Any:
        return self.key.public_key()


@dataclass
class PortalKey:
    """An Ed25519 key pair standing for the portal's forwarding key."""

    kid: str = "portal-test-1"
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def jwk(self) -> dict[str, str]:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "use": "sig"}

    def sign(
        self, url: str, body: bytes, idempotency_key: str, created: datetime | None = None
    ) -> dict[str, str]:
        """The headers the portal sends with a forwarding, signed as the contract says."""
        message = SimpleNamespace(
            method="POST",
            url=url,
            headers=CaseInsensitiveDict(
                {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
            ),
        )
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(self.private)
        )
        signer.sign(
            message,
            key_id=self.kid,
            label="bizportal",
            tag="bizportal",
            covered_component_ids=COVERED,
            body=body,
            created=created,
        )
        return dict(message.headers)


def forwarding(
    application_id: str | None = None,
    *,
    answers: dict[str, Any] | None = None,
    holder_name: str = "บริษัท ตัวอย่าง จำกัด",
) -> dict[str, Any]:
    """A forwarding as the portal builds it (the package cut down to what matters)."""
    application_id = application_id or str(uuid.uuid4())
    return {
        "forwarding_id": str(uuid.uuid4()),
        "application_id": application_id,
        "reference": f"BP-2569-{application_id[:6]}",
        "updates_url": f"http://portal.invalid{UPDATES_PREFIX}{application_id}/updates/",
        "package": {
            "application": {"id": application_id, "reference": "BP-2569-000001"},
            "holder": {"kind": "juristic", "id": "0105561000001", "name_th": holder_name},
            "answers": answers if answers is not None else {"business_name": "ร้านกาแฟ"},
        },
    }


def send(
    endpoint: str, key: PortalKey, data: dict[str, Any], body: bytes | None = None
) -> requests.Response:
    """POST a forwarding, signed by ``key``; ``body`` replaces the signed body (tampering)."""
    signed_body = json.dumps(data, ensure_ascii=False).encode()
    headers = key.sign(endpoint, signed_body, data["forwarding_id"])
    return requests.post(endpoint, data=body or signed_body, headers=headers, timeout=10)


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until ``predicate`` gives something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"not true within {timeout} s: {predicate}")


# -- the fake portal -------------------------------------------------------------------


@dataclass
class FakeBatch:
    items: list[dict[str, Any]]
    wrong_checksum: bool = False

    @property
    def jsonl(self) -> bytes:
        return b"".join(json.dumps(i, ensure_ascii=False).encode() + b"\n" for i in self.items)

    def manifest(self, batch_id: str) -> dict[str, Any]:
        content = self.jsonl
        digest = hashlib.sha256(b"other" if self.wrong_checksum else content).hexdigest()
        return {
            "id": batch_id,
            "day": "2026-05-04",
            "count": len(self.items),
            "files": [
                {"name": "items.jsonl", "sha256": digest, "bytes": len(content), "rows": 2},
                {"name": "items.csv", "sha256": "0" * 64, "bytes": 0, "rows": 0},
            ],
        }


class FakePortal:
    """Records what the agency sends; ``plan`` holds what to do with the next updates:
    ``"lose"`` (apply, then drop the connection: the answer is lost), ``"500"``,
    ``"409"``, ``"400"``; an empty plan answers normally."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.plan: list[str] = []
        self.posts: list[dict[str, Any]] = []  # every update POST, as received
        self.applied: dict[tuple[str, int], dict[str, Any]] = {}
        self.tokens: list[str] = []
        self.batches: dict[str, FakeBatch] = {}
        self.results: dict[str, list[dict[str, str]]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakePortal:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def updates_for(self, application_id: str) -> list[dict[str, Any]]:
        """The updates applied for an application, in sequence order."""
        with self.lock:
            return [
                body for (app, _), body in sorted(self.applied.items()) if app == application_id
            ]

    # -- what the handler calls ------------------------------------------------------

    def issue_token(self, authorization: str) -> dict[str, Any] | None:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return None
        token = f"token-{len(self.tokens) + 1}"
        self.tokens.append(token)
        return {"access_token": token, "token_type": "Bearer", "expires_in": 600}

    def receive_update(self, application_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        with self.lock:
            self.posts.append({"application_id": application_id, **body})
            action = self.plan.pop(0) if self.plan else ""
            if action in ("500", "409", "400"):
                return int(action), {"title": "planned failure", "status": int(action)}
            key = (application_id, int(body["sequence"]))
            outcome = "duplicate" if self.applied.get(key) == body else "applied"
            self.applied[key] = body
        answer = {"sequence": body["sequence"], "type": body["type"], "outcome": outcome}
        return (-1 if action == "lose" else 200), answer

    def receive_results(self, batch_id: str, text: str) -> list[dict[str, Any]]:
        rows = list(csv.DictReader(io.StringIO(text)))
        self.results[batch_id] = rows
        return [
            {"row": n, "application_id": row["application_id"], "outcome": "applied"}
            for n, row in enumerate(rows, start=1)
        ]


def _handler(portal: FakePortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: Any) -> None:
            pass

        def answer(self, status: int, data: Any, raw: bytes | None = None) -> None:
            payload = raw if raw is not None else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def authorised(self) -> bool:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in portal.tokens:
                self.answer(401, {"detail": "no or bad token"})
                return False
            return True

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            body = self.body()
            if self.path == "/o/token/":
                token = portal.issue_token(self.headers.get("Authorization", ""))
                self.answer(200 if token else 401, token or {"error": "invalid_client"})
            elif not self.authorised():
                return
            elif self.path.startswith(UPDATES_PREFIX) and self.path.endswith("/updates/"):
                app = self.path.removeprefix(UPDATES_PREFIX).split("/")[0]
                status, data = portal.receive_update(app, json.loads(body))
                if status == -1:  # applied, but the answer never arrives
                    self.close_connection = True
                    return
                self.answer(status, data)
            elif self.path.startswith(BATCHES_PREFIX) and self.path.endswith("/results/"):
                batch_id = self.path.removeprefix(BATCHES_PREFIX).split("/")[0]
                self.answer(200, {"rows": portal.receive_results(batch_id, body.decode())})
            else:
                self.answer(404, {"detail": "not found"})

        def do_GET(self) -> None:
            if self.path == "/api/v1/integrations/keys/":
                self.answer(200, portal.jwks)
            elif not self.authorised():
                return
            elif self.path == BATCHES_PREFIX:
                ids = [{"batch_id": batch_id} for batch_id in portal.batches]
                self.answer(200, {"results": ids, "next": None})
            elif self.path.startswith(BATCHES_PREFIX):
                batch_id, _, file = self.path.removeprefix(BATCHES_PREFIX).partition("/")
                batch = portal.batches[batch_id]
                if file == "items.jsonl":
                    self.answer(200, None, raw=batch.jsonl)
                else:
                    self.answer(200, batch.manifest(batch_id))
            else:
                self.answer(404, {"detail": "not found"})

    return Handler
