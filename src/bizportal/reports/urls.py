"""Report pages, under /backoffice/reports/."""

from django.urls import path

from . import export_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.applications_behind, name="applications"),
    path("exports/<uuid:public_id>/", export_views.export_status, name="export-status"),
    path(
        "exports/<uuid:public_id>/download",
        export_views.export_download,
        name="export-download",
    ),
    path("<slug:slug>/export.<str:fmt>", export_views.export, name="export"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
