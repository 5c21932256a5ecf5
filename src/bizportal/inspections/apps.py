from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "bizportal.inspections"
    label = "inspections"
    verbose_name = "Premises inspections"

    def ready(self) -> None:
        # Register the inspection step type.
        from . import steps  # noqa: F401
