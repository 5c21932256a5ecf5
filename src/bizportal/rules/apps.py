from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "bizportal.rules"
    label = "rules"
