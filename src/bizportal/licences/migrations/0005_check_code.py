"""Check codes for licences: each existing licence gets its own random code.

AddField with a callable default would give every existing row the same value (Django
evaluates it once), so the column is added empty, filled row by row, then given its
default for new licences. Licences issued before this migration carry no printed code;
their holders verify with the signed PDF, or read the code in their account.
"""

from django.db import migrations, models

import bizportal.licences.models

HELP = (
    "printed on the licence beside the number and in its QR link; with the number it "
    "unlocks the holder's details on the public verify page and API"
)


def give_codes(apps, schema_editor):
    Licence = apps.get_model("licences", "Licence")
    for licence in Licence.objects.filter(check_code="").only("pk").iterator():
        Licence.objects.filter(pk=licence.pk).update(
            check_code=bizportal.licences.models.new_check_code()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0004_remove_licence_licence_holder_id_13_digits_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="licence",
            name="check_code",
            field=models.CharField(default="", editable=False, help_text=HELP, max_length=8),
            preserve_default=False,
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="licence",
            name="check_code",
            field=models.CharField(
                default=bizportal.licences.models.new_check_code,
                editable=False,
                help_text=HELP,
                max_length=8,
            ),
        ),
    ]
