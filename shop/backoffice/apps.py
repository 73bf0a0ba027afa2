from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The order back office: the order admin and the stock shortfalls queue, which act
    across orders, payments and fulfillment."""

    name = "shop.backoffice"
    label = "backoffice"
    verbose_name = "Back office"
