"""The shipment's state machine: the guard allows exactly ``Shipment.TRANSITIONS``, and the
services that move a shipment refuse to move it back (nothing written when they do)."""

import pytest
from django.utils import timezone

from fulfillment import services
from fulfillment.carriers import TrackingUpdate
from fulfillment.models import LabelPurchase, Shipment, TrackingEvent
from kernel.errors import InvalidTransition
from orders.models import OrderEvent

from .test_shipments import pack, to_shipped

State = Shipment.State
PAIRS = [(old, new) for old in State.values for new in State.values]


def test_every_state_lists_where_it_may_go():
    assert set(Shipment.TRANSITIONS) == set(State.values)
    assert all(set(targets) <= set(State.values) for targets in Shipment.TRANSITIONS.values())


@pytest.mark.parametrize("old, new", PAIRS)
def test_the_guard_allows_exactly_the_listed_moves(old, new):
    shipment = Shipment(number="S-1-1", state=old)
    if new in Shipment.TRANSITIONS[old]:
        shipment.ensure_can_become(new)  # no error
        assert shipment.can_become(new)
    else:
        with pytest.raises(InvalidTransition) as refused:
            shipment.ensure_can_become(new)
        assert refused.value.status_code == 409
        assert not shipment.can_become(new)
    assert shipment.state == old  # the guard only checks


def snapshot(shipment):
    shipment.refresh_from_db()
    return ({field.attname: getattr(shipment, field.attname)
             for field in Shipment._meta.concrete_fields},
            TrackingEvent.objects.filter(shipment=shipment).count(),
            OrderEvent.objects.filter(order_id=shipment.order_id).count(),
            [(line.quantity_scanned,) for line in shipment.lines.order_by("pk")])


@pytest.fixture
def shipped(paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    return to_shipped(shipment)


@pytest.mark.django_db
def test_packing_a_shipped_shipment_again_is_refused_and_changes_nothing(shipped):
    before = snapshot(shipped)
    with pytest.raises(InvalidTransition):
        services.complete_packing(shipment_id=shipped.pk, weight_grams=500)
    with pytest.raises(InvalidTransition):
        services.scan_item(shipment_id=shipped.pk, code=shipped.lines.get().order_line.sku)
    assert snapshot(shipped) == before
    assert shipped.state == State.SHIPPED


@pytest.mark.django_db
def test_a_shipped_shipment_cannot_be_canceled_or_collected(shipped):
    before = snapshot(shipped)
    with pytest.raises(InvalidTransition):
        services.cancel_shipment(shipment_id=shipped.pk)
    with pytest.raises(InvalidTransition):
        services.collect_pickup(shipment_id=shipped.pk, code="000000")
    assert snapshot(shipped) == before


@pytest.mark.django_db
def test_buying_a_label_for_a_shipped_shipment_does_nothing(shipped, monkeypatch):
    from fulfillment.carriers import local

    calls = []
    monkeypatch.setattr(local.LocalCarrier, "buy_label",
                        lambda self, **kwargs: calls.append(kwargs))
    before = snapshot(shipped)
    services.purchase_label(shipment_id=shipped.pk)
    assert calls == []
    assert snapshot(shipped) == before
    assert LabelPurchase.objects.filter(shipment=shipped).count() == 1  # the first one


@pytest.mark.django_db
def test_a_delivered_shipment_is_never_moved_back(shipped):
    services.record_tracking(shipment_id=shipped.pk, update=TrackingUpdate(
        event_id="delivered", status=State.DELIVERED, occurred_at=timezone.now(),
        description="Front desk"))
    shipped.refresh_from_db()
    assert shipped.state == State.DELIVERED
    with pytest.raises(InvalidTransition):
        services.cancel_shipment(shipment_id=shipped.pk)
    with pytest.raises(InvalidTransition):
        services.ship_shipment(shipment_id=shipped.pk)
    with pytest.raises(InvalidTransition):
        services.complete_packing(shipment_id=shipped.pk, weight_grams=500)
    for number, status in enumerate([State.IN_TRANSIT, State.OUT_FOR_DELIVERY,
                                     State.EXCEPTION, State.SHIPPED]):
        assert services.record_tracking(shipment_id=shipped.pk, update=TrackingUpdate(
            event_id=f"late-{number}", status=status, occurred_at=timezone.now(),
            description="late scan")) is False
    shipped.refresh_from_db()
    assert shipped.state == State.DELIVERED


@pytest.mark.django_db
def test_a_canceled_shipment_is_not_picked_packed_or_shipped(paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    services.cancel_shipment(shipment_id=shipment.pk)
    before = snapshot(shipment)
    with pytest.raises(InvalidTransition):
        pack(shipment)
    with pytest.raises(InvalidTransition):
        services.ship_shipment(shipment_id=shipment.pk)
    with pytest.raises(InvalidTransition):
        services.cancel_shipment(shipment_id=shipment.pk)
    assert snapshot(shipment) == before
    assert shipment.state == State.CANCELED
