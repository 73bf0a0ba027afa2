"""The fulfillment queue in admin: late parcels first and marked, bulk shipping, label
retries, handing over a store pickup."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from fulfillment import services
from fulfillment.carriers import CarrierError
from fulfillment.carriers.local import LocalCarrier
from fulfillment.models import LabelPurchase, Shipment
from orders import services as order_services
from orders.models import ShippingMethod
from payments import services as payment_services
from tests.factories import ProductFactory, UserFactory, make_shipping, make_variant, ready_cart

from .conftest import CARD
from .test_shipments import pack

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
State = Shipment.State
CHANGELIST = reverse("admin:fulfillment_shipment_changelist")


def staff_in(client, role):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def single_shipments(paid_order, count):
    return [services.create_shipments(order_id=paid_order(email=f"q{i}@example.com",
                                                          lamp=0).pk)[0]
            for i in range(count)]


def promise(shipment, hours_from_now):
    Shipment.objects.filter(pk=shipment.pk).update(
        promised_ship_by=timezone.now() + timedelta(hours=hours_from_now))


def labeled(shipment):
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    pack(shipment)
    return services.purchase_label(shipment_id=shipment.pk)


def test_the_queue_lists_by_promised_ship_date_and_marks_late_parcels(client, paid_order):
    soon, late, later = single_shipments(paid_order, 3)
    promise(soon, 5)
    promise(late, -3)
    promise(later, 30)
    staff_in(client, "Shipper")

    page = client.get(CHANGELIST).content.decode()

    numbers = re.findall(r"\b\d{6}-\d+\b", page)
    order_seen = list(dict.fromkeys(numbers))
    assert order_seen == [late.number, soon.number, later.number]
    assert page.count("LATE ·") == 1
    late_row = page[page.index(late.number):page.index(soon.number)]
    assert "LATE ·" in late_row
    only_late = client.get(CHANGELIST, {"late": "late"}).content.decode()
    assert late.number in only_late and soon.number not in only_late
    due_today = client.get(CHANGELIST, {"late": "today"}).content.decode()
    assert soon.number in due_today and later.number not in due_today


def test_a_shipped_parcel_is_no_longer_late(client, paid_order):
    (shipment,) = single_shipments(paid_order, 1)
    services.ship_shipment(shipment_id=labeled(shipment).pk)
    promise(shipment, -3)
    staff_in(client, "Shipper")
    assert "LATE" not in client.get(CHANGELIST).content.decode()


def test_bulk_mark_shipped_ships_the_labeled_and_names_the_refused(client, paid_order):
    first, second, pending = single_shipments(paid_order, 3)
    labeled(first)
    labeled(second)
    staff_in(client, "Shipper")

    response = client.post(CHANGELIST, {"action": "mark_shipped",
                                        "_selected_action": [first.pk, second.pk, pending.pk]},
                           follow=True)

    states = dict(Shipment.objects.values_list("pk", "state"))
    assert (states[first.pk], states[second.pk], states[pending.pk]) == (
        State.SHIPPED, State.SHIPPED, State.PENDING)
    messages = texts(response)
    assert "Marked 2 shipment(s) shipped." in messages
    assert any(m.startswith(f"{pending.number}: ") and "cannot become shipped" in m
               for m in messages)


def test_a_picker_cannot_use_the_mark_shipped_action(client, paid_order):
    (shipment,) = single_shipments(paid_order, 1)
    labeled(shipment)
    staff_in(client, "Picker")
    client.post(CHANGELIST, {"action": "mark_shipped", "_selected_action": [shipment.pk]})
    shipment.refresh_from_db()
    assert shipment.state == State.LABEL_PURCHASED


def test_buy_label_action_retries_a_failed_purchase_with_the_same_key(
        client, paid_order, monkeypatch, django_capture_on_commit_callbacks):
    failed, pending = single_shipments(paid_order, 2)
    services.create_pick_list(warehouse_id=failed.warehouse_id, shipment_ids=[failed.pk])

    def carrier_down(self, **kwargs):
        raise CarrierError("carrier timed out")

    with monkeypatch.context() as patch:
        patch.setattr(LocalCarrier, "buy_label", carrier_down)
        patch.setattr("fulfillment.tasks.purchase_label.delay", lambda *args: None)
        pack(failed)
        with pytest.raises(CarrierError):
            services.purchase_label(shipment_id=failed.pk)
    purchase = LabelPurchase.objects.get(shipment=failed)
    assert (purchase.outcome, purchase.attempts) == (LabelPurchase.Outcome.FAILED, 1)
    key = purchase.idempotency_key
    staff_in(client, "Shipper")

    with django_capture_on_commit_callbacks(execute=True):  # queued after commit
        response = client.post(CHANGELIST, {"action": "buy_labels",
                                            "_selected_action": [failed.pk, pending.pk]},
                               follow=True)

    assert "Label purchase queued for 1 packed shipment(s)." in texts(response)
    failed.refresh_from_db()
    purchase.refresh_from_db()
    assert failed.state == State.LABEL_PURCHASED and failed.tracking_number
    assert (purchase.outcome, purchase.attempts, purchase.idempotency_key) == (
        LabelPurchase.Outcome.SUCCEEDED, 2, key)
    assert not LabelPurchase.objects.filter(shipment=pending).exists()
    nothing = client.post(CHANGELIST, {"action": "buy_labels",
                                       "_selected_action": [pending.pk]}, follow=True)
    assert "Label purchase queued for 0 packed shipment(s)." in texts(nothing)


@pytest.fixture
def waiting_for_pickup(warehouses):
    east, _ = warehouses
    east.allows_store_pickup = True
    east.save()
    variant = make_variant(ProductFactory(), stock=3, warehouse=east)
    method = make_shipping(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price="0",
                           pickup_warehouse=east)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}, method=method))
    payment_services.start_payment(order=order, payment_data=CARD)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=east.pk, shipment_ids=[shipment.pk])
    return pack(shipment)


def test_collect_view_hands_a_pickup_over_only_for_the_right_code(client, waiting_for_pickup):
    shipment = waiting_for_pickup
    url = reverse("admin:fulfillment_shipment_collect", args=[shipment.pk])
    staff_in(client, "Picker")
    assert client.get(url).status_code == 403
    staff_in(client, "Shipper")
    form = client.get(url)
    assert form.status_code == 200 and b"Pickup code" in form.content
    assert b"The code is 6 digits." in client.post(url, {"code": "12"}).content
    wrong = "000000" if shipment.pickup_code != "000000" else "111111"
    refused = client.post(url, {"code": wrong})
    assert refused.status_code == 200 and b"does not match" in refused.content
    shipment.refresh_from_db()
    assert shipment.state == State.PACKED

    done = client.post(url, {"code": shipment.pickup_code})

    assert done.status_code == 302
    assert done["Location"] == reverse("admin:fulfillment_shipment_change", args=[shipment.pk])
    shipment.refresh_from_db()
    assert shipment.state == State.DELIVERED and shipment.delivered_to == "Collected in store"
    again = client.post(url, {"code": shipment.pickup_code})
    assert b"not waiting for pickup" in again.content
