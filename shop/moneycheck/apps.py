from django.apps import AppConfig


class MoneyCheckConfig(AppConfig):
    name = "shop.moneycheck"
    label = "moneycheck"
    verbose_name = "Money consistency"
