"""Linked-data URLs of the catalogue (the service pages themselves are the portal's)."""

from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("catalog", views.catalogue, name="catalogue"),
    path("catalog.<str:extension>", views.catalogue_document, name="catalogue-document"),
    path("catalog/agencies/<slug:code>", views.agency, name="agency"),
    path("services/<slug:slug>.<str:extension>", views.service_file, name="service-document"),
]
