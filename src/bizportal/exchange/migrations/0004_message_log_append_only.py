"""On PostgreSQL the exchange's message log refuses UPDATE and DELETE, as the audit trail
does (the same trigger function, from core 0007): an entry is changed only by someone
who first switches the trigger off, and the hash chain still reports it."""

from django.db import migrations

TABLE = "exchange_messagelogentry"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION bizportal_audit_append_only()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_audit_append_only"),
        ("exchange", "0003_agency_system"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
