from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "bizportal.applications"
    label = "applications"

    def ready(self) -> None:
        # Register the step types, event subscribers, sweepers and permission rules.
        from . import rules, steps, subscribers, sweepers  # noqa: F401
