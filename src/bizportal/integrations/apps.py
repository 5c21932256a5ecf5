from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "bizportal.integrations"
    label = "integrations"
    verbose_name = "Agency systems: integration settings"
