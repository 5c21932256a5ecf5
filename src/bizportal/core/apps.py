from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bizportal.core"
    label = "core"
