from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from django.core import checks

        from . import checkout_rates, personal_data, receivers
        from .checks import check_payment_reminder_before_deadline

        receivers.connect()
        personal_data.register()
        checkout_rates.connect()
        checks.register(check_payment_reminder_before_deadline)
