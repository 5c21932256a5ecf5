"""Open-data URLs, public: included by the root urlconf at ``open-data/``
(:data:`bizportal.reports.opendata.PATH` is the same prefix, written into the catalogue)."""

from django.urls import path, register_converter

from . import opendata_views


class MonthConverter:
    """``YYYY-MM``; whether the month exists and is published is the view's question."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(MonthConverter, "opendata_month")

app_name = "opendata"
urlpatterns = [
    path("", opendata_views.index, name="index"),
    path("<slug:code>/<opendata_month:month>.csv", opendata_views.month_file, name="file"),
]
