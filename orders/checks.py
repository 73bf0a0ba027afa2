"""System checks on the orders settings (run by ``manage.py check`` and at every start)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error


def check_payment_reminder_before_deadline(app_configs=None, **kwargs) -> list[Error]:
    """The one payment reminder is sent SHOP_PAYMENT_REMINDER_MINUTES before an unpaid
    order's deadline (SHOP_UNPAID_ORDER_TIMEOUT_MINUTES after placing). A reminder window as
    long as the deadline or longer would remind the shopper the moment the order is placed,
    beside the 'awaiting payment' email, so it is refused."""
    reminder = settings.SHOP_PAYMENT_REMINDER_MINUTES
    timeout = settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES
    if reminder >= timeout:
        return [Error(
            f"SHOP_PAYMENT_REMINDER_MINUTES ({reminder}) must be less than "
            f"SHOP_UNPAID_ORDER_TIMEOUT_MINUTES ({timeout}): the reminder is sent that many "
            "minutes before the unpaid order's deadline.",
            hint="Lower SHOP_PAYMENT_REMINDER_MINUTES or raise "
                 "SHOP_UNPAID_ORDER_TIMEOUT_MINUTES.",
            id="orders.E001")]
    if reminder <= 0:
        return [Error(f"SHOP_PAYMENT_REMINDER_MINUTES ({reminder}) must be above zero.",
                      id="orders.E002")]
    return []
