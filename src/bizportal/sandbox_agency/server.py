"""The agency's HTTP side: the forwarding endpoint the portal calls, plus a small
``/_sandbox/`` control surface for tests and the benchmark:

- ``GET /_sandbox/stats``: the counts (see ``Store.stats``);
- ``GET /_sandbox/received``: each forwarding id and how many times it arrived;
- ``GET|POST /_sandbox/faults``: the fault mode, ``{"mode", "rate"}`` (POST: loopback only);
- ``GET /_sandbox/health``: ``{"status": "ok"}`` once the server listens;

and, when configured with a key registered at the portal, the agency's e-service
(:mod:`.eservice`): ``/eservice/`` signs a person in through the portal and lists the
applications of the party they chose, through the portal's API, with an exchanged token.
"""

from __future__ import annotations

import html
import json
import logging
import socket
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .accounting import Refused
from .eservice import EService, SignedIn
from .faults import Faults
from .store import Store
from .verify import Request, SignatureRejected, Verifier

log = logging.getLogger("bizportal.sandbox_agency.server")

FORWARDING_PATHS = ("/forwardings", "/forwardings/")
MAX_BODY_BYTES = 10 * 1024 * 1024
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


@dataclass
class Context:
    """What a request handler needs; one per server."""

    store: Store
    verifier: Verifier
    faults: Faults
    slow_seconds: float
    timeout_seconds: float
    eservice: EService | None = None


