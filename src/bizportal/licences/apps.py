from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "bizportal.licences"
    label = "licences"

    def ready(self) -> None:
        # Register the sweeper that ends lapsed suspensions.
        from . import sweepers  # noqa: F401
