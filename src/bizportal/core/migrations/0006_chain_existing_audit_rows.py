"""Chain the audit rows written before the chain existed, oldest first (by time, then
id: the order they were written in, as far as the table can tell)."""

from django.db import migrations

BATCH = 1000


def chain(apps, schema_editor):
    from bizportal.core.audit import chain_existing

    AuditEvent = apps.get_model("core", "AuditEvent")
    rows = AuditEvent.objects.using(schema_editor.connection.alias).order_by("at", "id")
    pending = []
    for event, _seq, _prev, _hash in chain_existing(rows.iterator(chunk_size=BATCH)):
        pending.append(event)
        if len(pending) >= BATCH:
            AuditEvent.objects.bulk_update(pending, ["seq", "prev_hash", "hash"])
            pending = []
    if pending:
        AuditEvent.objects.bulk_update(pending, ["seq", "prev_hash", "hash"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_audit_chain'),
    ]

    operations = [
        migrations.RunPython(chain, migrations.RunPython.noop),
    ]
