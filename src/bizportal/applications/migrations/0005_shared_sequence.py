"""Numbers now come from the shared yearly sequences in ``core``; carry the counters over."""

from django.db import migrations


def copy_counters(apps, schema_editor):
    Old = apps.get_model("applications", "ReferenceSequence")
    Sequence = apps.get_model("core", "Sequence")
    for counter in Old.objects.all():
        sequence, _ = Sequence.objects.get_or_create(prefix="BP", year=counter.year)
        if counter.last > sequence.last:
            sequence.last = counter.last
            sequence.save(update_fields=["last"])


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_agency_help_text"),
        ("core", "0003_events_and_sequences"),
    ]

    operations = [
        migrations.RunPython(copy_counters, migrations.RunPython.noop),
        migrations.DeleteModel(name="ReferenceSequence"),
    ]
