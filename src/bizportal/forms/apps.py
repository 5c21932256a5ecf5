from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "bizportal.forms"
    label = "forms"
