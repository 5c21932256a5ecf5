from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "bizportal.exchange"
    label = "exchange"
    verbose_name = "Government data exchange"

    def ready(self) -> None:
        from . import connections, dcat, providers  # noqa: F401  (they register themselves)
