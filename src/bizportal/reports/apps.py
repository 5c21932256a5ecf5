from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "bizportal.reports"
    label = "reports"
    verbose_name = _("Reports and dashboards")

    def ready(self) -> None:
        # The permission rules guard the reports; the sweeper keeps the aggregate
        # tables current; the library registers the catalogue of reports; opendata
        # adds the monthly statistics datasets to the DCAT catalogue.
        from . import library, opendata, rules, sweepers  # noqa: F401
