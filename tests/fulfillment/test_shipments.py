"""Shipments from a paid order to a delivered parcel, through the services."""

import io
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from fulfillment import services, tasks
from fulfillment.carriers import TrackingUpdate
from fulfillment.carriers.local import is_valid_tracking_number, tracking_number_for
from fulfillment.models import LabelPurchase, Shipment, ShipmentNotification, TrackingEvent
from fulfillment.services import FulfillmentError
from inventory.models import StockLevel, StockMovement
from kernel.errors import InvalidTransition
from orders.models import Order
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db
State = Shipment.State


def pack(shipment, weight=900):
    for line in shipment.lines.select_related("order_line"):
        for _ in range(line.quantity):
            services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    return services.complete_packing(shipment_id=shipment.pk, weight_grams=weight,
                                     length_cm=30, width_cm=20, height_cm=10)


def to_shipped(shipment):
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    pack(shipment)
    services.purchase_label(shipment_id=shipment.pk)
    return services.ship_shipment(shipment_id=shipment.pk)


def test_paid_order_is_split_across_warehouses_and_runs_twice_safely(paid_order):
    order = paid_order()
    shipments = services.create_shipments(order_id=order.pk)
    assert [(s.warehouse.code, [(line.order_line.sku.split("-")[0], line.quantity)
                                for line in s.lines.all()]) for s in shipments] == [
        ("east", [("SKU", 2)]), ("west", [("SKU", 1)])]
    assert services.create_shipments(order_id=order.pk) == []
    assert all(s.promised_ship_by > timezone.now() for s in shipments)


def test_held_or_unpaid_orders_get_no_shipments(paid_order):
    from orders import services as order_services

    order = paid_order()
    order_services.hold_for_review(order_id=order.pk, score=90, reasons=["test"])
    assert services.create_shipments(order_id=order.pk) == []
    order_services.release_hold(order_id=order.pk)
    assert len(services.create_shipments(order_id=order.pk)) == 2


def test_shipping_moves_stock_and_fulfillment_status_follows(paid_order):
    order = paid_order()
    east_shipment, west_shipment = services.create_shipments(order_id=order.pk)
    to_shipped(east_shipment)
    order.refresh_from_db()
    assert order.fulfillment_status == Order.FulfillmentStatus.PARTIALLY_FULFILLED
    mug_level = east_shipment.lines.get().stock_level
    mug_level.refresh_from_db()
    assert (mug_level.on_hand, mug_level.allocated) == (8, 0)
    assert StockMovement.objects.filter(kind="shipment", reference=east_shipment.number,
                                        quantity=-2).exists()
    to_shipped(west_shipment)
    order.refresh_from_db()
    assert order.fulfillment_status == Order.FulfillmentStatus.FULFILLED
    assert all(line.quantity_fulfilled == line.quantity for line in order.lines.all())
    assert not order.lines.filter(allocations__isnull=False).exists()
    call_command("check_stock_ledger")  # exits 1 (SystemExit) on a mismatch
    for shipment in (east_shipment, west_shipment):
        services.record_tracking(shipment_id=shipment.pk, update=TrackingUpdate(
            event_id=f"d-{shipment.pk}", status=State.DELIVERED, occurred_at=timezone.now(),
            description="Front desk"))
    order.refresh_from_db()
    assert order.fulfillment_status == Order.FulfillmentStatus.DELIVERED


def test_scan_to_verify_refuses_wrong_items_and_extra_units(paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    with pytest.raises(InvalidTransition):
        services.scan_item(shipment_id=shipment.pk, code="anything")  # not picking yet
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=5)
    line = shipment.lines.select_related("order_line").get()
    with pytest.raises(FulfillmentError, match="not in shipment") as wrong:
        services.scan_item(shipment_id=shipment.pk, code="WRONG-SKU")
    assert wrong.value.code == "wrong_item"
    first = services.scan_item(shipment_id=shipment.pk, code="0001112223334")  # by barcode
    assert first.message.endswith("1 of 2")
    with pytest.raises(FulfillmentError, match="Scan every item"):
        services.complete_packing(shipment_id=shipment.pk, weight_grams=500)
    assert services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku).complete
    with pytest.raises(FulfillmentError, match="Too many") as extra:
        services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    assert extra.value.code == "too_many"
    line.refresh_from_db()
    assert line.quantity_scanned == 2
    for bad in (0, -5, 10**6, "heavy"):
        with pytest.raises(FulfillmentError):
            services.complete_packing(shipment_id=shipment.pk, weight_grams=bad)
    packed = services.complete_packing(shipment_id=shipment.pk, weight_grams=800)
    assert packed.state == State.PACKED


