"""Shipment emails: every kind has a text and an HTML part with the tracking link; the
pickup email carries the code; a parcel past its promised ship date gets one delay email."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from fulfillment import services, tasks
from fulfillment.links import shipment_number_from_signature
from fulfillment.models import Shipment, ShipmentNotification
from fulfillment.notifications import send_shipment_email
from orders import services as order_services
from orders.models import OrderEvent, ShippingMethod
from payments import services as payment_services
from tests.factories import ProductFactory, make_shipping, make_variant, ready_cart

from .conftest import CARD
from .test_shipments import pack, to_shipped

pytestmark = pytest.mark.django_db
Kind = ShipmentNotification.Kind


def tracking_numbers_linked(text):
    base = re.escape(settings.SHOP_BASE_URL.rstrip("/"))
    return {shipment_number_from_signature(signature)
            for signature in re.findall(rf"{base}/track/([^/\"\s]+)/", text)}


def the_email(kind, shipment):
    assert send_shipment_email(shipment_id=shipment.pk, kind=kind)
    message = mail.outbox[-1]
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html" and html.lstrip().startswith("<!doctype html>")
    assert message.to == [shipment.order.email]
    assert tracking_numbers_linked(message.body) == {shipment.number}
    assert tracking_numbers_linked(html) == {shipment.number}
    return message, html


@pytest.mark.parametrize("kind, subject", [
    (Kind.SHIPPED, "has shipped"), (Kind.OUT_FOR_DELIVERY, "is out for delivery"),
    (Kind.DELIVERED, "was delivered"), (Kind.EXCEPTION, "A problem delivering"),
    (Kind.DELAYED, "is running late"),
])
def test_each_courier_shipment_email_has_an_html_part_and_the_tracking_link(
        paid_order, kind, subject):
    order = paid_order(lamp=0)
    shipment = to_shipped(services.create_shipments(order_id=order.pk)[0])
    message, html = the_email(kind, shipment)
    assert subject in message.subject and order.number in message.subject
    assert shipment.tracking_number in message.body and shipment.tracking_number in html
    assert OrderEvent.objects.filter(order=order, type=OrderEvent.Type.EMAIL_SENT,
                                     data__kind=kind).count() == 1
    assert send_shipment_email(shipment_id=shipment.pk, kind=kind) is False  # once


def test_ready_for_pickup_email_carries_the_pickup_code(warehouses):
    east, _ = warehouses
    east.allows_store_pickup = True
    east.save()
    variant = make_variant(ProductFactory(), stock=3, warehouse=east)
    pickup = make_shipping(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price="0",
                           pickup_warehouse=east)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}, method=pickup))
    payment_services.start_payment(order=order, payment_data=CARD)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=east.pk, count=1)
    shipment = pack(shipment)
    message, html = the_email(Kind.READY_FOR_PICKUP, shipment)
    assert "ready for pickup" in message.subject
    assert shipment.pickup_code in message.body
    assert f">{shipment.pickup_code}</strong>" in html
    assert east.name in html


def late(shipment, hours=2):
    Shipment.objects.filter(pk=shipment.pk).update(
        promised_ship_by=timezone.now() - timedelta(hours=hours))


def test_the_beat_sends_one_delay_email_per_late_unshipped_shipment(paid_order):
    order = paid_order()  # a mug from the east, a lamp from the west
    east_shipment, west_shipment = services.create_shipments(order_id=order.pk)
    on_time = paid_order(email="on-time@example.com", lamp=0)
    services.create_shipments(order_id=on_time.pk)
    gone = paid_order(email="gone@example.com", lamp=0)
    shipped_late = to_shipped(services.create_shipments(order_id=gone.pk)[0])
    for shipment in (east_shipment, west_shipment, shipped_late):
        late(shipment)
    mail.outbox.clear()

    assert tasks.notify_delayed_shipments() == 2

    delay_emails = [m for m in mail.outbox if "running late" in m.subject]
    assert sorted(m.to[0] for m in delay_emails) == ["ship@example.com"] * 2
    assert {east_shipment.number, west_shipment.number} == {
        number for m in delay_emails for number in tracking_numbers_linked(m.body)}
    assert ShipmentNotification.objects.filter(kind=Kind.DELAYED).count() == 2
    assert tasks.notify_delayed_shipments() == 0  # once per shipment
    assert len([m for m in mail.outbox if "running late" in m.subject]) == 2


def test_a_canceled_shipment_or_a_parcel_waiting_for_pickup_is_not_late(paid_order,
                                                                        warehouses):
    order = paid_order(lamp=0)
    (canceled,) = services.create_shipments(order_id=order.pk)
    services.cancel_shipment(shipment_id=canceled.pk)
    late(canceled)
    east, _ = warehouses
    east.allows_store_pickup = True
    east.save()
    variant = make_variant(ProductFactory(), stock=3, warehouse=east)
    pickup = make_shipping(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price="0",
                           pickup_warehouse=east)
    pickup_order = order_services.place_order(cart=ready_cart(variants={variant: 1},
                                                              method=pickup))
    payment_services.start_payment(order=pickup_order, payment_data=CARD)
    waiting = services.create_shipments(order_id=pickup_order.pk)[0]
    services.create_pick_list(warehouse_id=east.pk, shipment_ids=[waiting.pk])
    pack(waiting)
    late(waiting)
    assert tasks.notify_delayed_shipments() == 0


def test_the_delay_check_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["notify-delayed-shipments"]
    assert entry["task"] == "fulfillment.tasks.notify_delayed_shipments"
    assert tasks.notify_delayed_shipments.name == entry["task"]
    assert entry["schedule"] <= 3600
