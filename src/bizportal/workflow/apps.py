from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate


class WorkflowConfig(AppConfig):
    name = "bizportal.workflow"
    label = "workflow"

    def ready(self) -> None:
        post_migrate.connect(_load_shipped_processes, sender=self)


def _load_shipped_processes(sender: Any, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Every migrated database has the processes shipped with the platform, live.

    Skipped for other databases and when the tables are not there (``migrate workflow
    zero``); the step types it validates against are registered by then, because
    post_migrate fires after every app's ``ready()``.
    """
    from .models import ProcessDefinition, ProcessVersion
    from .services import sync_shipped_processes

    if using != DEFAULT_DB_ALIAS:
        return
    tables = {model._meta.db_table for model in (ProcessDefinition, ProcessVersion)}
    if not tables <= set(connections[using].introspection.table_names()):
        return
    sync_shipped_processes()
