"""A real Celery worker on Redis does the fulfillment work after an order is paid."""

import time

import pytest

from fulfillment import services
from fulfillment.models import LabelPurchase, Shipment, ShipmentNotification
from orders import services as order_services
from payments import services as payment_services
from tests.factories import ProductFactory, make_variant, ready_cart
from tests.shop.test_celery_worker import redis_url, send_tasks_to, worker  # noqa: F401

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def wait_for(check, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_creates_shipments_buys_one_label_and_mails_once(send_tasks_to):  # noqa: F811
    variant = make_variant(ProductFactory(), sku="WORKER-1", price="20.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)
    assert wait_for(lambda: Shipment.objects.filter(order=order).exists())
    shipment = Shipment.objects.get(order=order)
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    services.scan_item(shipment_id=shipment.pk, code="WORKER-1")
    services.complete_packing(shipment_id=shipment.pk, weight_grams=400)
    assert wait_for(lambda: Shipment.objects.get(pk=shipment.pk).state == "label_purchased")
    from fulfillment.tasks import purchase_label

    purchase_label.delay(shipment.pk)  # a duplicate delivery of the task
    services.ship_shipment(shipment_id=shipment.pk)
    assert wait_for(lambda: ShipmentNotification.objects.filter(
        shipment=shipment, kind="shipped", sent_at__isnull=False).exists())
    time.sleep(1)
    assert LabelPurchase.objects.get(shipment=shipment).attempts == 1
    assert ShipmentNotification.objects.filter(shipment=shipment).count() == 1
