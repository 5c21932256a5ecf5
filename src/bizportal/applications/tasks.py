"""Background work for applications."""

from __future__ import annotations

from django_tasks import task

from .models import Application


@task()
def issue_licence(application_public_id: str) -> str:
    """Render, sign and store the e-licence of a paid application."""
    from .services import issue_licence_now

    application = Application.objects.get(public_id=application_public_id)
    licence = issue_licence_now(application)
    return str(licence.number)