class AgencyServer(ThreadingHTTPServer):
    """A threading server that carries the agency's context to its handlers. Handler
    threads are daemons so a stop never waits for a request sleeping in a fault."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: Context) -> None:
        super().__init__(address, Handler)
        self.context = context


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AgencyServer

    def setup(self) -> None:
        """No Nagle: headers and body go out as two writes, and with keep-alive the
        second would otherwise wait for a delayed ACK (40 ms a request)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- routing --------------------------------------------------------------------

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in FORWARDING_PATHS:
            self.receive_forwarding()
        elif path == "/_sandbox/faults":
            self.change_faults()
        else:
            self.problem(HTTPStatus.NOT_FOUND, "no such endpoint")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        context = self.server.context
        if path == "/_sandbox/stats":
            self.answer(HTTPStatus.OK, context.store.stats())
        elif path == "/_sandbox/received":
            self.answer(HTTPStatus.OK, context.store.receipts())
        elif path == "/_sandbox/faults":
            setting = context.faults.setting
            self.answer(HTTPStatus.OK, {"mode": setting.mode, "rate": setting.rate})
        elif path == "/_sandbox/health":
            self.answer(HTTPStatus.OK, {"status": "ok"})
        elif path.startswith("/eservice/") and context.eservice is not None:
            self.eservice(context.eservice, path)
        else:
            self.problem(HTTPStatus.NOT_FOUND, "no such endpoint")

    # -- forwardings ----------------------------------------------------------------

    def receive_forwarding(self) -> None:
        """Fault first (as a failing system would), then signature, body, storage."""
        body = self.read_body()
        if body is None or not self.play_fault():
            return
        context = self.server.context
        try:
            kid = context.verifier.verify(self.signed_request(), body)
        except SignatureRejected as error:
            log.warning("forwarding refused (401): %s", error)
            self.problem(HTTPStatus.UNAUTHORIZED, f"signature not accepted: {error}")
            return
        forwarding, problem = parse_forwarding(body, self.headers.get("Idempotency-Key", ""))
        if problem:
            log.warning("forwarding refused (400): %s", problem)
            self.problem(HTTPStatus.BAD_REQUEST, problem)
            return
        self.store_forwarding(forwarding, kid)

    def store_forwarding(self, forwarding: dict[str, Any], kid: str) -> None:
        key = str(forwarding["forwarding_id"])
        receipt = self.server.context.store.receive(forwarding, key=key, source="online")
        outcome = "accepted" if receipt.first else "duplicate"
        log.info(
            "forwarding %s %s: application %s %s (key %s)",
            key,
            outcome,
            forwarding["application_id"],
            forwarding.get("reference", ""),
            kid,
        )
        if receipt.first:
            self.answer(HTTPStatus.ACCEPTED, {"status": "accepted", "forwarding_id": key})
        else:
            self.answer(HTTPStatus.OK, {"status": "duplicate", "received_at": receipt.received_at})

    def play_fault(self) -> bool:
        """Act out the current fault; False when the request must get no normal answer."""
        context = self.server.context
        fault = context.faults.draw()
        if fault == "down":
            log.warning("fault down: connection dropped without an answer")
            self.close_connection = True
            return False
        if fault == "error500":
            log.warning("fault error500: answered 500")
            self.problem(HTTPStatus.INTERNAL_SERVER_ERROR, "sandbox fault: error500")
            return False
        if fault in ("slow", "timeout"):
            seconds = context.slow_seconds if fault == "slow" else context.timeout_seconds
            log.warning("fault %s: answering after %.1f s", fault, seconds)
            time.sleep(seconds)
        return True

    def signed_request(self) -> Request:
        """The URL the portal signed is its configured endpoint URL: ours, as named by
        the Host header (plain http: the sandbox runs behind no TLS proxy)."""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return Request(method=self.command, url=f"http://{host}{self.path}", headers=self.headers)

    # -- the e-service ------------------------------------------------------------

    def eservice(self, service: EService, path: str) -> None:
        """The agency's page: a sign-in link, the redirect to the portal, the result."""
        if path == "/eservice/login":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", service.login_url())
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/eservice/callback":
            params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if "error" in params:
                self.page(HTTPStatus.BAD_REQUEST, f"<p>Sign-in refused: {_e(params['error'])}</p>")
                return
            try:
                signed_in = service.finish(params.get("code", ""), params.get("state", ""))
            except Refused as error:
                log.warning("e-service sign-in refused: %s", error)
                self.page(HTTPStatus.BAD_REQUEST, f"<p>Refused: {_e(error)}</p>")
                return
            self.page(HTTPStatus.OK, result_html(signed_in))
        else:
            link = '<p><a href="/eservice/login">Sign in with Biz Portal</a></p>'
            self.page(HTTPStatus.OK, link)

    def page(self, status: HTTPStatus, body: str) -> None:
        document = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Sandbox agency e-service</title></head><body>"
            f"<h1>Sandbox agency e-service</h1>{body}</body></html>"
        )
        payload = document.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    # -- control --------------------------------------------------------------------

    def change_faults(self) -> None:
        """Only from this machine: a fault switch must not be reachable from outside."""
        if self.client_address[0] not in LOOPBACK:
            self.problem(HTTPStatus.FORBIDDEN, "faults are changed from loopback only")
            return
        body = self.read_body()
        try:
            data = json.loads(body or b"{}")
            setting = self.server.context.faults.set(str(data["mode"]), data.get("rate"))
        except (ValueError, KeyError, TypeError) as error:
            self.problem(HTTPStatus.BAD_REQUEST, f"expected {{'mode', 'rate'}}: {error}")
            return
        log.info("fault mode now %s (rate %.2f)", setting.mode, setting.rate)
        self.answer(HTTPStatus.OK, {"mode": setting.mode, "rate": setting.rate})

    # -- plumbing -------------------------------------------------------------------

    def read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.problem(HTTPStatus.BAD_REQUEST, "a Content-Length up to 10 MB is required")
            return None
        return self.rfile.read(length)

    def answer(self, status: HTTPStatus, data: Any, content_type: str = "application/json") -> None:
        payload = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def problem(self, status: HTTPStatus, detail: str) -> None:
        """Errors as RFC 9457 problem details, like the portal's own."""
        data = {"type": "about:blank", "title": status.phrase, "status": status, "detail": detail}
        self.answer(status, data, "application/problem+json")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def parse_forwarding(body: bytes, idempotency_key: str) -> tuple[dict[str, Any], str]:
    """The forwarding, or an empty one and what is wrong with it."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        return {}, f"the body is not JSON: {error}"
    if not isinstance(data, dict):
        return {}, "the body must be a JSON object"
    for name in ("forwarding_id", "application_id"):
        if not isinstance(data.get(name), str) or not data[name]:
            return {}, f"{name} must be a non-empty string"
    if not isinstance(data.get("package"), dict):
        return {}, "package must be an object"
    if data["forwarding_id"] != idempotency_key:
        return {}, "Idempotency-Key must be the forwarding_id"
    return data, ""


def _e(value: Any) -> str:
    return html.escape(str(value))


def result_html(signed_in: SignedIn) -> str:
    """Who signed in, whom they act for, and the party's applications from the API."""
    person, act_for = signed_in.person, signed_in.person.get("act_for") or {}
    rows = "".join(
        f"<tr><td>{_e(a.get('reference') or '-')}</td><td>{_e(a.get('service', ''))}</td>"
        f"<td>{_e(a.get('status', ''))}</td></tr>"
        for a in signed_in.applications
    )
    return (
        f"<p>Signed in: {_e(person.get('name', ''))} (IAL {_e(person.get('ial', ''))},"
        f" AAL {_e(person.get('aal', ''))})</p>"
        f"<p>Acting for: {_e(act_for.get('name', ''))} ({_e(act_for.get('party', ''))},"
        f" {_e(act_for.get('basis', ''))})</p>"
        f"<h2>Applications ({len(signed_in.applications)})</h2>"
        "<table><tr><th>Reference</th><th>Service</th><th>Status</th></tr>"
        f"{rows}</table>"
    )
