from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "bizportal.applications"
    label = "applications"

    def ready(self) -> None:
        # Register the step types this app contributes and its event subscribers.
        from . import steps, subscribers  # noqa: F401
