from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "bizportal.identity"
    label = "identity"

    def ready(self) -> None:
        # Plugins register themselves on import; so do the permission rules.
        from . import connections, rules  # noqa: F401
        from .contrib import digital_id, ndid, sandbox_card_reader, thaid  # noqa: F401
