"""Registers the back office's admin screens (Django's autodiscovery imports this module)."""

from . import order_admin, payment_admin, stock_shortfalls_admin  # noqa: F401
