from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "bizportal.portal"
    label = "portal"
