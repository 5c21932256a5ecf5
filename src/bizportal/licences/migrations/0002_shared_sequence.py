"""Numbers now come from the shared yearly sequences in ``core``; carry the counters over."""

from django.db import migrations


def copy_counters(apps, schema_editor):
    Old = apps.get_model("licences", "LicenceSequence")
    Sequence = apps.get_model("core", "Sequence")
    for counter in Old.objects.all():
        sequence, _ = Sequence.objects.get_or_create(prefix=counter.prefix, year=counter.year)
        if counter.last > sequence.last:
            sequence.last = counter.last
            sequence.save(update_fields=["last"])


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0001_initial"),
        ("core", "0003_events_and_sequences"),
    ]

    operations = [
        migrations.RunPython(copy_counters, migrations.RunPython.noop),
        migrations.DeleteModel(name="LicenceSequence"),
    ]
