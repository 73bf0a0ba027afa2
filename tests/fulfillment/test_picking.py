"""Pick lists: batching shipments, the merged walk in bin order, marking picked."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from fulfillment import services
from fulfillment.models import PickList, Shipment
from fulfillment.services import FulfillmentError
from inventory.models import StockLevel
from inventory.services import receive_stock
from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import OrderEvent
from payments import services as payment_services
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

from .conftest import CARD

pytestmark = pytest.mark.django_db
State = Shipment.State


def paid(variants, email):
    order = order_services.place_order(cart=ready_cart(variants=variants, email=email))
    payment_services.start_payment(order=order, payment_data=CARD)
    return order


def picking_events(order, step):
    return list(OrderEvent.objects.filter(order=order, type=OrderEvent.Type.NOTE,
                                          data__step=step).values_list("message", flat=True))


def picker(client):
    user = UserFactory(username="picker", is_staff=True)
    user.groups.add(Group.objects.get(name="Picker"))
    client.force_login(user)
    return user


def test_two_shipments_sharing_a_sku_are_merged_and_walked_in_bin_order(warehouses):
    east, _ = warehouses
    mug = make_variant(ProductFactory(title="Mug"), sku="MUG", stock=10, warehouse=east)
    lamp = make_variant(ProductFactory(title="Lamp"), sku="LAMP", stock=10, warehouse=east)
    plate = make_variant(ProductFactory(title="Plate"), sku="PLATE", stock=10, warehouse=east)
    bins = {mug: "B-02", lamp: "A-10", plate: ""}
    for variant, bin_location in bins.items():
        StockLevel.objects.filter(variant=variant, warehouse=east).update(
            bin_location=bin_location)
    first = services.create_shipments(order_id=paid({mug: 2, lamp: 1}, "a@example.com").pk)[0]
    second = services.create_shipments(order_id=paid({plate: 1, mug: 1}, "b@example.com").pk)[0]

    pick_list = services.create_pick_list(warehouse_id=east.pk, count=10)
    rows = services.pick_list_rows(pick_list)

    assert [(r.bin_location, r.sku, r.quantity, r.shipments) for r in rows] == [
        ("A-10", "LAMP", 1, [first.number]),
        ("B-02", "MUG", 3, [first.number, second.number]),
        ("", "PLATE", 1, [second.number]),  # no bin: last
    ]


def test_making_a_pick_list_and_marking_it_picked_write_the_orders_timelines(paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)

    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id, count=5)
    assert picking_events(order, State.PICKING) == [
        f"Shipment {shipment.number} is being picked (pick list {pick_list.pk})."]

    services.mark_picked(pick_list_id=pick_list.pk)
    pick_list.refresh_from_db()
    shipment.refresh_from_db()
    assert pick_list.picked_at is not None
    assert shipment.state == State.PICKING  # packing comes next
    assert picking_events(order, "picked") == [
        f"Shipment {shipment.number} picked (pick list {pick_list.pk}); ready to pack."]
    with pytest.raises(InvalidTransition, match="already marked picked"):
        services.mark_picked(pick_list_id=pick_list.pk)
    assert len(picking_events(order, "picked")) == 1


def test_a_pick_list_whose_shipments_were_all_canceled_cannot_be_marked_picked(paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id, count=5)
    services.cancel_shipment(shipment_id=shipment.pk)
    with pytest.raises(FulfillmentError, match="no shipments left"):
        services.mark_picked(pick_list_id=pick_list.pk)
    pick_list.refresh_from_db()
    assert pick_list.picked_at is None


@pytest.mark.usefixtures("staff_roles")
def test_mark_picked_in_admin_goes_through_the_service(client, paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id, count=5)
    user = picker(client)
    url = reverse("admin:fulfillment_picklist_print", args=[pick_list.pk])

    done = client.post(url)
    assert done.status_code == 302 and "state__exact=picking" in done["Location"]
    event = OrderEvent.objects.get(order=order, data__step="picked")
    assert event.actor == user
    assert b"Mark picked" not in client.get(url).content

    again = client.post(url, follow=True)
    assert any("already marked picked" in str(m) for m in get_messages(again.wsgi_request))
    assert OrderEvent.objects.filter(order=order, data__step="picked").count() == 1


@pytest.mark.usefixtures("staff_roles")
def test_next_pick_list_takes_the_oldest_n_pending_shipments_of_the_warehouse(client,
                                                                             warehouses):
    east, west = warehouses
    mug = make_variant(ProductFactory(title="Mug"), stock=20, warehouse=east)
    lamp = make_variant(ProductFactory(title="Lamp"))
    receive_stock(variant=lamp, warehouse=west, quantity=5)
    shipments = [services.create_shipments(order_id=paid({mug: 1}, f"s{i}@example.com").pk)[0]
                 for i in range(3)]
    for hours, shipment in zip((30, 10, 20), shipments, strict=True):
        Shipment.objects.filter(pk=shipment.pk).update(
            promised_ship_by=shipment.promised_ship_by - timedelta(hours=hours))
    other_warehouse = services.create_shipments(order_id=paid({lamp: 1}, "w@example.com").pk)[0]
    picker(client)
    url = reverse("admin:fulfillment_shipment_next_pick_list")
    assert b"Make pick list" in client.get(url).content

    response = client.post(url, {"warehouse": east.pk, "count": 2})

    pick_list = PickList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:fulfillment_picklist_print",
                                           args=[pick_list.pk])
    assert set(pick_list.shipments.values_list("pk", flat=True)) == {shipments[0].pk,
                                                                     shipments[2].pk}
    other_warehouse.refresh_from_db()
    assert other_warehouse.state == State.PENDING
    client.post(url, {"warehouse": east.pk, "count": 5})
    empty = client.post(url, {"warehouse": east.pk, "count": 5})
    assert empty.status_code == 200 and b"No pending shipments" in empty.content
    assert client.post(url, {"warehouse": east.pk, "count": 0}).status_code == 200
    assert PickList.objects.count() == 2
