"""An order held for review (fraud screening, or a dispute opened by the shopper's bank)
ships nothing until staff release it, even when its shipments were made before the hold:
pick, pack, label and ship are refused with a message, the label task and the sweep
leave it alone, and after the release everything goes on."""

import pytest

from fulfillment import services, tasks
from fulfillment.models import LabelPurchase, Shipment
from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import Order
from tests.concurrency import run_concurrently

from .test_cancel_races import labelled
from .test_shipments import pack, to_shipped

pytestmark = pytest.mark.django_db
State = Shipment.State


def dispute(order, n=1):
    return order_services.hold_for_dispute(order_id=order.pk, dispute_id=f"dp_{n}",
                                           reason="fraudulent")


def test_a_dispute_stops_a_shipment_already_made_until_the_hold_is_released(paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)
    dispute(order)
    order.refresh_from_db()
    assert order.risk == Order.Risk.HELD
    with pytest.raises(InvalidTransition, match=r"held for review \(Payment disputed "
                                                r"\(fraudulent\)\), so it can't be picked"):
        services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                  shipment_ids=[shipment.pk])
    with pytest.raises(Exception, match="No pending shipments"):  # left out of a batch
        services.create_pick_list(warehouse_id=shipment.warehouse_id, count=10)
    shipment.refresh_from_db()
    assert shipment.state == State.PENDING
    order_services.release_hold(order_id=order.pk)
    assert to_shipped(shipment).state == State.SHIPPED


def test_a_hold_stops_a_parcel_being_picked_packed_labelled_or_shipped(paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
    order_services.hold_for_review(order_id=order.pk, score=90, reasons=["address mismatch"])
    with pytest.raises(InvalidTransition, match="can't be picked"):
        services.mark_picked(pick_list_id=pick_list.pk)
    with pytest.raises(InvalidTransition, match="can't be packed"):
        pack(shipment)
    order_services.release_hold(order_id=order.pk)
    pack(shipment)  # packed; the label task (after commit) is not run here
    dispute(order)
    # The queued label task and the sweep leave a held order's parcel alone.
    assert tasks.purchase_label(shipment.pk) == State.PACKED
    assert not LabelPurchase.objects.filter(shipment=shipment).exists()
    assert tasks.sweep_fulfillment_work()["labels"] == 0
    with pytest.raises(InvalidTransition, match="can't be labelled"):
        services.purchase_label(shipment_id=shipment.pk)
    with pytest.raises(InvalidTransition):
        services.ship_shipment(shipment_id=shipment.pk)
    order_services.release_hold(order_id=order.pk)
    assert tasks.sweep_fulfillment_work()["labels"] == 1  # bought now (tasks run eagerly)
    shipment.refresh_from_db()
    assert shipment.state == State.LABEL_PURCHASED
    assert services.ship_shipment(shipment_id=shipment.pk).state == State.SHIPPED


def test_a_labelled_parcel_of_a_held_order_is_not_shipped(paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    pack(shipment)
    services.purchase_label(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    dispute(order)
    with pytest.raises(InvalidTransition, match="can't be shipped"):
        services.ship_by_scan(code=shipment.tracking_number)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.state == State.LABEL_PURCHASED
    assert order.fulfillment_status == Order.FulfillmentStatus.UNFULFILLED


def test_a_dispute_holds_an_order_released_after_an_earlier_review(paid_order):
    order = paid_order(lamp=0)
    order_services.hold_for_review(order_id=order.pk, score=90, reasons=["new customer"])
    order_services.release_hold(order_id=order.pk)
    (shipment,) = services.create_shipments(order_id=order.pk)
    dispute(order, n=2)
    order.refresh_from_db()
    assert order.risk == Order.Risk.HELD and order.risk_score == 100
    assert order.risk_reasons == ["Payment disputed (fraudulent)", "new customer"]
    held = order.events.filter(type="held").latest("pk")
    assert "overrides the release after the earlier review" in held.message
    assert held.data["risk_before"] == Order.Risk.RELEASED
    assert order.events.filter(type="dispute_opened", data__dispute="dp_2").exists()
    with pytest.raises(InvalidTransition, match="held for review"):
        to_shipped(shipment)
    # A fraud re-screening still never undoes a release; only a dispute does.
    order_services.release_hold(order_id=order.pk)
    order_services.hold_for_review(order_id=order.pk, score=95, reasons=["late rating"])
    order.refresh_from_db()
    assert order.risk == Order.Risk.RELEASED


def test_a_dispute_on_an_order_already_held_keeps_the_hold_and_adds_why(paid_order):
    order = paid_order(lamp=0)
    order_services.hold_for_review(order_id=order.pk, score=90, reasons=["address mismatch"])
    dispute(order)
    dispute(order)  # told twice: recorded once among the reasons
    order.refresh_from_db()
    assert order.risk == Order.Risk.HELD
    assert order.risk_reasons == ["Payment disputed (fraudulent)", "address mismatch"]
    assert order.events.filter(type="held").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dispute_against_shipping_either_ships_first_or_holds_the_parcel(paid_order):
    """The hold and the ship both take the order's lock: the parcel leaves before the
    dispute is recorded, or it is refused and waits; never shipped by an order held
    before it left."""
    for round_number in range(3):
        order = paid_order(email=f"dispute{round_number}@example.com", lamp=0)
        shipment = labelled(order)
        hold, ship = run_concurrently(
            lambda o=order, n=round_number: dispute(o, n=n),
            lambda s=shipment: services.ship_shipment(shipment_id=s.pk))
        assert hold.ok, hold
        shipment.refresh_from_db()
        order.refresh_from_db()
        assert order.risk == Order.Risk.HELD
        if ship.ok:
            assert shipment.state == State.SHIPPED
            shipped_at = order.events.get(type="shipped").pk
            assert shipped_at < order.events.get(type="held").pk
        else:
            assert isinstance(ship.error, InvalidTransition), ship
            assert shipment.state == State.LABEL_PURCHASED
            assert order.fulfillment_status == Order.FulfillmentStatus.UNFULFILLED
