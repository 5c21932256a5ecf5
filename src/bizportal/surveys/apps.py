from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "bizportal.surveys"
    label = "surveys"
    verbose_name = "แบบสำรวจความพึงพอใจ / Satisfaction surveys"

    def ready(self) -> None:
        # Invitations follow licences issued and complaints closed; the permission
        # rules guard the results.
        from . import rules, subscribers  # noqa: F401
