"""An order's balance explains every cent (issue 14): what was charged, authorized,
captured, refunded and is outstanding, as lines with their cause, each figure the sum of its
lines; shown in the order admin and, in the shopper's terms, on their order page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services as order_services
from payments import services
from payments.models import Payment, RefundReason
from payments.selectors import order_balance
from tests.factories import UserFactory, ready_cart

from .conftest import CARD, place, staff_with

pytestmark = pytest.mark.django_db


def assert_lines_add_up(balance, order):
    payments = list(Payment.objects.filter(order=order))
    assert balance.charged == balance.total_of("charged") == order.total
    assert balance.captured == balance.total_of("captured") == sum(
        p.captured_amount for p in payments)
    assert balance.refunded == balance.total_of("refunded") == sum(
        p.refunded_amount for p in payments)
    assert balance.authorized == balance.total_of("authorized")
    assert balance.paid == balance.captured - balance.refunded


def test_every_refund_is_a_line_with_its_cause_and_the_lines_add_up(lamp):
    order = place(lamp)  # 40.00 + 5.00 shipping, captured at once
    payment = Payment.objects.get()
    manager = staff_with("refund_adjustment", username="maria")
    services.refund_payment(payment=payment, amount=Decimal("5"), reason="Late parcel",
                            actor=manager, refund_reason=RefundReason.GOODWILL)
    services.refund_payment(payment=payment, amount=Decimal("10"), reason="Return RMA-1001",
                            refund_reason=RefundReason.RETURN, refund_reference="RMA-1001")
    services.refund_payment(payment=payment, amount=Decimal("1"))  # an old, unexplained one
    balance = order_balance(order)
    assert_lines_add_up(balance, order)
    assert (balance.charged, balance.captured, balance.refunded, balance.paid,
            balance.outstanding) == (Decimal("45"), Decimal("45"), Decimal("16"),
                                     Decimal("29"), Decimal("0"))
    staff = [line.staff_text for line in balance.lines]
    assert staff[1].startswith("Payment authorized on ") and "via card Visa •••• 4242" in staff[1]
    assert staff[2:] == ["Goodwill refund by maria “Late parcel”", "Refund for return RMA-1001",
                         "Refund with no reason recorded"]
    shopper = [line.shopper_text for line in balance.lines]
    assert shopper[2:] == ["Refunded: a goodwill gesture", "Refunded for your return RMA-1001",
                           "Refunded"]


def test_a_refund_made_at_the_gateway_is_a_line_too(lamp):
    order = place(lamp)
    payment = Payment.objects.get()
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=Decimal("7"),
                                                 state="partially_refunded")
    balance = order_balance(order)
    assert_lines_add_up(balance, order)
    assert balance.lines[-1].staff_text.startswith("Refunded at the gateway")


def test_an_authorized_payment_is_held_and_an_unpaid_order_is_outstanding(lamp, authorize_only):
    held = order_balance(place(lamp))
    assert (held.authorized, held.captured, held.outstanding) == (Decimal("45"), 0, 0)
    assert "charged when your order ships" in held.lines[-1].shopper_text
    unpaid = place(lamp, pay=False, email="b@example.com")
    balance = order_balance(unpaid)
    assert_lines_add_up(balance, unpaid)
    assert (balance.outstanding, len(balance.lines)) == (Decimal("45"), 1)


def test_the_order_admin_and_the_shoppers_page_show_the_balance(lamp, client):
    shopper = UserFactory()
    order = order_services.place_order(
        cart=ready_cart(variants={lamp: 1}, email=shopper.email, user=shopper))
    services.start_payment(order=order, payment_data=CARD)
    manager = staff_with("view_order", "view_payment", "refund_adjustment", username="maria")
    services.refund_payment(payment=Payment.objects.get(), amount=Decimal("5"),
                            reason="Scratched box", actor=manager,
                            refund_reason=RefundReason.GOODWILL)
    client.force_login(manager)
    admin_page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    html = admin_page.content.decode()
    assert "Goodwill refund by maria “Scratched box”" in html
    assert "Paid (captured less refunded)" in html and "$40.00" in html
    client.force_login(shopper)
    page = client.get(reverse("account:order", args=[order.number])).content.decode()
    assert 'data-testid="order-balance"' in page
    assert "Refunded: a goodwill gesture" in page and "Scratched box" not in page
    assert "maria" not in page
