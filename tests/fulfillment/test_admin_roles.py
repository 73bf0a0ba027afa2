"""Staff roles and the fulfillment screens in admin, the courier page and tracking links."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fulfillment import services
from fulfillment.links import tracking_path
from fulfillment.models import Shipment
from fulfillment.roles import ROLES
from payments.models import Payment
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
State = Shipment.State


def staff_in(client, role: str, name: str | None = None):
    user = UserFactory(username=name or role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_the_migration_creates_the_roles_with_their_permissions():
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("fulfillment.migrations.0002_staff_roles")
    # The models as the migration sees them (never the global registry, which it changes).
    state = MigrationExecutor(connection).loader.project_state(
        ("fulfillment", "0002_staff_roles"))
    Group.objects.all().delete()
    migration.create_roles(state.apps, None)
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)
    picker = Group.objects.get(name="Picker")
    codes = set(picker.permissions.values_list("codename", flat=True))
    assert "pick_shipment" in codes and "buy_label" not in codes
    assert "change_payment" not in codes and "change_variant" not in codes


def test_a_picker_makes_pick_lists_but_cannot_buy_labels_or_refund(client, paid_order):
    order = paid_order()
    shipment = services.create_shipments(order_id=order.pk)[0]
    staff_in(client, "Picker")
    listing = client.get(reverse("admin:fulfillment_shipment_changelist"))
    assert listing.status_code == 200
    assert b"make_pick_list" in listing.content and b"buy_labels" not in listing.content
    client.post(reverse("admin:fulfillment_shipment_changelist"),
                {"action": "make_pick_list", "_selected_action": [shipment.pk]})
    shipment.refresh_from_db()
    assert shipment.state == State.PICKING and shipment.pick_list_id
    printed = client.get(reverse("admin:fulfillment_picklist_print", args=[shipment.pick_list_id]))
    assert printed.status_code == 200 and shipment.number.encode() in printed.content
    pdf = client.get(reverse("admin:fulfillment_picklist_pdf", args=[shipment.pick_list_id]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("admin:fulfillment_shipment_label",
                              args=[shipment.pk])).status_code == 403
    assert client.get(reverse("admin:fulfillment_shipment_pack",
                              args=[shipment.pk])).status_code == 403
    payment = Payment.objects.get(order=order)
    assert client.post(reverse("admin:payments_payment_refund", args=[payment.pk]),
                       {"amount": "1.00", "reason": "x"}).status_code == 403
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_a_packer_packs_by_scanning_but_cannot_edit_prices(client, paid_order,
                                                           django_capture_on_commit_callbacks):
    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    staff_in(client, "Packer")
    url = reverse("admin:fulfillment_shipment_pack", args=[shipment.pk])
    assert b"Items to pack" in client.get(url).content
    wrong = client.post(url, {"scan": "1", "code": "NOT-HERE"})
    assert wrong.status_code == 400 and b"is not in shipment" in wrong.content
    sku = shipment.lines.get().order_line.sku
    client.post(url, {"scan": "1", "code": sku})
    client.post(url, {"scan": "1", "code": sku})
    extra = client.post(url, {"scan": "1", "code": sku})
    assert extra.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"finish": "1", "weight_grams": "850", "length_cm": "30",
                                 "width_cm": "20", "height_cm": "12"})
    assert done.status_code == 302
    shipment.refresh_from_db()
    assert shipment.state == State.LABEL_PURCHASED and shipment.tracking_number
    slip = client.get(reverse("admin:fulfillment_shipment_slip", args=[shipment.pk]))
    assert slip.content.startswith(b"%PDF")
    product = shipment.lines.get().order_line.variant.product
    change = reverse("admin:catalog_product_change", args=[product.pk])
    assert client.post(change, {"title": "Hacked"}).status_code == 403
    product.refresh_from_db()
    assert product.title != "Hacked"


def test_a_shipper_scans_labels_to_ship_and_a_courier_delivers(client, paid_order,
                                                               django_capture_on_commit_callbacks):
    from django.core import mail

    order = paid_order(lamp=0)
    shipment = services.create_shipments(order_id=order.pk)[0]
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    for _ in range(2):
        services.scan_item(shipment_id=shipment.pk, code=shipment.lines.get().order_line.sku)
    services.complete_packing(shipment_id=shipment.pk, weight_grams=500)
    services.purchase_label(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    staff_in(client, "Shipper")
    label = client.get(reverse("admin:fulfillment_shipment_label", args=[shipment.pk]))
    assert label["Content-Type"] == "application/pdf"
    scan = reverse("admin:fulfillment_shipment_scan_to_ship")
    assert b"No shipment has" in client.post(scan, {"code": "NW123"}).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(scan, {"code": shipment.tracking_number})
    shipment.refresh_from_db()
    assert shipment.state == State.SHIPPED
    assert any("has shipped" in m.subject for m in mail.outbox)
    page = client.get(reverse("courier"))
    assert shipment.tracking_number.encode() in page.content
    refused = client.post(reverse("courier"), {"shipment": shipment.pk, "status": "delivered"})
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("courier"), {"shipment": shipment.pk, "status": "delivered",
                                         "recipient": "Ada"})
    shipment.refresh_from_db()
    assert shipment.state == State.DELIVERED
    tracking = client.get(tracking_path(shipment))
    assert b"Delivered, signed by Ada" in tracking.content
    assert client.get("/track/forged/").status_code == 404


def test_courier_page_needs_the_permission(client):
    client.force_login(UserFactory(username="shopper"))
    assert client.get(reverse("courier")).status_code == 403
    client.logout()
    assert client.get(reverse("courier")).status_code == 302
