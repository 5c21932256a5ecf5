"""The environment a cluster sets selects S3 storage, a read replica, a shared cache and
secrets from files; without it, the embedded defaults stay.

Settings are read once per process, so each case loads them in a fresh interpreter with
exactly the environment under test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
from django.core.cache import caches
from django.db import connections
from bizportal.core.management.commands.serve import Command as Serve
serve = Serve().create_parser("manage.py", "serve").parse_args([])
storage = storages["default"]
print(json.dumps({
    "storages": settings.STORAGES,
    "storage_class": type(storage).__module__ + "." + type(storage).__name__,
    "bucket": getattr(storage, "bucket_name", None),
    "endpoint": getattr(storage, "endpoint_url", None),
    "file_overwrite": getattr(storage, "file_overwrite", None),
    "databases": {alias: {"ENGINE": c["ENGINE"], "NAME": c["NAME"], "HOST": c.get("HOST"),
                          "PASSWORD": c.get("PASSWORD"),
                          "TEST": c["TEST"], "OPTIONS": c.get("OPTIONS", {})}
                  for alias, c in connections.settings.items()},
    "reporting": settings.REPORTING_DATABASE,
    "routers": settings.DATABASE_ROUTERS,
    "cache": type(caches["default"]).__name__,
    "secret_key": settings.SECRET_KEY,
    "proxy_header": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "serve": {"workers": serve.workers, "threads": serve.threads},
}, default=str))
"""

DEPLOYMENT_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "DATABASE_POOL_SIZE",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_PASSWORD",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "BIZPORTAL_BEHIND_PROXY",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
)


def load_settings(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STORAGE_S3_")
        and key not in DEPLOYMENT_VARIABLES
        and not key.endswith("_FILE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bizportal.settings",
        BIZPORTAL_VAR_DIR=str(tmp_path / "var"),
        **environment,
    )
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )


