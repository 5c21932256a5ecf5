from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "bizportal.monitoring"
    label = "monitoring"
    verbose_name = _("Security monitoring")

    def ready(self) -> None:
        from bizportal.core import metrics, security_events

        from . import detection, sweepers  # noqa: F401  (the sweeper registers itself)
        from .metrics import ConnectionCollector

        security_events.subscribe(detection.observe)
        metrics.register(ConnectionCollector())
