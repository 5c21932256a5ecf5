"""The trust services as one WSGI application.

- ``POST /tsa`` (``application/timestamp-query``) → ``application/timestamp-reply``;
- ``POST /ocsp`` (``application/ocsp-request``) or ``GET /ocsp/<base64 request>``
  → ``application/ocsp-response``;
- ``GET /crl/root.crl`` → the root's CRL (``application/pkix-crl``);
- ``GET /ca/root.cer`` → the root certificate (``application/pkix-cert``), the trust
  anchor an integrator downloads;
- ``GET /_sandbox/health`` → ``{"status": "ok"}``.

Bad input gets HTTP 400 with a plain-text reason (for OCSP also a DER
``malformedRequest`` answer, which OCSP clients understand).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography.x509 import ocsp

from . import pki, revocation, tsa

log = logging.getLogger("bizportal.sandbox_trust")

MAX_BODY_BYTES = 64 * 1024
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class TrustServices:
    """A WSGI callable answering for the CA in ``key_dir``; ``trust_url`` is its own base
    URL, written into the TSA certificate it makes on first use."""

    def __init__(self, key_dir: Path, trust_url: str) -> None:
        self.key_dir = Path(key_dir)
        self.trust_url = trust_url.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        try:
            status, content_type, body = self.route(method, path, environ)
        except Exception:  # one bad request must not stop the service
            log.exception("trust services failed on %s %s", method, path)
            status, content_type, body = "500 Internal Server Error", "text/plain", b"error\n"
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def route(self, method: str, path: str, environ: dict[str, Any]) -> tuple[str, str, bytes]:
        if path == "/tsa":
            if method != "POST":
                return _text("405 Method Not Allowed", "POST a timestamp query")
            return self.timestamp(environ)
        if path == "/ocsp":
            if method != "POST":
                return _text("405 Method Not Allowed", "POST a request or GET /ocsp/<base64>")
            return self.ocsp(environ, _body(environ), "application/ocsp-request")
        if path.startswith("/ocsp/") and method == "GET":
            encoded = unquote(path[len("/ocsp/") :])
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                return _malformed_ocsp("the path is not base64")
            return self.ocsp(environ, raw, None)
        if method != "GET":
            return _text("405 Method Not Allowed", "read-only resource")
        if path == "/crl/root.crl":
            return "200 OK", "application/pkix-crl", revocation.crl(self.key_dir)
        if path == "/ca/root.cer":
            root = pki.ensure_root(self.key_dir)
            from cryptography.hazmat.primitives import serialization

            return (
                "200 OK",
                "application/pkix-cert",
                root.certificate.public_bytes(serialization.Encoding.DER),
            )
        if path == "/_sandbox/health":
            return "200 OK", "application/json", json.dumps({"status": "ok"}).encode()
        return _text("404 Not Found", "no such endpoint")

    def timestamp(self, environ: dict[str, Any]) -> tuple[str, str, bytes]:
        if _content_type(environ) != "application/timestamp-query":
            return _text("415 Unsupported Media Type", "send application/timestamp-query")
        body = _body(environ)
        if body is None:
            return _text("413 Content Too Large", "the query is too large")
        try:
            request = tsa.parse_request(body)
        except tsa.MalformedRequest as error:
            return _text("400 Bad Request", str(error))
        unit, root = pki.ensure_tsa(self.key_dir, self.trust_url)
        answer = tsa.respond(request, unit, root)
        return "200 OK", "application/timestamp-reply", answer.dump()

    def ocsp(
        self, environ: dict[str, Any], body: bytes | None, expected_type: str | None
    ) -> tuple[str, str, bytes]:
        if expected_type and _content_type(environ) != expected_type:
            return _text("415 Unsupported Media Type", f"send {expected_type}")
        if body is None:
            return _text("413 Content Too Large", "the request is too large")
        try:
            request = revocation.parse_request(body)
        except revocation.MalformedRequest as error:
            return _malformed_ocsp(str(error))
        return (
            "200 OK",
            "application/ocsp-response",
            revocation.respond(self.key_dir, request, self.trust_url),
        )


def _content_type(environ: dict[str, Any]) -> str:
    return str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()


def _body(environ: dict[str, Any]) -> bytes | None:
    """The request body, or None when it is larger than any query should be."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    return bytes(environ["wsgi.input"].read(length)) if length > 0 else b""


def _text(status: str, message: str) -> tuple[str, str, bytes]:
    return status, "text/plain; charset=utf-8", (message + "\n").encode()


def _malformed_ocsp(reason: str) -> tuple[str, str, bytes]:
    log.info("malformed OCSP request: %s", reason)
    return (
        "400 Bad Request",
        "application/ocsp-response",
        revocation.unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST),
    )
