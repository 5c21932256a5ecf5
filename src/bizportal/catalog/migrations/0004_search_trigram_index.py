"""Catalogue search served by a trigram index: pg_trgm GIN on PostgreSQL, an FTS5
trigram table kept by triggers on SQLite (see ``bizportal.catalog.search_index``)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from bizportal.catalog import search_index


class KeepTrigramExtension(TrigramExtension):
    """Creates pg_trgm (PostgreSQL only) and leaves it in place when migrating back:
    other indexes may use it, and Django's reverse queries pg_extension on any engine."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return None


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            search_index.create_postgresql_index(cursor)
        elif schema_editor.connection.vendor == "sqlite":
            search_index.create_sqlite_index(cursor)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            search_index.drop_postgresql_index(cursor)
        elif schema_editor.connection.vendor == "sqlite":
            search_index.drop_sqlite_index(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_who_may_apply"),
    ]

    operations = [
        # Only acts on PostgreSQL (CreateExtension checks the vendor itself).
        KeepTrigramExtension(),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