def test_label_twice_gives_one_label_and_the_barcode_decodes(paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    pack(shipment)
    first = services.purchase_label(shipment_id=shipment.pk)
    again = services.purchase_label(shipment_id=shipment.pk)
    assert first.tracking_number == again.tracking_number
    assert is_valid_tracking_number(first.tracking_number)
    assert LabelPurchase.objects.get().attempts == 1
    with first.label.open("rb") as handle:
        pdf = pypdfium2.PdfDocument(io.BytesIO(handle.read()))
    page = pdf[0]
    assert (round(page.get_width()), round(page.get_height())) == (288, 432)  # 4 x 6 inches
    image = page.render(scale=4).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert first.tracking_number in decoded
    text = page.get_textpage().get_text_range()
    assert "Ada Lovelace" in text and "SHIP TO" in text


def test_tracking_numbers_carry_a_check_digit():
    number = tracking_number_for(12345678)
    assert is_valid_tracking_number(number)
    typo = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert not is_valid_tracking_number(typo)
    assert not is_valid_tracking_number("garbage")


def test_tracking_events_are_deduplicated_and_never_move_backwards(
        paid_order, django_capture_on_commit_callbacks):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    with django_capture_on_commit_callbacks(execute=True):
        to_shipped(shipment)
    now = timezone.now()
    delivered = TrackingUpdate("ev-3", State.DELIVERED, now, "Reno", "Signed by A")
    in_transit = TrackingUpdate("ev-1", State.IN_TRANSIT, now - timedelta(hours=5), "Hub")
    out = TrackingUpdate("ev-2", State.OUT_FOR_DELIVERY, now - timedelta(hours=1), "Reno")
    with django_capture_on_commit_callbacks(execute=True):
        for update in (delivered, delivered, in_transit, out, out, delivered):
            services.record_tracking(shipment_id=shipment.pk, update=update)
    shipment.refresh_from_db()
    assert shipment.state == State.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 4  # shipped + 3 unique
    kinds = sorted(ShipmentNotification.objects.filter(shipment=shipment)
                   .values_list("kind", flat=True))
    assert kinds == ["delivered", "shipped"]
    subjects = [m.subject for m in mail.outbox if "shipped" in m.subject or
                "delivered" in m.subject]
    assert len([s for s in subjects if "has shipped" in s]) == 1
    assert len([s for s in subjects if "was delivered" in s]) == 1
    assert tasks.send_shipment_notification(shipment.pk, "delivered") is False


def test_store_pickup_needs_the_code(warehouses):
    from orders import services as order_services
    from orders.models import ShippingMethod
    from payments import services as payment_services
    from tests.factories import ProductFactory, make_shipping, make_variant, ready_cart

    from .conftest import CARD

    east, _ = warehouses
    east.allows_store_pickup = True
    east.save()
    variant = make_variant(ProductFactory(), stock=3, warehouse=east)
    pickup = make_shipping(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price="0",
                           pickup_warehouse=east)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}, method=pickup))
    payment_services.start_payment(order=order, payment_data=CARD)
    shipment = services.create_shipments(order_id=order.pk)[0]
    assert shipment.carrier == Shipment.Carrier.PICKUP
    services.create_pick_list(warehouse_id=east.pk, count=1)
    shipment = pack(shipment)
    assert len(shipment.pickup_code) == 6
    assert services.purchase_label(shipment_id=shipment.pk).state == State.PACKED  # no label
    with pytest.raises(FulfillmentError, match="does not match"):
        services.collect_pickup(shipment_id=shipment.pk, code="000000"
                                if shipment.pickup_code != "000000" else "111111")
    services.collect_pickup(shipment_id=shipment.pk, code=shipment.pickup_code)
    shipment.refresh_from_db()
    assert shipment.state == State.DELIVERED
    assert StockLevel.objects.get(variant=variant, warehouse=east).on_hand == 2


