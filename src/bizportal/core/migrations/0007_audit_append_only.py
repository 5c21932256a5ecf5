"""Every audit row is chained now: ``seq`` is required. On PostgreSQL a trigger refuses
UPDATE and DELETE on the audit rows and the checkpoints (TRUNCATE, which test
teardown uses, is left to database privileges: see the operator guide)."""

from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION bizportal_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
TABLES = ("core_auditevent", "core_auditcheckpoint")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bizportal_audit_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS bizportal_audit_append_only()")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_chain_existing_audit_rows'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(editable=False, help_text='position in the hash chain, from 1, no gaps', unique=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
