from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "bizportal.registries"
    label = "registries"
