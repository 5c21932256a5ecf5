from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bizportal.core"
    label = "core"

    def ready(self) -> None:
        from . import events, tasks

        events.on_publish(tasks.schedule_delivery)
