from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "bizportal.notifications"
    label = "notifications"
