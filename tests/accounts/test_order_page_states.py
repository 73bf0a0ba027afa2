"""The shopper's order page (account or signed guest link): "awaiting payment" with a Pay
now button until the deadline, a status in plain words that reads closed when the order
is (never "Open"), and a timeline without the warehouse's and payment desk's internals."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import services as order_services
from orders.links import guest_order_path
from orders.models import Order, OrderEvent
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"name": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/30",
        "cvc": "123"}


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Copper Kettle"), price="30.00", stock=5)


def place(variant, user=None):
    email = user.email if user else "guest@example.com"
    return order_services.place_order(cart=ready_cart(variants={variant: 1}, email=email,
                                                      user=user), user=user)


def status_of(html: str) -> str:
    return html.split('data-testid="order-status">', 1)[1].split("<", 1)[0]


def test_a_guest_comes_back_through_the_signed_link_and_pays(variant):
    order = place(variant)
    browser = Client()  # another browser than the one that placed it (from the email)
    pay_url = reverse("checkout:pay", args=[order.token])
    assert browser.get(pay_url).status_code == 404  # the token alone opens nothing
    page = browser.get(guest_order_path(order)).content.decode()
    assert status_of(page) == "Awaiting payment"
    assert "Pay now" in page and pay_url in page
    assert browser.get(pay_url).status_code == 200  # the signed link let this browser in
    response = browser.post(pay_url, CARD)
    assert response["Location"] == reverse("checkout:confirmation", args=[order.token])
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    page = browser.get(guest_order_path(order)).content.decode()
    assert status_of(page) == "Confirmed" and "Pay now" not in page
    assert "Payment received" in page


def test_the_customer_sees_pay_now_until_the_deadline_only(client, variant):
    user = UserFactory()
    order = place(variant, user=user)
    client.force_login(user)
    url = reverse("account:order", args=[order.number])
    page = client.get(url).content.decode()
    assert "Pay now" in page and status_of(page) == "Awaiting payment"
    assert "Awaiting payment" in client.get(reverse("account:orders")).content.decode()
    Order.objects.filter(pk=order.pk).update(payment_due_by=timezone.now() - timedelta(minutes=1))
    page = client.get(url).content.decode()
    assert "Pay now" not in page and status_of(page) == "Payment overdue"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"payment_status": "paid", "fulfillment_status": "delivered"}, "Delivered"),
    ({"payment_status": "paid", "fulfillment_status": "delivered", "status": "closed"},
     "Delivered"),
    ({"payment_status": "refunded", "fulfillment_status": "delivered"}, "Refunded"),
    ({"payment_status": "refunded", "status": "closed"}, "Refunded"),
    ({"status": "canceled", "payment_due_by": None}, "Canceled"),
    ({"payment_status": "paid", "fulfillment_status": "fulfilled"}, "Shipped"),
    ({"payment_status": "paid", "fulfillment_status": "returned"}, "Returned"),
])
def test_closed_orders_read_as_closed_never_open(client, variant, changes, expected):
    user = UserFactory()
    order = place(variant, user=user)
    Order.objects.filter(pk=order.pk).update(**changes)
    client.force_login(user)
    page = client.get(reverse("account:order", args=[order.number])).content.decode()
    assert status_of(page) == expected
    assert "Open" not in page.split('aria-label="Order status"', 1)[1].split("</ul>", 1)[0]
    listing = client.get(reverse("account:orders")).content.decode()
    assert expected in listing and ">Open<" not in listing


def test_the_timeline_shows_shopper_events_and_hides_internal_ones(client, variant,
                                                                  admin_client):
    user = UserFactory()
    order = place(variant, user=user)
    internal = [
        (OrderEvent.Type.PAYMENT_FAILED, "Payment of $30.00 failed: Your card was declined."),
        (OrderEvent.Type.NOTE, "Pick list PL-000042 printed"),
        (OrderEvent.Type.SHIPMENT_CREATED, "Shipment S-1 created at warehouse WH-EAST"),
        (OrderEvent.Type.STOCK_RELEASED, "1 unit(s) written off at WH-EAST"),
        (OrderEvent.Type.EMAIL_SENT, "Order received emailed to ada@example.com."),
        (OrderEvent.Type.HELD, "Held for review (risk score 70): many orders from one IP."),
        (OrderEvent.Type.RETURN_RESTOCKED, "2 unit(s) restocked at WH-EAST bin A-1"),
    ]
    shown = [
        (OrderEvent.Type.PAYMENT_AUTHORIZED, "Payment of $30.00 by Visa •••• 4242 authorized."),
        (OrderEvent.Type.PAYMENT_CAPTURED, "Payment of $30.00 by Visa •••• 4242 captured."),
        (OrderEvent.Type.SHIPPED, "Shipment S-1 shipped with tracking LC123456789US."),
        (OrderEvent.Type.DELIVERED, "Shipment S-1 delivered."),
        (OrderEvent.Type.RETURN_REQUESTED, "Return R-1 requested by the shopper."),
    ]
    for event_type, message in internal + shown:
        OrderEvent.objects.create(order=order, type=event_type, message=message)
    OrderEvent.objects.create(order=order, type=OrderEvent.Type.REFUNDED,
                              message="Refunded $30.00: goodwill (staff note)",
                              data={"amount": "30.00"})
    client.force_login(user)
    page = client.get(reverse("account:order", args=[order.number])).content.decode()
    timeline = page.split('id="timeline-title"', 1)[1]
    for text in ("PL-000042", "WH-EAST", "written off", "declined", "risk score",
                 "emailed to", "staff note"):
        assert text not in timeline, text
    for text in ("Order placed", "Shipment S-1 shipped with tracking LC123456789US.",
                 "Delivered", "Return requested", "Refunded $30.00"):
        assert text in timeline, text
    assert timeline.count("Payment received") == 1  # authorized then captured: one payment
    # Staff still see everything in admin.
    admin_page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert admin_page.status_code == 200
    for text in ("PL-000042", "written off", "declined"):
        assert text in admin_page.content.decode(), text
