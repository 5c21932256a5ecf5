from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "bizportal.monitoring"
    label = "monitoring"
    verbose_name = _("Security monitoring")

    def ready(self) -> None:
        from bizportal.core import security_events

        from . import detection

        security_events.subscribe(detection.observe)
