"""Background tasks of the licence register."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def sign_licence_version(version_pk: int) -> str:
    """Render, sign and store the document of a registered licence version (once)."""
    version = services.sign_version(version_pk)
    return version.pdf_sha256
