"""The database indexes behind catalogue search, one per engine.

Search matches every query word as a substring of a service's segmented, lower-cased
``search_text`` (newmm keeps compounds such as "ร้านอาหาร" as one token, so whole-word
matching would miss them). A substring test cannot use a B-tree, so each engine gets a
trigram index that answers ``LIKE '%word%'``:

* PostgreSQL: ``pg_trgm`` and a GIN ``gin_trgm_ops`` index on the column itself
  (created by migration ``catalog.0004``).
* SQLite: an FTS5 table with the ``trigram`` tokenizer over the column (external
  content, so the text is stored once), kept in step by triggers.

SQLite drops a table's triggers whenever Django rebuilds the table for a later
migration (its ``ALTER TABLE`` emulation copies the rows into a new table). So the
triggers are not only created by the migration: :func:`ensure_sqlite_index` runs after
every ``migrate`` and re-creates them (and refills the index) when they are missing.
"""

from __future__ import annotations

from typing import Any

SERVICE_TABLE = "catalog_service"
FTS_TABLE = "catalog_service_fts"
TRGM_INDEX = "catalog_service_search_trgm"
#: A trigram index needs at least this many characters in a word to narrow anything.
TRIGRAM = 3

# Literal SQL (names spelled out) so nothing here is ever built from input.
_TRIGGERS = {
    "catalog_service_fts_ai": """
        CREATE TRIGGER IF NOT EXISTS catalog_service_fts_ai AFTER INSERT ON catalog_service
        BEGIN
            INSERT INTO catalog_service_fts(rowid, search_text)
                VALUES (new.id, new.search_text);
        END""",
    "catalog_service_fts_ad": """
        CREATE TRIGGER IF NOT EXISTS catalog_service_fts_ad AFTER DELETE ON catalog_service
        BEGIN
            INSERT INTO catalog_service_fts(catalog_service_fts, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
        END""",
    "catalog_service_fts_au": """
        CREATE TRIGGER IF NOT EXISTS catalog_service_fts_au
        AFTER UPDATE OF search_text, id ON catalog_service
        BEGIN
            INSERT INTO catalog_service_fts(catalog_service_fts, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
            INSERT INTO catalog_service_fts(rowid, search_text)
                VALUES (new.id, new.search_text);
        END""",
}


def create_sqlite_index(cursor: Any) -> None:
    """The FTS5 trigram table, its triggers, and the rows already there."""
    cursor.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_service_fts USING fts5(search_text, "
        "content='catalog_service', content_rowid='id', tokenize='trigram')"
    )
    for statement in _TRIGGERS.values():
        cursor.execute(statement)
    cursor.execute("INSERT INTO catalog_service_fts(catalog_service_fts) VALUES ('rebuild')")


def drop_sqlite_index(cursor: Any) -> None:
    for name in _TRIGGERS:
        cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    cursor.execute("DROP TABLE IF EXISTS catalog_service_fts")


def ensure_sqlite_index(connection: Any) -> bool:
    """Re-create the FTS table or its triggers if a table rebuild lost them.

    Returns whether anything had to be repaired. Does nothing on other engines or
    before the service table exists."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        if SERVICE_TABLE not in present or present >= {FTS_TABLE, *_TRIGGERS}:
            return False
        create_sqlite_index(cursor)
    return True


def create_postgresql_index(cursor: Any) -> None:
    cursor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_service_search_trgm ON catalog_service "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_postgresql_index(cursor: Any) -> None:
    cursor.execute("DROP INDEX IF EXISTS catalog_service_search_trgm")
