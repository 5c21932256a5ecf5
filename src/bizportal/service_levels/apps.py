from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceLevelsConfig(AppConfig):
    name = "bizportal.service_levels"
    label = "service_levels"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # The clocks follow the applications' events; the sweeper raises the alerts.
        from . import subscribers, sweepers  # noqa: F401
