from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from django.core import checks

        from . import receivers
        from .checks import check_payment_reminder_before_deadline

        receivers.connect()
        checks.register(check_payment_reminder_before_deadline)
