from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "bizportal.integrations"
    label = "integrations"
    verbose_name = "Agency systems: integration settings"

    def ready(self) -> None:
        # Register the forward step type and the sweepers.
        from . import steps, sweepers  # noqa: F401
