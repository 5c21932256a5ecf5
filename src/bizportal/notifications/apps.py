from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "bizportal.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Registers the event subscribers and the notify step type.
        from . import services, steps  # noqa: F401
