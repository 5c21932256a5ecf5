"""Report pages, under /backoffice/reports/."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.applications_behind, name="applications"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
