from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "bizportal.identity"
    label = "identity"
