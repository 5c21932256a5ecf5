"""Secrets, the production profile and the security headers (issue 16).

The settings are read once per process, so the profile tests start ``manage.py`` in a
subprocess with the environment a deployment would have.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

MANAGE = str(Path(django_settings.PROJECT_DIR) / "manage.py")
SECRETS = {
    "DJANGO_SECRET_KEY": "x7!kq2-production-secret-key-for-the-test-0123456789-abcdefghij",
    "OIDC_CLIENT_SECRET": "oidc-client-secret-for-the-test",
    "PAYMENT_WEBHOOK_SECRET": "payment-webhook-secret-for-the-test",
    "CIVIL_REGISTRY_TOKEN": "registry-token-for-the-test",
}


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """The environment of a production deployment: no demo, every secret set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "BIZPORTAL_", "OIDC_", "PAYMENT_", "CIVIL_", "JURISTIC_"))
        and k not in {"DATABASE_URL"}
    }
    env.update(
        BIZPORTAL_PROFILE="production",
        DJANGO_ALLOWED_HOSTS="bizportal.go.th",
        BIZPORTAL_BASE_URL="https://bizportal.go.th",
        BIZPORTAL_VAR_DIR=str(tmp_path / "var"),
        # Production shares rate-limit counts between processes (bizportal.W001).
        CACHE_URL="redis://127.0.0.1:6379/1",
        **SECRETS,
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_the_production_profile(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_production_cookies_carry_the_host_prefix_and_secure_flag(tmp_path: Path) -> None:
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEMO_MODE)"
    )
    result = manage(production_env(tmp_path), "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        str(365 * 24 * 3600),
        "False",
    ]


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "OIDC_CLIENT_SECRET", "PAYMENT_WEBHOOK_SECRET"]
)
def test_a_missing_secret_stops_the_start_naming_it(tmp_path: Path, missing: str) -> None:
    result = manage(production_env(tmp_path, **{missing: None}), "check")
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_a_deployment_that_forgets_the_profile_is_production(tmp_path: Path) -> None:
    env = production_env(tmp_path, BIZPORTAL_PROFILE=None, PAYMENT_WEBHOOK_SECRET=None)
    result = manage(env, "check")
    assert "PAYMENT_WEBHOOK_SECRET is not set" in result.stderr


def test_the_published_demo_value_is_refused_in_production(tmp_path: Path) -> None:
    env = production_env(tmp_path, PAYMENT_WEBHOOK_SECRET="sandbox-payment-webhook-secret")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "PAYMENT_WEBHOOK_SECRET is the published demo value" in result.stderr


def test_secrets_are_read_from_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "webhook"
    secret_file.write_text("webhook-secret-from-a-file\n", encoding="utf-8")
    env = production_env(
        tmp_path, PAYMENT_WEBHOOK_SECRET=None, PAYMENT_WEBHOOK_SECRET_FILE=str(secret_file)
    )
    script = "from django.conf import settings as s; print(s.PAYMENT_WEBHOOK_SECRET)"
    result = manage(env, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "webhook-secret-from-a-file"

    missing = production_env(
        tmp_path, PAYMENT_WEBHOOK_SECRET=None, PAYMENT_WEBHOOK_SECRET_FILE=str(tmp_path / "nope")
    )
    refused = manage(missing, "check")
    assert refused.returncode != 0 and "PAYMENT_WEBHOOK_SECRET_FILE names" in refused.stderr
    both = production_env(tmp_path, PAYMENT_WEBHOOK_SECRET_FILE=str(secret_file))
    assert "not both" in manage(both, "check").stderr


def test_the_demo_needs_no_environment_at_all(tmp_path: Path) -> None:
    env = production_env(tmp_path, BIZPORTAL_PROFILE=None, DJANGO_ALLOWED_HOSTS=None)
    for name in SECRETS:
        env.pop(name)
    result = manage(env, "check")
    assert result.returncode == 0, result.stderr


# --- Headers -------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_a_nonce_csp_permissions_policy_and_referrer_policy(client: Client) -> None:
    page = client.get("/")
    csp = page["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "camera=()" in page["Permissions-Policy"]
    assert "geolocation=()" in page["Permissions-Policy"]
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["X-Frame-Options"] == "DENY"
    assert "Server" not in page


@pytest.mark.django_db
def test_the_sandbox_provider_style_carries_the_responses_nonce(client: Client) -> None:
    from bizportal.sandbox_idp import demo as idp_demo

    idp_demo.seed()
    page = client.get(
        "/sandbox/idp/authorize",
        {
            "response_type": "code",
            "client_id": "bizportal-demo",
            "redirect_uri": django_settings.BASE_URL + "/auth/callback/",
            "scope": "openid pid",
            "state": "s",
            "nonce": "n",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    # Whatever the provider answers (its sign-in or its error page), its own style is
    # allowed by the nonce of this response only.
    assert "idp-header" in page.content.decode()
    nonce = page["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<style nonce="{nonce}">' in page.content.decode()


@pytest.mark.django_db
def test_https_responses_carry_hsts(client: Client, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    page = client.get("/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("workers", ["1", "2"], ids=["waitress", "gunicorn"])
def test_the_server_sends_no_server_banner(tmp_path: Path, workers: str) -> None:
    port = _free_port()
    env = production_env(
        tmp_path, BIZPORTAL_PROFILE="demo", DJANGO_ALLOWED_HOSTS=None, WEB_CONCURRENCY=workers
    )
    server = subprocess.Popen(
        [sys.executable, MANAGE, "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=20)
                break
            # Workers still booting on a busy machine: connection refused or a slow answer.
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert answer.status_code in (200, 503)
        assert "Server" not in answer.headers, answer.headers
        assert "Via" not in answer.headers
    finally:
        server.terminate()
        server.wait(timeout=10)
