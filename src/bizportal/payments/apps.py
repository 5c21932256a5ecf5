from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "bizportal.payments"
    label = "payments"
