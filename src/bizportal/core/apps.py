from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bizportal.core"
    label = "core"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import checks, events, security, security_events, tasks  # noqa: F401 - checks registers itself

        events.on_publish(tasks.schedule_delivery)
        user_logged_in.connect(security.mark_signed_in, dispatch_uid="core.security.signed_in")
        user_login_failed.connect(
            security.record_sign_in_failure, dispatch_uid="core.security.sign_in_failed"
        )
        user_locked_out.connect(security.record_lockout, dispatch_uid="core.security.locked_out")
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        post_save.connect(
            security_events.admin_changed, sender=LogEntry, dispatch_uid="core.admin_changed"
        )
