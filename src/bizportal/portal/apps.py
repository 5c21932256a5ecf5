from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "bizportal.portal"
    label = "portal"

    def ready(self) -> None:
        # Registers the subscriber that issues written mandates (signed PDFs).
        from . import subscribers  # noqa: F401
