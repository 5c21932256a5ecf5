from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "bizportal.rules"
    label = "rules"
    verbose_name = _("Fee rules")

    def ready(self) -> None:
        # After every migrate (and when the test database is created or flushed), so a
        # fresh database always holds the tables the code ships and their fees.
        post_migrate.connect(
            load_shipped_tables, sender=self, dispatch_uid="bizportal.rules.shipped_tables"
        )


def load_shipped_tables(
    sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs: Any
) -> None:
    """``post_migrate`` receiver: run :func:`~bizportal.rules.services.sync_shipped_tables`.

    Skipped when the tables it writes do not exist (``migrate rules zero``) and for
    databases other than the default one, which holds the audit trail it writes to.
    """
    if using != DEFAULT_DB_ALIAS:
        return
    from bizportal.core.models import AuditEvent

    from .models import DecisionDefinition, DecisionVersion
    from .services import sync_shipped_tables

    needed = {model._meta.db_table for model in (DecisionDefinition, DecisionVersion, AuditEvent)}
    if not needed <= set(connections[using].introspection.table_names()):
        return
    loaded = sync_shipped_tables()
    if verbosity >= 2:
        stdout = kwargs.get("stdout")
        for version in loaded:
            line = f"  Loaded fee table {version.definition.key} version {version.number}"
            if stdout is not None:
                stdout.write(line + "\n")
