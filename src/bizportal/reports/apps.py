from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "bizportal.reports"
    label = "reports"
    verbose_name = _("Reports and dashboards")

    def ready(self) -> None:
        # The permission rules guard the reports; the library registers the catalogue
        # of reports; opendata adds the monthly statistics datasets to the DCAT
        # catalogue; the sweepers re-queue lost exports and remove old files.
        # (``manage.py refresh_reports`` keeps the aggregates current.)
        from . import library, opendata, rules, sweepers  # noqa: F401
