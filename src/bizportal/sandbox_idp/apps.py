from django.apps import AppConfig


class SandboxIdpConfig(AppConfig):
    name = "bizportal.sandbox_idp"
    label = "sandbox_idp"
