from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from . import personal_data, receivers

        receivers.connect()
        personal_data.register()
