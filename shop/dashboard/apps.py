from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "shop.dashboard"
    label = "dashboard"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
