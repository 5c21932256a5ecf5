"""Stop before the process redesign if the database holds applications from before it.

Version 0.2 runs every application on a versioned BPMN process with typed steps and
moves licences to a register with versions. Applications, process states and licences
written by 0.1 (development and demo databases only; 0.1 was never deployed) have no
typed steps and cannot be carried over. Rather than guess, this migration stops and
says what to do.
"""

from django.db import migrations

MESSAGE = (
    "This database holds {count} application(s) from Biz Portal 0.1, whose processes and "
    "licences cannot be carried over to the versioned process engine of 0.2. 0.1 was only "
    "ever a development and demo release: delete the database (for the demo: rm -rf var/, "
    "then make demo) and migrate again."
)


def refuse_legacy_applications(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    count = Application.objects.count()
    if count:
        raise RuntimeError(MESSAGE.format(count=count))


class Migration(migrations.Migration):
    dependencies = [("applications", "0005_shared_sequence")]

    operations = [migrations.RunPython(refuse_legacy_applications, migrations.RunPython.noop)]
