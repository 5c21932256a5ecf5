"""The audit trail becomes a hash chain (``seq``, ``prev_hash``, ``hash``) with signed
checkpoints. ``seq`` stays nullable here so that 0006 can chain the existing rows;
0007 makes it required."""

from django.db import migrations, models
import django.utils.timezone


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_audit_on_behalf'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(editable=False, help_text='position in the hash chain, from 1, no gaps', null=True, unique=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(default='', editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(default='', editable=False, help_text="SHA-256 of the row's content and prev_hash", max_length=64),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(help_text='last audit row covered')),
                ('hash', models.CharField(help_text="that row's hash", max_length=64)),
                ('at', models.DateTimeField(help_text='when the checkpoint was signed')),
                ('algorithm', models.CharField(help_text='Ed25519 or ECDSA-SHA256', max_length=20)),
                ('key_id', models.CharField(help_text='SHA-256 of the public key (DER), to find the verifying key', max_length=64)),
                ('signature', models.TextField(help_text='base64 signature over the canonical statement')),
            ],
            options={
                'ordering': ['-seq', '-at'],
            },
        ),
    ]
