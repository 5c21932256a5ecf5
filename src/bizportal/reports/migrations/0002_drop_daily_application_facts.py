"""The daily application and decision counts give way to one row per application and
monthly roll-ups (0003). Emptying the refresh mark makes the next refresh a full
rebuild, so the new tables are filled from the applications themselves."""

from django.db import migrations


def forget_the_mark(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("reports", "RefreshMark").objects.all().delete()
    apps.get_model("reports", "StepFact").objects.all().delete()
    apps.get_model("reports", "PaymentFact").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.DeleteModel(name="ApplicationFact"),
        migrations.DeleteModel(name="DecisionFact"),
        migrations.RunPython(forget_the_mark, migrations.RunPython.noop),
    ]
