"""Linked-data URLs of the catalogue (the service pages themselves are the portal's)."""

from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("catalog", views.catalogue, name="catalogue"),
    path("catalog.<str:extension>", views.catalogue_document, name="catalogue-document"),
    path("catalog/agencies/<slug:code>", views.agency, name="agency"),
    path("catalog/events/<slug:stage>", views.event, name="event"),
    path("catalog/concepts/<slug:scheme>", views.vocabulary, name="scheme"),
    path("catalog/concepts/<slug:scheme>/<slug:code>", views.vocabulary, name="concept"),
    path("services/<slug:slug>.<str:extension>", views.service_file, name="service-document"),
]
