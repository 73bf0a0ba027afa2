"""Consent to marketing email, unsubscribe, abandoned checkout recovery and
segment campaigns. Sends only to people who may be emailed; transactional mail never asks."""
from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing"

    def ready(self) -> None:
        from kernel.personal_data import register_personal_data

        from . import personal_data, receivers, recovery

        register_personal_data("marketing_consent", export=personal_data.export_consent,
                               erase=personal_data.erase_consent)
        register_personal_data("marketing_emails", export=personal_data.export_emails,
                               erase=personal_data.erase_emails)
        recovery.register()
        receivers.connect()
