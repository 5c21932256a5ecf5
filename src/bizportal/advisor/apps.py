from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvisorConfig(AppConfig):
    """The Information Advisor (C2): questions in, the licences a business needs out,
    in the order they must be obtained; and bundles of applications started from it."""

    name = "bizportal.advisor"
    label = "advisor"
    verbose_name = _("Information Advisor")