def test_courier_updates_need_what_a_courier_knows(paid_order):
    order = paid_order(lamp=0)
    shipment = to_shipped(services.create_shipments(order_id=order.pk)[0])
    with pytest.raises(FulfillmentError, match="name of the person"):
        services.courier_update(shipment_id=shipment.pk, status=State.DELIVERED)
    with pytest.raises(FulfillmentError, match="why"):
        services.courier_update(shipment_id=shipment.pk, status=State.EXCEPTION)
    services.courier_update(shipment_id=shipment.pk, status=State.EXCEPTION,
                            note="Nobody home")
    services.courier_update(shipment_id=shipment.pk, status=State.OUT_FOR_DELIVERY)
    services.courier_update(shipment_id=shipment.pk, status=State.DELIVERED,
                            recipient="J. Doe")
    shipment.refresh_from_db()
    assert shipment.state == State.DELIVERED
    assert shipment.delivered_to == "Delivered, signed by J. Doe"


def test_cancel_an_unshipped_shipment_but_not_a_shipped_one(paid_order):
    order = paid_order()
    east_shipment, west_shipment = services.create_shipments(order_id=order.pk)
    services.cancel_shipment(shipment_id=east_shipment.pk)
    east_shipment.refresh_from_db()
    assert east_shipment.state == State.CANCELED
    assert east_shipment.lines.get().stock_level.allocated == 2  # still the order's
    to_shipped(west_shipment)
    with pytest.raises(InvalidTransition):
        services.cancel_shipment(shipment_id=west_shipment.pk)


def test_ship_by_scanning_the_label(paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    pack(shipment)
    labeled = services.purchase_label(shipment_id=shipment.pk)
    with pytest.raises(FulfillmentError, match="No shipment"):
        services.ship_by_scan(code="NW000000000US")
    assert services.ship_by_scan(code=labeled.tracking_number.lower()).state == State.SHIPPED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_label_task_run_concurrently_buys_one_label(paid_order, monkeypatch):
    # Committed transactions run the after-commit tasks eagerly: shipments are made by the
    # order_paid task; keep the packed signal from buying the label before the race.
    monkeypatch.setattr(tasks.purchase_label, "delay", lambda *args: None)
    order = paid_order(lamp=0)
    shipment = Shipment.objects.get(order=order)
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    pack(shipment)
    from fulfillment.carriers import local

    calls = []
    original = local.LocalCarrier.buy_label

    def counting(self, **kwargs):
        calls.append(1)
        return original(self, **kwargs)

    local.LocalCarrier.buy_label = counting

    def run():
        return tasks.purchase_label(shipment.pk)

    try:
        outcomes = run_concurrently(*[run] * 4)
    finally:
        local.LocalCarrier.buy_label = original
    assert [o.error for o in outcomes] == [None] * 4
    shipment.refresh_from_db()
    assert shipment.state == State.LABEL_PURCHASED
    assert len(calls) == 1
    assert LabelPurchase.objects.filter(shipment=shipment).count() == 1


def test_manual_capture_happens_when_the_parcel_ships(warehouses, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    from orders import services as order_services
    from payments import services as payment_services
    from payments.models import Payment
    from tests.factories import ProductFactory, make_variant, ready_cart

    from .conftest import CARD

    monkeypatch.setattr(payment_services.starting, "_capture_automatically", lambda gateway: False)
    variant = make_variant(ProductFactory(), stock=3, warehouse=warehouses[0])
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)
    shipment = services.create_shipments(order_id=order.pk)[0]
    assert Payment.objects.get(order=order).state == Payment.State.AUTHORIZED
    with django_capture_on_commit_callbacks(execute=True):
        to_shipped(shipment)
    assert Payment.objects.get(order=order).state == Payment.State.CAPTURED
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_local_rates_come_from_the_courier_zones(paid_order):
    from decimal import Decimal

    from fulfillment.carriers import Parcel
    from fulfillment.carriers.local import LocalCarrier
    from fulfillment.models import CourierRate, CourierZone

    zone = CourierZone.objects.create(name="Portland", country="US", postal_prefixes="972",
                                      transit_days=1)
    CourierRate.objects.create(zone=zone, up_to_grams=1000, price=Decimal("6.00"))
    CourierRate.objects.create(zone=zone, up_to_grams=5000, price=Decimal("9.00"))
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    rates = LocalCarrier().rates(shipment=shipment, parcel=Parcel(1200, None, None, None))
    assert [(r.service, r.price, r.estimated_days) for r in rates] == [
        ("Courier", Decimal("9.00"), 1)]
