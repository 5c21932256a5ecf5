"""Running in a cluster: readiness, metrics, request ids in logs, hashed static files."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from bizportal.core.management.commands.serve import worker_command
from bizportal.core.models import OutboxMessage
from tests.factories import ApplicantFactory


@pytest.mark.django_db
def test_ready_when_the_database_is_reachable_and_migrated(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "ok",
        "task_queue": "ok",
    }


@pytest.mark.django_db
def test_not_ready_while_a_migration_is_pending(client) -> None:
    """A replica of a newer release waits for the migrate job before taking traffic."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'core' AND name = "
            "(SELECT MAX(name) FROM django_migrations WHERE app = 'core')"
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def rq_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "SOCKET_CONNECT_TIMEOUT": 1}}
    return settings


@pytest.mark.django_db
def test_not_ready_when_the_task_queue_is_down(client, rq_backend) -> None:
    rq_backend.RQ_QUEUES = {
        "default": {"URL": "redis://127.0.0.1:1/0", "SOCKET_CONNECT_TIMEOUT": 1}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["task_queue"] == "error"


@pytest.mark.django_db(transaction=True)  # the RQ job closes connections between jobs
@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_tasks_run_on_redis_through_rq(client, rq_backend) -> None:
    """The cluster's task backend: enqueue through django-tasks, run by an RQ worker."""
    import django_rq
    from django_tasks import task_backends

    from bizportal.core.tasks import deliver_outbox

    django_rq.get_queue("default").empty()
    assert client.get("/readyz").json()["task_queue"] == "ok"
    result = deliver_outbox.enqueue()
    assert type(task_backends["default"]).__name__ == "RQBackend"
    assert client.get("/metrics").content.decode().count("bizportal_tasks_waiting 1.0") == 1

    call_command(
        "rqworker",
        "default",
        "--burst",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
    )
    result.refresh()
    assert result.status.name == "SUCCESSFUL"
    assert result.return_value == 0  # nothing was pending


@pytest.mark.django_db
def test_metrics_count_requests_and_report_the_backlog(client) -> None:
    client.get("/healthz")
    user = ApplicantFactory()
    from bizportal.core.models import DomainEvent

    event = DomainEvent.objects.create(name="test.happened", subject_type="x", subject_id="1")
    OutboxMessage.objects.create(event=event, subscriber="test.subscriber")
    assert user.pk

    response = client.get("/metrics")  # the test client speaks from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in text
    assert "bizportal_outbox_pending_messages 1.0" in text
    assert "bizportal_outbox_oldest_pending_seconds" in text
    assert "bizportal_tasks_waiting" not in text  # the immediate backend keeps no queue


@pytest.mark.django_db
def test_metrics_need_the_token_when_one_is_configured(settings) -> None:
    settings.METRICS_TOKEN = "scrape-secret-for-tests"
    client = Client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-for-tests")
    assert answer.status_code == 200


@pytest.mark.django_db
def test_metrics_are_not_shown_to_the_network_without_a_token(settings) -> None:
    settings.METRICS_TOKEN = ""
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_the_proxys(client) -> None:
    made = client.get("/healthz")["X-Request-ID"]
    assert uuid.UUID(made)
    given = str(uuid.uuid4())
    assert (
        client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given.replace("-", "")
        or client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    )
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert forged != "<script>" and uuid.UUID(forged)


def test_json_log_lines_carry_the_request_id() -> None:
    """LOG_FORMAT=json: one object per line with time, level, logger and request_id."""
    from django_guid import set_guid

    stream = io.StringIO()
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": django_settings.LOGGING["filters"],
        "formatters": django_settings.LOGGING["formatters"],
        "handlers": {
            "capture": {
                "class": "logging.StreamHandler",
                "stream": stream,
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "loggers": {"bizportal.test.jsonlog": {"handlers": ["capture"], "level": "INFO"}},
    }
    logging.config.dictConfig(config)
    set_guid("0f0e0d0c0b0a09080706050403020100")
    logging.getLogger("bizportal.test.jsonlog").info("licence issued")
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "licence issued"
    assert line["level"] == "INFO"
    assert line["logger"] == "bizportal.test.jsonlog"
    assert line["request_id"] == "0f0e0d0c0b0a09080706050403020100"
    assert "time" in line


def test_the_worker_follows_the_task_backend(settings) -> None:
    assert worker_command()[-3:] == ["db_worker", "--interval", "0.5"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_WORKER_CLASS = ""
    assert worker_command()[2:] == ["rqworker", "default", "--job-class", "django_tasks_rq.Job"]
    settings.RQ_WORKER_CLASS = "rq.worker.SimpleWorker"
    assert worker_command()[-2:] == ["--worker-class", "rq.worker.SimpleWorker"]


@pytest.mark.django_db
def test_collected_static_files_are_hashed_and_cached_for_a_year(settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    css = next(name for name in manifest if name == "bizportal/site.css")
    hashed = manifest[css]
    assert hashed != css

    client = Client()  # a new handler: WhiteNoise indexes the collected files at start
    page = client.get("/")
    assert f"/static/{hashed}" in page.content.decode()
    response = client.get(f"/static/{hashed}")
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
