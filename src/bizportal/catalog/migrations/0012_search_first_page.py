"""Search's first page at national scale: the search columns inside the row, and an
index in search's tie order.

Inline columns (PostgreSQL): a
service row carries its forms, manual and legal basis (about 2 KB). PostgreSQL's
TOAST then moved ``search_text``, often the widest plain-text column and Thai text that
compresses poorly, out of line, so every search read each matching row's text from the
TOAST table: seven buffer reads a row instead of one (152 ms for a word found in 18,000
of 90,000 services, 83 ms with the text inline). ``STORAGE MAIN`` keeps the two search
columns in the row and lets the larger JSON columns go out of line instead. Rewriting
the values moves the ones already stored out of line back in.

A trigram index on the vocabulary (PostgreSQL): ranking counts how many services use
each query word as a vocabulary word or inside one (``term LIKE '%word%'``), 7 to 21 ms
over a 90,000-word vocabulary without it.

Leading space (both engines): indexed text now begins with a space, so the beginning of
a Latin word is one pattern, ``LIKE '% word%'`` (``catalog.search.at_word_start``).

The tie-order index (length of the name words, Thai name, id; published services):
``catalog.search.first`` walks it to find the services whose name holds every word of a
query without scoring the other matches.
"""

from django.db import migrations, models
from django.db.models.functions import Length

INLINE = """
ALTER TABLE catalog_service
    ALTER COLUMN search_text SET STORAGE MAIN,
    ALTER COLUMN search_name SET STORAGE MAIN;
UPDATE catalog_service SET search_text = search_text || '', search_name = search_name || '';
CREATE INDEX IF NOT EXISTS catalog_searchterm_trgm ON catalog_searchterm
    USING gin (term gin_trgm_ops);
"""
EXTENDED = """
ALTER TABLE catalog_service
    ALTER COLUMN search_text SET STORAGE EXTENDED,
    ALTER COLUMN search_name SET STORAGE EXTENDED;
DROP INDEX IF EXISTS catalog_searchterm_trgm;
"""


#: Indexed text begins with a space, so a Latin word's beginning is ``LIKE '% word%'``.
LEADING_SPACE = """
UPDATE catalog_service SET search_text = ' ' || search_text
    WHERE search_text <> '' AND search_text NOT LIKE ' %';
UPDATE catalog_service SET search_name = ' ' || search_name
    WHERE search_name <> '' AND search_name NOT LIKE ' %';
"""
NO_LEADING_SPACE = """
UPDATE catalog_service SET search_text = substr(search_text, 2) WHERE search_text LIKE ' %';
UPDATE catalog_service SET search_name = substr(search_name, 2) WHERE search_name LIKE ' %';
"""


def inline(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INLINE)
    for statement in LEADING_SPACE.split(";"):
        if statement.strip():
            schema_editor.execute(statement, params=None)


def extended(apps, schema_editor):
    for statement in NO_LEADING_SPACE.split(";"):
        if statement.strip():
            schema_editor.execute(statement, params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EXTENDED)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_service_revisions")]

    operations = [
        migrations.RunPython(inline, extended, elidable=False),
        migrations.AddIndex(
            model_name="service",
            index=models.Index(
                Length("search_name"),
                "name_th",
                "id",
                condition=models.Q(is_published=True),
                name="catalog_service_tie_idx",
            ),
        ),
    ]
