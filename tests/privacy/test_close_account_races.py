"""Closing an account while staff cancel the customer's paid order (PostgreSQL, real
threads). Whichever takes the order's lock first, money and goods never part ways: either
the closing is refused (the order is still open, or its refund is being settled) and the
person's details stay for it, or the order was canceled and refunded in full before the
details went. Never a crash."""

import pytest

from kernel.errors import ShopError
from orders.models import Order
from payments import services as payment_services
from privacy import services
from privacy.models import DataRequest
from shop.moneycheck.selectors import check_orders
from tests.concurrency import run_concurrently
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize("round_number", range(3))
def test_closing_against_a_cancel_never_erases_an_order_with_money_unsettled(
        round_number, delivered_order):
    ada = UserFactory(username=f"ada{round_number}@example.com",
                      email=f"ada{round_number}@example.com")
    order = delivered_order(user=ada, email=ada.email, delivered=False)
    merchant = UserFactory(username=f"merchant{round_number}", is_staff=True)

    close, cancel = run_concurrently(
        lambda: services.close_account(user=ada),
        lambda: payment_services.cancel_and_settle(order=Order.objects.get(pk=order.pk),
                                                   reason="Customer asked", actor=merchant))

    crashes = [o.error for o in (close, cancel)
               if o.error is not None and not isinstance(o.error, ShopError)]
    assert not crashes, crashes
    assert cancel.ok, cancel.error
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    if close.ok:  # the cancel was settled first: then the details went
        assert order.user is None and order.email == "erased@erased.invalid"
    else:  # refused while open: the details stay for the refund, and it is logged
        assert order.user_id == ada.pk and order.email == ada.email
        assert DataRequest.objects.filter(status="refused", user=ada).exists()
    assert check_orders().is_clean
