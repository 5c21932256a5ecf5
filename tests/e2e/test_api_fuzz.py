"""schemathesis over the whole API on the live server: no input makes it fail.

For an anonymous caller, a signed-in entrepreneur and a signed-in officer (with the
staff second factor), schemathesis reads ``/api/schema/`` and sends a bounded number
of generated requests to every operation: valid ones, invalid ones and edge cases of
every parameter and body. Every answer must be no server error, a status the schema
documents for the operation, the documented media type and a body that matches the
documented schema: problem+json for every error (see ``bizportal.core.openapi``).

The schemathesis command line runs as its own process, exactly as an outside tester
would run it; ``BIZPORTAL_FUZZ_EXAMPLES`` raises the examples per operation for a
longer run by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal
from tests.e2e.test_journey_http import sign_in_officer, sign_in_with_digital_id

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("live")]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
EXAMPLES = int(os.environ.get("BIZPORTAL_FUZZ_EXAMPLES", "12"))


def run_schemathesis(
    portal: Portal, session: requests.Session | None, report: Path
) -> subprocess.CompletedProcess[str]:
    # One connection per request: Django's test server does not drain a refused
    # request's unread body, which a kept-alive connection would read as the next request.
    headers: list[str] = ["-H", "Connection: close"]
    if session is not None:
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        headers += ["-H", f"Cookie: {cookies}"]
        headers += ["-H", f"X-CSRFToken: {session.cookies.get('csrftoken', '')}"]
        headers += ["-H", f"Referer: {portal.url}/"]
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{portal.url}/api/schema/",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "2569",
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "30",
        # A reset connection (see above) is retried; any HTTP answer is checked.
        "--request-retries",
        "2",
        "--generation-database",
        "none",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
        "--output-truncate",
        "true",
        *headers,
    ]
    # Its own working directory: schemathesis keeps a cache folder where it runs.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False, cwd=report.parent
    )


def requests_sent(report: Path) -> int:
    """How many requests the run made, from its ndjson event stream."""
    sent = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        if "ScenarioFinished" in event:
            sent += len(event["ScenarioFinished"].get("recorder", {}).get("interactions", {}))
    return sent


@pytest.fixture
def roomy_limits(settings) -> None:  # type: ignore[no-untyped-def]
    """Business rate limits high enough that generated requests reach the views; the
    429 answers themselves are covered by tests/core/test_rate_limits.py."""
    settings.BIZPORTAL_RATE_LIMITS = dict.fromkeys(settings.BIZPORTAL_RATE_LIMITS, "100000/m")


def test_the_api_answers_every_generated_request_as_its_schema_says(
    portal: Portal, roomy_limits: None, tmp_path: Path
) -> None:
    somsri = DEMO_IDENTITIES[0]
    actors: dict[str, requests.Session | None] = {
        "anonymous": None,
        "entrepreneur": sign_in_with_digital_id(
            portal, somsri.citizen_id, somsri.password, "/account/"
        ),
        "officer": sign_in_officer(portal, "officer.bma"),
    }
    for actor, session in actors.items():
        report = tmp_path / f"{actor}.ndjson"
        result = run_schemathesis(portal, session, report)
        assert result.returncode == 0, f"{actor}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        # Bounded, but not empty: every operation was exercised.
        assert requests_sent(report) >= 18 * 3, result.stdout[-3000:]
