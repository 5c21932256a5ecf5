from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "bizportal.payments"
    label = "payments"

    def ready(self) -> None:
        # Register the payment step type, the event subscribers, the sweeper and the
        # providers for the connection monitor.
        from . import connections, rules, steps, subscribers, sweepers  # noqa: F401
