"""A 3PL posts shipment updates back through the signed carrier-events endpoint
(README: "Outbound webhooks"), and the shop's own webhooks pass them on."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from fulfillment import services as fulfillment
from fulfillment.models import Shipment, TrackingEvent
from orders.models import Order
from shop.webhooks.models import WebhookEndpoint

from .flow import pay, place

pytestmark = pytest.mark.django_db(transaction=True)
ENDPOINT = "/fulfillment/carrier/webhook/"


def shipped(order) -> Shipment:
    shipment = Shipment.objects.get(order=order)  # made by the order_paid task
    fulfillment.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    for line in shipment.lines.select_related("order_line"):
        for _ in range(line.quantity):
            fulfillment.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    fulfillment.complete_packing(shipment_id=shipment.pk, weight_grams=900)
    fulfillment.purchase_label(shipment_id=shipment.pk)
    return fulfillment.ship_shipment(shipment_id=shipment.pk)


def three_pl_post(client, body: dict, secret: str):
    """What the README tells a 3PL to do: HMAC-SHA256 of the raw body with the shared
    secret, hex, in X-Hmac-Signature with the "hmac-sha256-hex=" prefix."""
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(ENDPOINT, raw, content_type="application/json",
                       HTTP_X_HMAC_SIGNATURE=f"hmac-sha256-hex={digest}")


def test_a_3pl_update_moves_the_shipment_and_is_passed_on(client, receiver, mug, settings):
    settings.CARRIER_WEBHOOK_SECRET = "whsec_3pl_shared"
    WebhookEndpoint.objects.create(name="ERP", url=receiver.url, contact_email="erp@x.example",
                                   events=["shipment.shipped", "shipment.delivered"])
    order = place(mug, 2)
    pay(order)
    shipment = shipped(order)
    update = {"object": "Event", "description": "tracker.updated", "result": {
        "object": "Tracker", "id": "3pl-trk-77", "tracking_code": shipment.tracking_number,
        "tracking_details": [
            {"status": "in_transit", "datetime": "2030-01-02T09:00:00Z",
             "message": "Departed 3PL hub", "tracking_location": {"city": "Reno", "state": "NV"}},
            {"status": "delivered", "datetime": "2030-01-03T15:30:00Z",
             "message": "Left at front door", "tracking_location": {"city": "Portland"}}]}}

    forged = three_pl_post(client, update, "not-the-secret")
    assert forged.status_code == 400
    assert Shipment.objects.get(pk=shipment.pk).state == Shipment.State.SHIPPED

    answer = three_pl_post(client, update, "whsec_3pl_shared")
    assert answer.status_code == 200 and answer.json()["received"] is True
    assert three_pl_post(client, update, "whsec_3pl_shared").status_code == 200  # resent

    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment,
                                        event_id__startswith="3pl-trk-77").count() == 2
    assert Order.objects.get(pk=order.pk).fulfillment_status == Order.FulfillmentStatus.DELIVERED
    assert receiver.types() == ["shipment.shipped", "shipment.delivered"]
    delivered = json.loads(receiver.requests[1].body)["data"]
    assert (delivered["number"], delivered["order"], delivered["state"]) == (
        shipment.number, order.number, "delivered")
