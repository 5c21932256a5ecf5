from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "bizportal.federation"
    label = "federation"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the permission rules)
