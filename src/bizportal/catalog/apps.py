from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

INDEX_MIGRATION = ("catalog", "0004_search_trigram_index")


def _repair_search_index(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """SQLite loses the search triggers when a migration rebuilds the service table;
    put them back unless the database was migrated to before the index existed."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from .search_index import ensure_sqlite_index

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if INDEX_MIGRATION in MigrationRecorder(connection).applied_migrations():
        ensure_sqlite_index(connection)


def _sync_categories(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After every migrate (and when the test database is created or flushed), so every
    database holds the shipped target groups, lifecycle stages and TSIC industries.
    Skipped for other databases than the default one (it holds the audit trail) and
    when the tables are not there (``migrate catalog zero``)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from bizportal.core.models import AuditEvent

    from .models import Category
    from .services import sync_reference_categories

    if using != DEFAULT_DB_ALIAS:
        return
    needed = {Category._meta.db_table, AuditEvent._meta.db_table}
    if needed <= set(connections[using].introspection.table_names()):
        sync_reference_categories()


class CatalogConfig(AppConfig):
    name = "bizportal.catalog"
    label = "catalog"

    def ready(self) -> None:
        # The permission rules of the service editor.
        from . import rules  # noqa: F401

        post_migrate.connect(_repair_search_index, sender=self)
        post_migrate.connect(
            _sync_categories, sender=self, dispatch_uid="bizportal.catalog.categories"
        )
