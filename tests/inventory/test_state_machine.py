"""Purchase orders, transfers and counts: each guard allows exactly its ``TRANSITIONS``,
and the services refuse to move a finished document back (nothing written when they do)."""

import pytest

from inventory import services
from inventory.models import (
    PurchaseOrder,
    StockCount,
    StockLevel,
    StockMovement,
    StockTransfer,
)
from kernel.errors import InvalidTransition

MACHINES = [(PurchaseOrder, "PO-1"), (StockTransfer, "TR-1"), (StockCount, "CNT-1")]
PAIRS = [(model, old, new) for model, _ in MACHINES
         for old in model.Status.values for new in model.Status.values]


@pytest.mark.parametrize("model", [model for model, _ in MACHINES],
                         ids=lambda model: model.__name__)
def test_every_status_lists_where_it_may_go(model):
    assert set(model.TRANSITIONS) == set(model.Status.values)
    assert all(set(targets) <= set(model.Status.values)
               for targets in model.TRANSITIONS.values())


@pytest.mark.parametrize("model, old, new", PAIRS,
                         ids=[f"{m.__name__}-{o}-{n}" for m, o, n in PAIRS])
def test_the_guard_allows_exactly_the_listed_moves(model, old, new, monkeypatch):
    document = model(status=old)
    monkeypatch.setattr(model, "transition_subject", lambda self: model.__name__)
    if new in model.TRANSITIONS[old]:
        document.ensure_can_become(new)
    else:
        with pytest.raises(InvalidTransition) as refused:
            document.ensure_can_become(new)
        assert refused.value.status_code == 409
    assert document.status == old


def movements():
    return list(StockMovement.objects.order_by("pk").values_list("pk", flat=True))


def levels():
    return list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "allocated"))


@pytest.mark.django_db
def test_a_received_purchase_order_is_not_sent_again_or_canceled(supplier, east, lantern,
                                                                 priced):
    order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=4)])
    services.send_purchase_order(purchase_order_id=order.pk)
    services.receive_purchase_order(purchase_order_id=order.pk, quantities={lantern.pk: 4})
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    before = (order.sent_at, order.expected_on, movements(), levels(), order.events.count())
    with pytest.raises(InvalidTransition):
        services.send_purchase_order(purchase_order_id=order.pk)
    with pytest.raises(InvalidTransition):
        services.cancel_purchase_order(purchase_order_id=order.pk, reason="changed mind")
    with pytest.raises(InvalidTransition):
        services.receive_purchase_order(purchase_order_id=order.pk, quantities={lantern.pk: 1})
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert (order.sent_at, order.expected_on, movements(), levels(),
            order.events.count()) == before


@pytest.mark.django_db
def test_a_received_transfer_is_not_dispatched_again_or_canceled(east, west, lantern):
    services.receive_stock(variant=lantern, warehouse=east, quantity=10)
    transfer = services.create_transfer(source_id=east.pk, destination_id=west.pk,
                                        lines=[(lantern.pk, 3)])
    services.dispatch_transfer(transfer_id=transfer.pk)
    services.receive_transfer(transfer_id=transfer.pk)
    before = (movements(), levels())
    for move in (services.dispatch_transfer, services.receive_transfer,
                 services.cancel_transfer):
        with pytest.raises(InvalidTransition):
            move(transfer_id=transfer.pk)
    transfer.refresh_from_db()
    assert transfer.status == StockTransfer.Status.RECEIVED
    assert (movements(), levels()) == before


@pytest.mark.django_db
def test_a_transfer_in_transit_cannot_be_canceled_back_to_the_shelf(east, west, lantern):
    services.receive_stock(variant=lantern, warehouse=east, quantity=10)
    transfer = services.create_transfer(source_id=east.pk, destination_id=west.pk,
                                        lines=[(lantern.pk, 3)])
    services.dispatch_transfer(transfer_id=transfer.pk)
    before = (movements(), levels())
    with pytest.raises(InvalidTransition):
        services.cancel_transfer(transfer_id=transfer.pk)
    with pytest.raises(InvalidTransition):
        services.dispatch_transfer(transfer_id=transfer.pk)
    transfer.refresh_from_db()
    assert transfer.status == StockTransfer.Status.IN_TRANSIT
    assert (movements(), levels()) == before


@pytest.mark.django_db
def test_an_approved_count_is_not_approved_again_or_canceled(east, lantern):
    services.receive_stock(variant=lantern, warehouse=east, quantity=10)
    count = services.start_count(warehouse_id=east.pk)
    line = count.lines.get()
    services.enter_counts(count_id=count.pk, counted={line.pk: 8})
    services.approve_count(count_id=count.pk, reason="cycle count")
    count.refresh_from_db()
    assert count.status == StockCount.Status.APPROVED
    before = (count.approved_at, count.reason, movements(), levels())
    with pytest.raises(InvalidTransition):
        services.cancel_count(count_id=count.pk)
    with pytest.raises(InvalidTransition):
        services.approve_count(count_id=count.pk, reason="again")
    count.refresh_from_db()
    assert count.status == StockCount.Status.APPROVED
    assert (count.approved_at, count.reason, movements(), levels()) == before
