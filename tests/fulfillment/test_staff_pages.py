"""Staff see only the links their role can use; a refusal is a styled page naming the role;
a picked list's shipments read "Picked, ready to pack"; a label scanned twice says so; the
courier page is a staff page (no shop search or cart)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fulfillment import services
from fulfillment.exceptions import FulfillmentError
from fulfillment.models import Shipment
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]


def staff_in(client, role: str):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_a_picker_sees_no_pack_links_and_a_refusal_names_the_packer_role(client, paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    staff_in(client, "Picker")
    printed = client.get(reverse("admin:fulfillment_picklist_print", args=[pick_list.pk]))
    pack_url = reverse("admin:fulfillment_shipment_pack", args=[shipment.pk])
    assert pack_url.encode() not in printed.content
    assert reverse("admin:fulfillment_shipment_change", args=[shipment.pk]).encode() \
        in printed.content
    refused = client.get(pack_url)
    assert refused.status_code == 403
    assert b"This page needs the Packer role." in refused.content
    assert b'class="error-page"' in refused.content and b"shop.css" in refused.content
    assert b"site-search" not in refused.content


def test_after_mark_picked_the_shipment_reads_ready_to_pack(client, paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    staff_in(client, "Picker")
    print_url = reverse("admin:fulfillment_picklist_print", args=[pick_list.pk])
    assert b"(Picking)" in client.get(print_url).content
    listing = client.post(print_url, follow=True)
    assert b"Picked, ready to pack" in listing.content
    assert b"Picked, ready to pack" in client.get(print_url).content
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.PICKING  # the state machine is unchanged
    assert shipment.status_label == "Picked, ready to pack"


def test_a_packer_follows_the_pick_list_link_to_the_pack_page(client, paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    user = staff_in(client, "Packer")
    user.groups.add(Group.objects.get(name="Picker"))
    printed = client.get(reverse("admin:fulfillment_picklist_print", args=[pick_list.pk]))
    pack_url = reverse("admin:fulfillment_shipment_pack", args=[shipment.pk])
    assert pack_url.encode() in printed.content
    assert client.get(pack_url).status_code == 200


def _labelled(paid_order):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    for _ in range(2):
        services.scan_item(shipment_id=shipment.pk, code=shipment.lines.get().order_line.sku)
    services.complete_packing(shipment_id=shipment.pk, weight_grams=500)
    services.purchase_label(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    return shipment


def test_scanning_a_shipped_label_again_says_it_was_already_shipped(client, paid_order):
    shipment = _labelled(paid_order)
    services.ship_by_scan(code=shipment.tracking_number)
    with pytest.raises(FulfillmentError, match="already shipped"):
        services.ship_by_scan(code=shipment.tracking_number)
    staff_in(client, "Shipper")
    again = client.post(reverse("admin:fulfillment_shipment_scan_to_ship"),
                        {"code": shipment.tracking_number})
    assert again.status_code == 200 and b"was already shipped" in again.content


def test_the_courier_page_has_no_shop_search_or_cart(client):
    staff_in(client, "Shipper")
    page = client.get(reverse("courier"))
    assert page.status_code == 200
    assert b"site-search" not in page.content and b"mini-cart" not in page.content


def test_the_courier_page_refusal_names_the_shipper_role(client):
    staff_in(client, "Picker")
    refused = client.get(reverse("courier"))
    assert refused.status_code == 403 and b"needs the Shipper role" in refused.content
