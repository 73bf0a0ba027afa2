from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self) -> None:
        from . import personal_data, receivers

        receivers.connect()
        personal_data.register()
