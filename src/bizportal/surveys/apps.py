from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "bizportal.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        # Invitations follow licences issued and complaints closed; the permission
        # rules guard the results.
        from . import rules, subscribers  # noqa: F401
