"""Demo: the FDA decides food-production licences and medical-device establishments in its own licensing
system, played by the sandbox agency (``python -m bizportal.sandbox_agency``, its own
process and database file). Food production is forwarded online; medical-device
establishments go in the day's batch.

The loader registers the FDA's system (an OAuth2 client) and publishes both services'
integrations; the client's credentials are kept in ``BIZPORTAL_VAR_DIR/sandbox-agency``
(mode 0600) for the sandbox, which ``manage.py serve`` starts beside the demo
(:func:`sandbox_agency_command`). The applications forwarded to it are walked by the
portal's journeys loader, which can reach the other apps.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from bizportal.catalog.models import Agency, Service
from bizportal.core import demo
from bizportal.exchange import services as exchange
from bizportal.exchange.models import AgencySystem

from . import services
from .models import Mode
from .selectors import current_integration

SYSTEM_CODE = "fda-licensing"
SCOPES = ["integrations:read", "integrations:decide", "integrations:batch"]
ONLINE_SERVICE = "food-production-licence"
BATCH_SERVICE = "medical-device-establishment-licence"
MAPPING = {
    "establishment.name": "answers.business_name",
    "establishment.address": "answers.business_address",
    "establishment.area_sqm": "answers.area_sqm",
    "operator.id": "holder.id",
    "operator.name": "holder.name_th",
}


def home() -> Path:
    return Path(settings.VAR_DIR) / "sandbox-agency"


def credentials_path() -> Path:
    return home() / "credentials.json"


def _stored() -> dict[str, str]:
    path = credentials_path()
    if not path.exists():
        return {}
    data: dict[str, str] = json.loads(path.read_text())
    return data


def _store(client_id: str, secret: str) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"client_id": client_id, "client_secret": secret}, handle)


def agency_system() -> AgencySystem:
    """The FDA's licensing system, with credentials the sandbox can use (a secret that
    was lost, or never written here, is rotated: it is shown only once)."""
    fda = Agency.objects.get(code="fda")
    system = AgencySystem.objects.select_related("client").filter(code=SYSTEM_CODE).first()
    if system is None:
        system, secret = exchange.register_agency_system(
            code=SYSTEM_CODE,
            agency=fda,
            name_th="ระบบอนุญาตของสำนักงานคณะกรรมการอาหารและยา (จำลอง)",
            name_en="FDA licensing system (sandbox)",
            scopes=SCOPES,
        )
        _store(system.client.client_id, secret)
    elif _stored().get("client_id") != system.client.client_id:
        _store(system.client.client_id, exchange.rotate_secret(system))
    return system


def publish(system: AgencySystem) -> None:
    """Both services' integrations, unless they are already as the demo wants them."""
    wanted = {
        ONLINE_SERVICE: (Mode.ONLINE, f"{settings.SANDBOX_AGENCY_URL}/forwardings"),
        BATCH_SERVICE: (Mode.BATCH, ""),
    }
    for slug, (mode, endpoint) in wanted.items():
        service = Service.objects.filter(slug=slug).first()
        if service is None:
            continue
        current = current_integration(service)
        if current and (current.mode, current.endpoint_url) == (mode, endpoint):
            continue
        services.publish_integration(
            service,
            mode=mode,
            agency_system=system,
            endpoint_url=endpoint,
            field_mapping=MAPPING,
            documents=list(service.documents.filter(kind="").values_list("code", flat=True)),
            note="demo: the sandbox agency system plays the FDA's own system",
        )


@demo.loader("integrations", order=88)
def load_demo() -> list[demo.DemoLogin]:
    if not Agency.objects.filter(code="fda").exists():
        return []
    system = agency_system()
    publish(system)
    return [
        demo.DemoLogin(
            "agency system (OAuth2 client credentials)",
            system.client.client_id,
            f"secret in {credentials_path()}",
            "the FDA's licensing system; the sandbox agency plays it on "
            f"{settings.SANDBOX_AGENCY_URL}",
        )
    ]


def sandbox_agency_command(portal: str, **options: Any) -> demo.Command | None:
    """How to run the sandbox agency against ``portal``; None before the demo is loaded."""
    stored = _stored()
    if not stored:
        return None
    url = urlsplit(settings.SANDBOX_AGENCY_URL)
    args = [
        sys.executable,
        "-m",
        "bizportal.sandbox_agency",
        "--host",
        url.hostname or "127.0.0.1",
        "--port",
        str(url.port or 8766),
        "--db",
        str(home() / "agency.sqlite3"),
        "--portal",
        portal,
        "--client-id",
        stored["client_id"],
    ]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return demo.Command(args, env={"SANDBOX_AGENCY_CLIENT_SECRET": stored["client_secret"]})


#: Where the federation demo writes the key of the sandbox agency's e-service (an agency
#: service signing people in through the portal); a path, as federation is a sibling app.
ESERVICE_KEY = ("federation", "demo-eservice-key.json")


@demo.companion("sandbox-agency")
def _companion() -> demo.Command | None:
    options: dict[str, Any] = {"delay": 20, "batch_poll": 30}
    eservice_key = Path(settings.VAR_DIR).joinpath(*ESERVICE_KEY)
    if eservice_key.exists():
        options["eservice_key_file"] = eservice_key
    return sandbox_agency_command(settings.BASE_URL, **options)


@contextlib.contextmanager
def sandbox_agency_running(portal: str, **options: Any) -> Iterator[str]:
    """The sandbox agency as its own process while demo journeys are walked; yields its
    URL and stops it at the end (what it stored stays in its database file)."""
    command = sandbox_agency_command(portal, **options)
    if command is None:
        raise RuntimeError("the FDA's system is not registered: run the integrations loader")
    process = subprocess.Popen(  # noqa: S603 - our own module
        command.args, env={**os.environ, **command.env}
    )
    try:
        _wait_healthy(settings.SANDBOX_AGENCY_URL, process)
        yield settings.SANDBOX_AGENCY_URL
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the sandbox agency stopped (port busy?): exit {process.returncode}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/_sandbox/health", timeout=1).ok:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the sandbox agency did not answer on {url}")
