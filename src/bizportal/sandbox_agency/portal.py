"""The portal as this agency sees it: an OAuth2 token endpoint, the agency API and the
JWKS of the keys that sign forwardings.

The token is cached until shortly before it expires: the portal hashes client secrets
with PBKDF2, so a token per call would cost the portal a quarter-second each time.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from .config import TOKEN_SCOPE, Config

log = logging.getLogger("bizportal.sandbox_agency.portal")

# Renew this long before the portal says the token ends, so none expires in flight.
TOKEN_MARGIN_SECONDS = 30.0
RETRY_LATER = frozenset({408, 425, 429})


class PortalUnavailable(Exception):
    """No answer we can act on (no connection, a timeout, a 5xx): try again later."""


@dataclass(frozen=True)
class Answer:
    """A portal answer reduced to what the callers decide on."""

    status: int
    data: Any
    text: str


class PortalClient:
    """Calls to the portal with a cached client-credentials token."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._local = threading.local()
        self._token = ""
        self._token_until = 0.0
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """One session per thread: ``requests.Session`` is not documented thread-safe."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session  # type: ignore[no-any-return]

    def url(self, path: str) -> str:
        return f"{self.config.portal_base}{path}"

    def updates_url(self, application_id: str) -> str:
        return self.url(f"/api/v1/integrations/agency/applications/{application_id}/updates/")

    def batches_url(self, batch_id: str = "") -> str:
        return self.url(
            "/api/v1/integrations/agency/batches/" + (f"{batch_id}/" if batch_id else "")
        )

    # -- token ----------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token, fetched only when the cached one is about to end."""
        with self._lock:
            if self._token and time.monotonic() < self._token_until:
                return self._token
            answer = self._send(
                "POST",
                self.url("/o/token/"),
                auth=(self.config.client_id, self.config.client_secret),
                data={"grant_type": "client_credentials", "scope": TOKEN_SCOPE},
            )
            if answer.status != 200 or not isinstance(answer.data, dict):
                raise PortalUnavailable(f"token refused: HTTP {answer.status} {answer.text[:200]}")
            lifetime = float(answer.data.get("expires_in", 600))
            self._token = str(answer.data["access_token"])
            self._token_until = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 1.0)
            log.info("token obtained for %s, valid %.0f s", self.config.client_id, lifetime)
            return self._token

    def forget_token(self) -> None:
        with self._lock:
            self._token = ""

    # -- the agency API -------------------------------------------------------------

    def call(self, method: str, url: str, **kwargs: Any) -> Answer:
        """An authorised call; a 401 (token ended or revoked) gets one fresh token."""
        extra = kwargs.pop("headers", {})
        answer = self._send(method, url, headers={**extra, **self._bearer()}, **kwargs)
        if answer.status == 401:
            self.forget_token()
            answer = self._send(method, url, headers={**extra, **self._bearer()}, **kwargs)
        return answer

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def post_update(self, application_id: str, body: dict[str, Any]) -> Answer:
        return self.call("POST", self.updates_url(application_id), json=body)

    def download(self, url: str) -> bytes:
        """A file's exact bytes (a checksum is computed over them)."""
        response = self._request("GET", url, headers=self._bearer())
        if response.status_code == 401:
            self.forget_token()
            response = self._request("GET", url, headers=self._bearer())
        if response.status_code != 200:
            raise PortalUnavailable(f"GET {url}: HTTP {response.status_code}")
        return response.content

    # -- keys -----------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The portal's public signing keys (public: no token)."""
        answer = self._send("GET", self.url("/api/v1/integrations/keys/"))
        if answer.status != 200 or not isinstance(answer.data, dict):
            raise PortalUnavailable(f"JWKS: HTTP {answer.status}")
        return answer.data

    # -- transport ------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> Answer:
        """One request; a 5xx, 408 or 429 is raised as ``PortalUnavailable``, like a
        lost connection: all of them mean "not now", never "no"."""
        response = self._request(method, url, **kwargs)
        if response.status_code >= 500 or response.status_code in RETRY_LATER:
            raise PortalUnavailable(f"{method} {url}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            data = None
        return Answer(response.status_code, data, response.text)

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.config.http_timeout, **kwargs)
        except requests.RequestException as error:
            raise PortalUnavailable(f"{method} {url}: {type(error).__name__}: {error}") from error
