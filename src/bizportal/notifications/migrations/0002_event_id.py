"""Notifications are keyed on the domain event they tell of (and the channel)."""

from django.db import migrations, models


def outbox_ids_to_event_ids(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    events = dict(OutboxMessage.objects.values_list("id", "event_id"))
    for notification in Notification.objects.all():
        notification.event_id = events.get(notification.outbox_id, notification.outbox_id)
        notification.save(update_fields=["event_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("core", "0003_events_and_sequences"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="event_id",
            field=models.UUIDField(null=True, help_text="the domain event this message tells of"),
        ),
        migrations.RunPython(outbox_ids_to_event_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="notification", name="outbox_id"),
        migrations.AlterField(
            model_name="notification",
            name="event_id",
            field=models.UUIDField(help_text="the domain event this message tells of"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("event_id", "channel"), name="one_notification_per_event_and_channel"
            ),
        ),
    ]
