from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "bizportal.contact"
    label = "contact"
    verbose_name = _("Contact and complaints")

    def ready(self) -> None:
        # Who may see and answer what; the sweeper escalates overdue cases.
        from . import rules, sweepers  # noqa: F401
