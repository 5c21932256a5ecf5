from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "bizportal.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Registers the event subscribers.
        from . import services  # noqa: F401
