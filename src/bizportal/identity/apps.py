from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "bizportal.identity"
    label = "identity"

    def ready(self) -> None:
        # Plugins register themselves on import.
        from .contrib import digital_id  # noqa: F401
