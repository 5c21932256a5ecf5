"""Domain events with one outbox message per subscriber, and the shared number sequences.

Legacy outbox rows (one per topic) become a domain event plus one delivery each; the
only topic that existed, the status email, maps onto ``applications.status_changed``.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LEGACY_STATUS_EMAIL = "notifications.status_email"


def legacy_messages_to_events(apps, schema_editor):
    DomainEvent = apps.get_model("core", "DomainEvent")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    for message in OutboxMessage.objects.all():
        payload = dict(message.payload or {})
        if message.topic == LEGACY_STATUS_EMAIL:
            event = DomainEvent.objects.create(
                name="applications.status_changed",
                subject_type="applications.application",
                subject_id=str(payload.get("application", "")),
                payload={
                    "reference": "",
                    "kind": "new",
                    "from_status": "",
                    "to_status": payload.get("status", ""),
                    "step": "",
                    "note": payload.get("note", ""),
                    "licence_number": payload.get("licence_number", ""),
                    "agency": "",
                    "service": "",
                },
                actor_label="system",
            )
        else:
            event = DomainEvent.objects.create(
                name=f"legacy.{message.topic}",
                subject_type="core.outboxmessage",
                subject_id=str(message.id),
                payload=payload,
                actor_label="system",
            )
        message.event = event
        message.subscriber = message.topic
        message.save(update_fields=["event", "subscriber"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DomainEvent",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=80)),
                ("occurred_at", models.DateTimeField(auto_now_add=True)),
                ("subject_type", models.CharField(help_text="app_label.model of the subject", max_length=80)),
                ("subject_id", models.CharField(help_text="public id of the subject", max_length=80)),
                ("payload", models.JSONField(blank=True, default=dict)),
                ("actor_label", models.CharField(blank=True, max_length=200)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["occurred_at", "id"],
                "indexes": [
                    models.Index(fields=["subject_type", "subject_id", "occurred_at"], name="core_domain_subject_7a1f0e_idx"),
                    models.Index(fields=["name", "occurred_at"], name="core_domain_name_3c2b9d_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Sequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefix", models.CharField(max_length=20)),
                ("year", models.PositiveSmallIntegerField()),
                ("last", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("prefix", "year"), name="one_sequence_per_prefix_year")
                ],
            },
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="event",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="core.domainevent",
            ),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="subscriber",
            field=models.CharField(default="", max_length=120),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="next_attempt_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="not tried again before this time (backoff)",
            ),
        ),
        migrations.RunPython(legacy_messages_to_events, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="outboxmessage", name="core_outbox_status_8adaba_idx"),
        migrations.RemoveField(model_name="outboxmessage", name="topic"),
        migrations.RemoveField(model_name="outboxmessage", name="payload"),
        migrations.AlterField(
            model_name="outboxmessage",
            name="event",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="core.domainevent",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["status", "next_attempt_at"], name="core_outbox_status_next_idx"),
        ),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                fields=("event", "subscriber"), name="one_delivery_per_event_and_subscriber"
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="delivered_message_has_time",
            ),
        ),
    ]
