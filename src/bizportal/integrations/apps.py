from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "bizportal.integrations"
    label = "integrations"
    verbose_name = "Agency systems: integration settings"

    def ready(self) -> None:
        # Register the forward step type, the sweepers, the permission rules and the
        # agency endpoints for the connection monitor.
        from . import connections, rules, steps, sweepers  # noqa: F401
