from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "bizportal.catalog"
    label = "catalog"
