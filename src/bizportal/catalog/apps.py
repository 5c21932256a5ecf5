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


class CatalogConfig(AppConfig):
    name = "bizportal.catalog"
    label = "catalog"

    def ready(self) -> None:
        post_migrate.connect(_repair_search_index, sender=self)