def loaded(tmp_path: Path, **environment: str) -> dict:
    result = load_settings(tmp_path, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_deployment_variables_the_embedded_defaults_stay(tmp_path) -> None:
    config = loaded(tmp_path)
    assert config["storage_class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert list(config["databases"]) == ["default"]
    assert config["databases"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert config["reporting"] == "default"
    assert config["cache"] == "LocMemCache"
    assert config["proxy_header"] is None
    # One waitress process, as `make demo` serves.
    assert config["serve"] == {"workers": 1, "threads": 8}


def test_web_concurrency_sets_how_many_gunicorn_processes_serve_starts(tmp_path) -> None:
    config = loaded(tmp_path, WEB_CONCURRENCY="4", WEB_THREADS="6")
    assert config["serve"] == {"workers": 4, "threads": 6}


def test_an_s3_bucket_selects_private_s3_storage_for_uploads_and_pdfs(tmp_path) -> None:
    config = loaded(
        tmp_path,
        STORAGE_S3_BUCKET="bizportal-files",
        STORAGE_S3_ENDPOINT_URL="http://minio:9000",
        STORAGE_S3_ACCESS_KEY_ID="bizportal",
        STORAGE_S3_SECRET_ACCESS_KEY="not-a-real-key",
    )
    default = config["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["default_acl"] is None
    assert default["OPTIONS"]["querystring_auth"] is True
    assert default["OPTIONS"]["addressing_style"] == "path"
    # The storage Django hands to FileFields is the real django-storages backend.
    assert config["storage_class"] == "storages.backends.s3.S3Storage"
    assert config["bucket"] == "bizportal-files"
    assert config["endpoint"] == "http://minio:9000"
    assert config["file_overwrite"] is False
    # Static files stay with WhiteNoise inside the image.
    assert "whitenoise" in config["storages"]["staticfiles"]["BACKEND"]


def test_a_replica_url_adds_a_replica_alias_that_reports_read(tmp_path) -> None:
    config = loaded(
        tmp_path,
        DATABASE_URL="postgres://bizportal@db-primary:5432/bizportal",
        DATABASE_REPLICA_URL="postgres://bizportal@db-replica:5432/bizportal",
        DATABASE_POOL_SIZE="8",
    )
    replica = config["databases"]["replica"]
    assert replica["HOST"] == "db-replica"
    assert replica["ENGINE"] == "django.db.backends.postgresql"
    assert replica["TEST"]["MIRROR"] == "default"
    assert replica["OPTIONS"]["pool"]["max_size"] == 8
    assert config["databases"]["default"]["HOST"] == "db-primary"
    assert config["reporting"] == "replica"
    assert config["routers"] == ["bizportal.core.db.ReplicaRouter"]


def test_the_database_password_can_come_from_a_file_not_the_url(tmp_path) -> None:
    password = tmp_path / "database_password"
    password.write_text("s3cret-from-file\n")
    config = loaded(
        tmp_path,
        DATABASE_URL="postgres://bizportal@db-primary:5432/bizportal",
        DATABASE_REPLICA_URL="postgres://bizportal:own@db-replica:5432/bizportal",
        DATABASE_PASSWORD_FILE=str(password),
    )
    assert config["databases"]["default"]["PASSWORD"] == "s3cret-from-file"
    # A password in the URL wins: the replica may use its own role.
    assert config["databases"]["replica"]["PASSWORD"] == "own"


def test_a_redis_url_gives_every_replica_one_shared_cache(tmp_path) -> None:
    config = loaded(tmp_path, REDIS_URL="redis://redis:6379/0")
    assert config["cache"] == "RedisCache"


def test_secrets_can_come_from_mounted_files(tmp_path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-mounted-secret-file-0123456789-abcdefghijklmnopqrstuvwxyz\n")
    config = loaded(tmp_path, DJANGO_SECRET_KEY_FILE=str(secret), BIZPORTAL_BEHIND_PROXY="1")
    assert (
        config["secret_key"] == "from-a-mounted-secret-file-0123456789-abcdefghijklmnopqrstuvwxyz"
    )
    assert config["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_secret_given_both_ways_stops_start_up(tmp_path) -> None:
    """Which one wins would be a guess; an operator who set both made a mistake."""
    secret = tmp_path / "secret_key"
    secret.write_text("from-the-file")
    result = load_settings(
        tmp_path, DJANGO_SECRET_KEY="from-the-environment", DJANGO_SECRET_KEY_FILE=str(secret)
    )
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE, not both" in result.stderr


def test_an_unreadable_secret_file_stops_start_up_with_a_clear_message(tmp_path) -> None:
    missing = tmp_path / "no-such-secret"
    result = load_settings(tmp_path, DJANGO_SECRET_KEY_FILE=str(missing))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"DJANGO_SECRET_KEY_FILE names '{missing}', which cannot be read" in result.stderr


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


S3_ENDPOINT = os.environ.get("BIZPORTAL_TEST_S3_ENDPOINT", "")


@pytest.mark.skipif(
    not (S3_ENDPOINT and _reachable(S3_ENDPOINT)),
    reason="no S3-compatible store (MinIO) reachable at BIZPORTAL_TEST_S3_ENDPOINT",
)
def test_files_round_trip_through_a_real_s3_compatible_store() -> None:
    """Against a running MinIO: BIZPORTAL_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY."""
    from django.core.files.base import ContentFile
    from storages.backends.s3 import S3Storage

    storage = S3Storage(
        bucket_name=os.environ["BIZPORTAL_TEST_S3_BUCKET"],
        endpoint_url=S3_ENDPOINT,
        access_key=os.environ["BIZPORTAL_TEST_S3_ACCESS_KEY"],
        secret_key=os.environ["BIZPORTAL_TEST_S3_SECRET_KEY"],
        addressing_style="path",
        default_acl=None,
        file_overwrite=False,
    )
    name = f"tests/{uuid.uuid4()}.pdf"
    stored = storage.save(name, ContentFile(b"%PDF-1.7 test"))
    try:
        second = storage.save(name, ContentFile(b"%PDF-1.7 other"))
        assert second != stored  # never overwritten
        storage.delete(second)
        with storage.open(stored, "rb") as handle:
            assert handle.read() == b"%PDF-1.7 test"
    finally:
        storage.delete(stored)
    assert not storage.exists(stored)
