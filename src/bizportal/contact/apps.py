from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "bizportal.contact"
    label = "contact"
    verbose_name = "ติดต่อและร้องเรียน / Contact and complaints"

    def ready(self) -> None:
        # Who may see and answer what; the sweeper escalates overdue cases.
        from . import rules, sweepers  # noqa: F401
