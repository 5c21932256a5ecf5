"""``python -m bizportal.sandbox_agency accounting``: a vendor's accounting software
acting for a company as a *system user* of the portal.

It holds only its private key (the portal holds the public half): it signs a client
assertion (RFC 7523 ``private_key_jwt``), asks ``/oidc/token`` for a client-credentials
token naming the company in RFC 9396 ``authorization_details``, then starts, fills and
submits an application over the portal's API. An outside program: stdlib, joserfc and
requests only, never the portal's code.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DETAILS_TYPE = "urn:th:bizportal:system_user"


class Refused(Exception):
    """The portal said no; ``str()`` is its answer (OAuth error or problem+json)."""


def client_assertion(client_id: str, key: RSAKey, audience: str) -> str:
    """A one-time signed JWT proving we hold the key registered for ``client_id``."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid or ""}, claims, key)


def machine_token(portal: str, client_id: str, key: RSAKey, company: str) -> str:
    """A short-lived token to act for ``company`` within what it approved."""
    token_url = requests.get(portal + "/.well-known/openid-configuration", timeout=10).json()[
        "token_endpoint"
    ]
    response = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "scope": "applications",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(client_id, key, token_url),
            "authorization_details": json.dumps([{"type": DETAILS_TYPE, "party": company}]),
        },
        timeout=10,
    )
    if response.status_code != 200:
        raise Refused(response.text)
    return str(response.json()["access_token"])


def _call(session: requests.Session, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    response = session.request(method, url, timeout=30, **kwargs)
    if response.status_code >= 400:
        raise Refused(f"{response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


def submit(
    portal: str,
    token: str,
    *,
    company: str,
    service: str,
    answers: dict[str, Any],
    documents: dict[str, bytes],
) -> dict[str, Any]:
    """Start, fill, attach and submit one application for ``company``; the portal's
    answer to the submission (with its reference number)."""
    api = portal + "/api/v1/applications/"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    draft = _call(session, "POST", api, json={"service": service, "party": company})
    here = f"{api}{draft['id']}/"
    _call(session, "PATCH", here, json={"answers": answers})
    for code, content in documents.items():
        _call(
            session,
            "POST",
            here + "documents/",
            data={"document_code": code},
            files={"file": (f"{code}.pdf", content, "application/pdf")},
        )
    return _call(session, "POST", here + "submit/", json={"accept_terms": True})


def main(argv: Sequence[str] | None = None) -> int:
    parse = argparse.ArgumentParser(prog="python -m bizportal.sandbox_agency accounting")
    parse.add_argument("--portal", required=True, help="the portal's base URL")
    parse.add_argument("--key-file", type=Path, required=True, help="the private JWK (JSON)")
    parse.add_argument("--client-id", default="", help="default: 'client_id' in the key file")
    parse.add_argument("--company", required=True, help="the company's 13-digit juristic ID")
    parse.add_argument("--service", default="food-shop-licence")
    parse.add_argument("--answers", type=Path, required=True, help="the form's answers (JSON)")
    parse.add_argument(
        "--document", action="append", default=[], help="code=path of a PDF to attach"
    )
    args = parse.parse_args(argv)
    data = json.loads(args.key_file.read_text())
    client_id = args.client_id or data.pop("client_id", "")
    data.pop("client_id", None)
    key = RSAKey.import_key(data)
    documents = {
        code: Path(path).read_bytes()
        for code, path in (item.split("=", 1) for item in args.document)
    }
    try:
        token = machine_token(args.portal.rstrip("/"), client_id, key, args.company)
        result = submit(
            args.portal.rstrip("/"),
            token,
            company=args.company,
            service=args.service,
            answers=json.loads(args.answers.read_text()),
            documents=documents,
        )
    except Refused as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"reference": result.get("reference"), "status": result.get("status")}))
    return 0
