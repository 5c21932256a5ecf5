from django.apps import AppConfig


class SandboxMessagingConfig(AppConfig):
    """The sandbox SMS gateway and the sandbox LINE Messaging API: outside providers
    played by this process over HTTP, with their own records (what the provider would
    keep on its side of the wire), so the demo and the tests exercise the real clients
    in :mod:`bizportal.notifications.channels`."""

    name = "bizportal.notifications.contrib.sandbox"
    label = "notifications_sandbox"
    verbose_name = "Sandbox SMS gateway and LINE"

    def ready(self) -> None:
        # Registers the receipts' crash-recovery sweeper.
        from . import sweepers  # noqa: F401
