from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "bizportal.applications"
    label = "applications"

    def ready(self) -> None:
        # Register the step types, event subscribers and permission rules of this app.
        from . import rules, steps, subscribers  # noqa: F401
