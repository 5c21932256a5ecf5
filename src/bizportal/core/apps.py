from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bizportal.core"
    label = "core"

    def ready(self) -> None:
        from . import checks, events, tasks  # noqa: F401 - checks registers itself

        events.on_publish(tasks.schedule_delivery)
