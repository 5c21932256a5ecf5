from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "bizportal.privacy"
    label = "privacy"
    verbose_name = "PDPA: ความเป็นส่วนตัว / Privacy"
