from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "bizportal.backoffice"
    label = "backoffice"
