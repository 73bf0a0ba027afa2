"""EasyPost through its official SDK, against a local fake of its API; carrier webhooks."""

import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from fulfillment import services, tasks
from fulfillment.carriers import CarrierError
from fulfillment.carriers.easypost import EasyPostCarrier
from fulfillment.models import LabelPurchase, Shipment, TrackingEvent

from .easypost_fake import FakeEasyPost

pytestmark = pytest.mark.django_db
WEBHOOK = "/fulfillment/carrier/webhook/"


@pytest.fixture
def easypost(settings):
    fake = FakeEasyPost()
    settings.EASYPOST_API_KEY = "EZTK_test"
    settings.EASYPOST_API_BASE = f"{fake.url}/v2"
    settings.SHOP_DEFAULT_CARRIER = "easypost"
    settings.CARRIER_WEBHOOK_SECRET = "whsec_carrier"
    yield fake
    fake.stop()


def packed_shipment(paid_order) -> Shipment:
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    for _ in range(2):
        services.scan_item(shipment_id=shipment.pk, code=shipment.lines.get().order_line.sku)
    return services.complete_packing(shipment_id=shipment.pk, weight_grams=1000,
                                     length_cm=30, width_cm=20, height_cm=10)


def test_buys_the_lowest_rate_as_a_pdf_once(easypost, paid_order):
    shipment = packed_shipment(paid_order)
    assert shipment.carrier == "easypost"
    labeled = services.purchase_label(shipment_id=shipment.pk)
    assert labeled.state == Shipment.State.LABEL_PURCHASED
    assert labeled.service == "USPS Priority" and str(labeled.label_cost) == "7.45"
    assert labeled.tracking_number.startswith("9400")
    with labeled.label.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")
    created = easypost.shipments[LabelPurchase.objects.get().reference]
    assert created["parcel"]["weight"] == 35.3  # 1000 g in ounces
    assert services.purchase_label(shipment_id=shipment.pk).tracking_number == \
        labeled.tracking_number
    assert easypost.buys == 1


def test_a_retry_after_a_lost_answer_reuses_the_bought_label(easypost, paid_order):
    shipment = packed_shipment(paid_order)
    purchase = LabelPurchase.objects.create(shipment=shipment, carrier="easypost",
                                            idempotency_key="label:again",
                                            claimed_at=timezone.now())
    carrier = EasyPostCarrier()
    from fulfillment.carriers import Parcel

    first = carrier.buy_label(shipment=shipment, parcel=Parcel(1000, None, None, None),
                              idempotency_key=purchase.idempotency_key)
    again = carrier.buy_label(shipment=shipment, parcel=Parcel(1000, None, None, None),
                              idempotency_key=purchase.idempotency_key)
    assert first.tracking_number == again.tracking_number and easypost.buys == 1


def test_an_outage_is_retried_and_the_shipment_stays_packed(easypost, paid_order):
    shipment = packed_shipment(paid_order)
    easypost.fail_next(1)
    with pytest.raises(CarrierError):
        services.purchase_label(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.PACKED
    assert LabelPurchase.objects.get().outcome == "failed"
    assert services.purchase_label(shipment_id=shipment.pk).state == "label_purchased"


def ship(easypost, paid_order) -> Shipment:
    shipment = packed_shipment(paid_order)
    services.purchase_label(shipment_id=shipment.pk)
    return services.ship_shipment(shipment_id=shipment.pk)


DETAILS = [
    {"status": "in_transit", "message": "Arrived at hub", "datetime": "2026-11-20T10:00:00Z",
     "tracking_location": {"city": "Reno", "state": "NV"}},
    {"status": "out_for_delivery", "message": "Out for delivery",
     "datetime": "2026-11-21T08:00:00Z", "tracking_location": {"city": "Portland"}},
    {"status": "delivered", "message": "Front porch", "datetime": "2026-11-21T15:00:00Z",
     "tracking_location": {"city": "Portland"}},
]


def test_polling_records_each_event_once(easypost, paid_order):
    shipment = ship(easypost, paid_order)
    easypost.set_tracking(shipment.tracking_number, DETAILS[:2])
    assert tasks.poll_tracking() == 2
    assert tasks.poll_tracking() == 0
    easypost.set_tracking(shipment.tracking_number, DETAILS)
    tasks.poll_tracking()
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 4  # shipped + 3


def signed(body: bytes, secret: str = "whsec_carrier") -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"HTTP_X_HMAC_SIGNATURE": f"hmac-sha256-hex={digest}"}


def test_carrier_webhook_is_verified_and_applied_forward_only(client, easypost, paid_order):
    shipment = ship(easypost, paid_order)
    event = {"object": "Event", "description": "tracker.updated", "result": {
        "object": "Tracker", "id": "trk_1", "tracking_code": shipment.tracking_number,
        "tracking_details": DETAILS}}
    body = json.dumps(event).encode()
    assert client.post(WEBHOOK, body, content_type="application/json",
                       **signed(body, "wrong")).status_code == 400
    assert client.post(WEBHOOK, body, content_type="application/json").status_code == 400
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.SHIPPED
    for _ in range(3):
        assert client.post(WEBHOOK, body, content_type="application/json",
                           **signed(body)).status_code == 200
    late = json.dumps({**event, "result": {**event["result"],
                                           "tracking_details": DETAILS[:1]}}).encode()
    client.post(WEBHOOK, late, content_type="application/json", **signed(late))
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 4


def test_rates_are_offered_cheapest_first(easypost, paid_order):
    from fulfillment.carriers import Parcel

    shipment = packed_shipment(paid_order)
    rates = EasyPostCarrier().rates(shipment=shipment, parcel=Parcel(1000, 30, 20, 10))
    assert [(r.service, str(r.price)) for r in rates] == [("USPS Priority", "7.45"),
                                                          ("UPS Ground", "11.20")]


def test_canceling_a_labeled_shipment_voids_its_label_once(easypost, paid_order,
                                                            django_capture_on_commit_callbacks):
    shipment = packed_shipment(paid_order)
    services.purchase_label(shipment_id=shipment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_shipment(shipment_id=shipment.pk)
    assert easypost.refunds == 1
    assert LabelPurchase.objects.get().voided_at is not None
    assert tasks.void_label(shipment.pk) is False
    assert easypost.refunds == 1
