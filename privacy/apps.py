"""Data requests: a person's data exported as JSON, an account closed by erasing or
anonymising personal data while orders keep what the law requires; every request logged."""
from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from . import personal_data, receivers

        personal_data.register()
        receivers.connect()
