"""An order with nothing to pay (a voucher covering everything, free shipping or store
pickup) completes without a gateway: paid as it is placed, its stock kept, on to
fulfillment. Through the pages and the REST API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from fulfillment.models import Shipment
from inventory.models import StockLevel
from inventory.services import receive_stock
from orders import services as order_services
from orders.models import Order, OrderEvent, ShippingMethod, Voucher
from payments import services as payment_services
from payments import tasks as payment_tasks
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment
from tests.factories import ADDRESS, ProductFactory, WarehouseFactory, make_shipping, make_variant

from .flow import add, fill_checkout, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_shipping():
    return make_shipping(price="0.00", name="Free delivery")


@pytest.fixture
def everything_off():
    return Voucher.objects.create(code="ALLFREE", kind=Voucher.Kind.PERCENTAGE,
                                  value=Decimal("100"))


def assert_paid_without_gateway(order: Order) -> None:
    order.refresh_from_db()
    assert order.total == Decimal("0.00")
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.paid_at is not None and order.payment_due_by is None
    assert not Payment.objects.filter(order=order).exists()
    assert not GatewayCall.objects.exists()
    event = order.events.get(type=OrderEvent.Type.PAYMENT_CAPTURED)
    assert event.data["zero_total"] is True and "Nothing to pay" in event.message
    # On to fulfillment (order_paid after commit), and the stock stays with the order.
    assert Shipment.objects.filter(order=order).exists()
    assert StockLevel.objects.get().allocated == 1


def test_page_flow_completes_a_free_order_without_a_card(
        client, variant, free_shipping, everything_off, django_capture_on_commit_callbacks):
    add(client, variant, 1)
    fill_checkout(client, free_shipping)
    response = client.post(reverse("checkout:voucher"), {"code": "allfree"})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = place(client)
    order = Order.objects.get()
    assert_paid_without_gateway(order)
    # The pay page (where placing lands) has nothing to take: straight to the confirmation.
    assert response["Location"] == reverse("checkout:pay", args=[order.token])
    pay = client.get(response["Location"])
    assert pay.status_code == 302
    assert pay["Location"] == reverse("checkout:confirmation", args=[order.token])
    thanks = client.get(pay["Location"])
    assert thanks.status_code == 200 and "Order confirmed" in thanks.content.decode()
    # One email, and it is the confirmation: nothing is "awaiting payment".
    subjects = [m.subject for m in mail.outbox]
    assert sum(f"Order {order.number} confirmed" in subject for subject in subjects) == 1
    assert not any("awaiting payment" in subject for subject in subjects)


def test_an_unpaid_free_order_is_settled_by_the_pay_page_not_a_500(
        client, variant, free_shipping, everything_off, django_capture_on_commit_callbacks):
    add(client, variant, 1)
    fill_checkout(client, free_shipping)
    client.post(reverse("checkout:voucher"), {"code": "ALLFREE"})
    place(client)
    order = Order.objects.get()
    # As if placed before zero-total orders were settled at placing.
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.UNPAID,
                                             paid_at=None)
    OrderEvent.objects.filter(order=order, type=OrderEvent.Type.PAYMENT_CAPTURED).delete()
    Shipment.objects.filter(order=order).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("checkout:pay", args=[order.token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:confirmation", args=[order.token])
    assert_paid_without_gateway(order)
    # Settling again changes nothing.
    assert order_services.settle_zero_total_order(order_id=order.pk).payment_status == "paid"
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_CAPTURED).count() == 1


def test_api_places_and_pays_a_free_order_without_a_gateway(
        variant, free_shipping, everything_off, django_capture_on_commit_callbacks):
    api = APIClient()
    token = api.post("/api/carts/", format="json").json()["token"]
    api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 1},
             format="json")
    api.put(f"/api/carts/{token}/email/", {"email": "api@example.com"}, format="json")
    api.put(f"/api/carts/{token}/shipping-address/", ADDRESS, format="json")
    api.put(f"/api/carts/{token}/shipping-method/", {"shipping_method_id": free_shipping.pk},
            format="json")
    api.put(f"/api/carts/{token}/billing-address/", {"same_as_shipping": True}, format="json")
    cart = api.put(f"/api/carts/{token}/voucher/", {"code": "ALLFREE"}, format="json").json()
    assert cart["totals"]["total"] == "0.00"
    with django_capture_on_commit_callbacks(execute=True):
        placed = api.post(f"/api/carts/{token}/order/", format="json")
    assert placed.status_code == 201
    body = placed.json()
    assert body["total"] == "0.00" and body["payment_status"] == "paid"
    order = Order.objects.get(number=body["number"])
    assert_paid_without_gateway(order)
    # A client that goes on to "pay" as usual is told there is nothing to pay; no 500.
    paid = api.post(f"/api/orders/{body['token']}/payments/", {}, format="json")
    assert paid.status_code == 200
    assert paid.json()["state"] == "not_required"
    assert paid.json()["order_payment_status"] == "paid" and paid.json()["token"] is None
    assert not Payment.objects.exists()


def test_the_payment_service_refuses_to_charge_nothing(variant, free_shipping, everything_off,
                                                       client):
    add(client, variant, 1)
    fill_checkout(client, free_shipping)
    client.post(reverse("checkout:voucher"), {"code": "ALLFREE"})
    place(client)
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.UNPAID)
    with pytest.raises(PaymentError) as error:
        payment_services.start_payment(order=Order.objects.get(), payment_data={})
    assert error.value.code == "nothing_to_pay"
    assert not Payment.objects.exists()


def test_the_receipt_sweep_leaves_free_orders_alone(variant, free_shipping, everything_off,
                                                    client):
    add(client, variant, 1)
    fill_checkout(client, free_shipping)
    client.post(reverse("checkout:voucher"), {"code": "ALLFREE"})
    place(client)
    Order.objects.update(paid_at=timezone.now() - timedelta(minutes=10))
    # No payment, so no receipt to send: not picked up again and again by every sweep.
    assert payment_tasks.sweep_payment_work() == 0


def test_a_voucher_covering_everything_with_store_pickup_is_paid_and_goes_to_the_store(
        everything_off, django_capture_on_commit_callbacks):
    store = WarehouseFactory(code="store", allows_store_pickup=True)
    variant = make_variant(ProductFactory(title="Tote"), price="12.00", stock=0)
    receive_stock(variant=variant, warehouse=store, quantity=2)
    pickup = make_shipping(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price="0",
                           pickup_warehouse=store)
    cart = order_services.get_or_create_cart()
    order_services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)
    order_services.set_shipping_address(cart=cart, address=ADDRESS)
    order_services.set_shipping_method(cart=cart, method_id=pickup.pk)
    order_services.set_checkout_email(cart=cart, email="p@example.com")
    order_services.apply_voucher(cart=cart, code="ALLFREE")
    with django_capture_on_commit_callbacks(execute=True):
        order = order_services.place_order(cart=cart)
    order.refresh_from_db()
    assert order.total == 0 and order.payment_status == Order.PaymentStatus.PAID
    assert not Payment.objects.exists()
    assert Shipment.objects.get(order=order).warehouse == store
    assert StockLevel.objects.get(warehouse=store).allocated == 1
