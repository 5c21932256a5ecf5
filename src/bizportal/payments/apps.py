from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "bizportal.payments"
    label = "payments"

    def ready(self) -> None:
        # Register the payment step type and the event subscribers.
        from . import rules, steps, subscribers  # noqa: F401
