from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self) -> None:
        from . import personal_data, receivers

        receivers.connect()
        personal_data.register()
