"""Orders and payments in Django admin: read-only records, actions through services."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel
from orders import services as order_services
from orders.models import Order, ShippingMethod, Voucher
from payments import services
from payments.models import Payment
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Desk Lamp"), price="40.00", stock=100)


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def order(variant, pay=True, email="a@example.com"):
    placed = order_services.place_order(cart=ready_cart(variants={variant: 1}, email=email))
    if pay:
        services.start_payment(order=placed, payment_data=CARD)
    return placed


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_order_list_has_a_fixed_number_of_queries(staff, variant):
    url = reverse("admin:orders_order_changelist")
    order(variant)
    with CaptureQueriesContext(connection) as few:
        assert staff.get(url).status_code == 200
    for n in range(29):
        order(variant, email=f"c{n}@example.com")
    with CaptureQueriesContext(connection) as many:
        assert staff.get(url).status_code == 200
    assert len(few) == len(many)


def test_order_page_shows_lines_allocations_payments_and_timeline(staff, variant):
    placed = order(variant)
    page = staff.get(reverse("admin:orders_order_change", args=[placed.pk]))
    assert page.status_code == 200
    for text in (b"Desk Lamp", b"1 at main", b"Visa", b"Payment captured", b"Order placed",
                 b"Cancel order"):
        assert text in page.content, text
    assert staff.get(reverse("admin:payments_payment_changelist")).status_code == 200
    payment = Payment.objects.get()
    assert staff.get(reverse("admin:payments_payment_change", args=[payment.pk])).status_code \
        == 200


def test_cancel_view_refunds_and_releases_stock(staff, variant):
    placed = order(variant)
    url = reverse("admin:orders_order_cancel", args=[placed.pk])
    assert staff.get(url).status_code == 200
    assert staff.post(url, {"reason": ""}).status_code == 200  # reason required
    response = staff.post(url, {"reason": "Customer called"})
    assert response.status_code == 302
    placed.refresh_from_db()
    assert placed.status == Order.Status.CANCELED
    assert placed.payment_status == Order.PaymentStatus.REFUNDED
    assert StockLevel.objects.get(variant=variant).allocated == 0
    assert Payment.objects.get().state == Payment.State.REFUNDED


def test_cancel_action_on_a_canceled_order_is_an_error_message(staff, variant):
    placed = order(variant, pay=False)
    order_services.cancel_order(order_id=placed.pk)
    response = staff.post(reverse("admin:orders_order_changelist"),
                          {"action": "cancel_orders", "_selected_action": [placed.pk]},
                          follow=True)
    assert response.status_code == 200
    assert any("canceled" in m.lower() for m in messages_of(response))


def test_capture_an_authorized_payment_and_refuse_capture_of_unpaid(staff, variant,
                                                                    monkeypatch):
    monkeypatch.setattr(services, "_capture_automatically", lambda gateway: False)
    authorized = order(variant)
    assert authorized.__class__.objects.get(pk=authorized.pk).payment_status == "authorized"
    url = reverse("admin:orders_order_operation", args=[authorized.pk, "capture"])
    staff.post(url)
    assert Order.objects.get(pk=authorized.pk).payment_status == Order.PaymentStatus.PAID
    unpaid = order(variant, pay=False, email="u@example.com")
    response = staff.post(reverse("admin:orders_order_operation", args=[unpaid.pk, "capture"]),
                          follow=True)
    assert any("no authorized payment" in m for m in messages_of(response))
    assert Order.objects.get(pk=unpaid.pk).payment_status == Order.PaymentStatus.UNPAID


def test_release_a_held_order(staff, variant):
    held = order(variant)
    order_services.hold_for_review(order_id=held.pk, score=80, reasons=["Test reason"])
    listing = staff.get(reverse("admin:orders_order_changelist") + "?risk=held")
    assert b"HELD (80)" in listing.content and b"Test reason" in listing.content
    staff.post(reverse("admin:orders_order_operation", args=[held.pk, "release"]))
    assert Order.objects.get(pk=held.pk).risk == Order.Risk.RELEASED
    again = staff.post(reverse("admin:orders_order_operation", args=[held.pk, "release"]),
                       follow=True)
    assert any("not held" in m for m in messages_of(again))


def test_refund_form_bounds(staff, variant):
    order(variant)  # 45.00 with shipping
    payment = Payment.objects.get()
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    for amount in ("45.01", "abc", "0", "-3", "NaN"):
        response = staff.post(url, {"amount": amount, "reason": "x"})
        assert response.status_code == 200 and response.context["form"].errors
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("0")
    assert staff.post(url, {"amount": "15.00", "reason": "Scratched"}).status_code == 302
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("15.00")


def test_staff_without_permission_get_403_and_no_actions(client, variant, staff_roles):
    placed = order(variant)
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"),
                                Permission.objects.get(codename="view_payment"))
    client.force_login(viewer)
    listing = client.get(reverse("admin:orders_order_changelist"))
    assert listing.status_code == 200 and b"cancel_orders" not in listing.content
    assert client.get(reverse("admin:orders_order_cancel", args=[placed.pk])).status_code == 403
    assert client.post(reverse("admin:orders_order_operation",
                               args=[placed.pk, "release"])).status_code == 403
    refund = reverse("admin:payments_payment_refund", args=[Payment.objects.get().pk])
    assert client.post(refund, {"amount": "1", "reason": "x"}).status_code == 403
    placed.refresh_from_db()
    assert placed.status == Order.Status.OPEN


def test_shoppers_are_sent_to_the_admin_login(client, variant):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:orders_order_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_configuration_pages(staff):
    for name in ("orders_shippingzone", "orders_shippingmethod", "orders_taxrate",
                 "orders_voucher"):
        assert staff.get(reverse(f"admin:{name}_changelist")).status_code == 200
        assert staff.get(reverse(f"admin:{name}_add")).status_code == 200
    response = staff.post(reverse("admin:orders_shippingzone_add"), {
        "name": "Nordics", "countries": "se, no, XX", "methods-TOTAL_FORMS": "0",
        "methods-INITIAL_FORMS": "0"})
    assert response.status_code == 200 and b"Unknown country codes: XX" in response.content
    Voucher.objects.create(code="ADMIN", kind="fixed", value=5)
    voucher = Voucher.objects.get()
    page = staff.get(reverse("admin:orders_voucher_change", args=[voucher.pk]))
    assert b'name="used_count"' not in page.content
    assert ShippingMethod.objects.count() == 0
