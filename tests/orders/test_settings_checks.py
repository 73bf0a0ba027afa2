"""The payment reminder must come before the unpaid order's deadline (a system check)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from orders.checks import check_payment_reminder_before_deadline


def test_a_reminder_window_shorter_than_the_deadline_passes(settings):
    settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES = 30
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 10
    assert check_payment_reminder_before_deadline() == []


@pytest.mark.parametrize("reminder", [30, 45])
def test_a_reminder_window_as_long_as_the_deadline_or_longer_is_refused(settings, reminder):
    settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES = 30
    settings.SHOP_PAYMENT_REMINDER_MINUTES = reminder
    [error] = check_payment_reminder_before_deadline()
    assert error.id == "orders.E001"
    assert "must be less than SHOP_UNPAID_ORDER_TIMEOUT_MINUTES (30)" in error.msg


def test_a_reminder_window_of_zero_is_refused(settings):
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 0
    [error] = check_payment_reminder_before_deadline()
    assert error.id == "orders.E002"


def test_manage_py_check_refuses_to_start_with_it(settings):
    settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES = 20
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 20
    with pytest.raises(SystemCheckError, match="orders.E001"):
        call_command("check")
