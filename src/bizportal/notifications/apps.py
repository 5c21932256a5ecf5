from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "bizportal.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Registers the channels, the event subscribers, the notify step type and the
        # sweeper of due deliveries.
        from . import channels, contact, steps, subscribers, sweepers, templating  # noqa: F401

        # The editable templates start as the built-in texts (missing rows only).
        post_migrate.connect(templating.seed_defaults, sender=self)
