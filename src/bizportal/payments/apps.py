from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "bizportal.payments"
    label = "payments"

    def ready(self) -> None:
        # Register the payment step type, the event subscribers and the sweeper.
        from . import rules, steps, subscribers, sweepers  # noqa: F401
