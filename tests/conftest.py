"""Shared test set-up.

Tests run against a real database (SQLite by default, PostgreSQL when DATABASE_URL
says so). Background tasks run immediately in-process, email goes to memory, and
files go to a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LICENCE_KEY_DIR = Path(tmp_path_factory.getbasetemp() / "dev_ca")
    # Rate limits count in the cache; each test starts with a clean count.
    cache.clear()
