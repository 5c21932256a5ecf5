from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "bizportal.applications"
    label = "applications"
