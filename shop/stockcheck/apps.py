from django.apps import AppConfig


class StockCheckConfig(AppConfig):
    name = "shop.stockcheck"
    label = "stockcheck"
    verbose_name = "Stock consistency"
