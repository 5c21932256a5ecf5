from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "bizportal.licences"
    label = "licences"
