"""Verifiable credentials (issue 14): each licence's position in its agency's Bitstring
Status Lists, and each version's signed credential.

Licences issued before get their positions here, in issue order per agency, and the
agency's counter (core.Sequence ``VCSL-<agency id>``, year 0, which
``credentials.allocate_status_index`` continues) is set past them. Their versions keep
an empty credential: signing needs the agency's key through the signer plugin, which
a migration must not reach.
"""

from django.conf import settings
from django.db import migrations, models


def allocate_existing(apps, schema_editor):
    Licence = apps.get_model("licences", "Licence")
    Sequence = apps.get_model("core", "Sequence")
    last: dict[int, int] = {}
    for licence in Licence.objects.order_by("agency_id", "issued_at", "pk").only(
        "pk", "agency_id"
    ):
        index = last.get(licence.agency_id, -1) + 1
        Licence.objects.filter(pk=licence.pk).update(status_index=index)
        last[licence.agency_id] = index
    for agency_id, index in last.items():
        Sequence.objects.update_or_create(
            prefix=f"VCSL-{agency_id}", year=0, defaults={"last": index + 1}
        )


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0013_service_licence_credential_full_id'),
        ('licences', '0008_background_signing'),
        ('core', '0007_audit_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='licence',
            name='status_index',
            field=models.PositiveIntegerField(blank=True, editable=False, help_text="this licence's bit in its agency's Bitstring Status Lists (revocation, suspension); allocated at issue, unique per agency", null=True),
        ),
        migrations.AddField(
            model_name='licenceversion',
            name='credential',
            field=models.TextField(blank=True, help_text='the version as a W3C Verifiable Credential, VC-JOSE compact JWS (application/vc+jwt) signed by the agency; also embedded in the PDF'),
        ),
        migrations.AddConstraint(
            model_name='licence',
            constraint=models.UniqueConstraint(fields=('agency', 'status_index'), name='one_status_index_per_agency'),
        ),
        migrations.RunPython(allocate_existing, migrations.RunPython.noop),
    ]
