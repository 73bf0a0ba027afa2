"""What the Merchant, Shipper and Returns clerk roles can and cannot do in admin. (Picker
and Packer are in test_admin_roles.)"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fulfillment import services
from fulfillment.models import Shipment
from fulfillment.roles import MANAGED_APPS, ROLES
from inventory.models import StockLevel
from orders.models import Voucher, VoucherUse
from payments.models import Payment
from tests.factories import UserFactory

from .test_shipments import pack

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
State = Shipment.State
SHIPMENTS = reverse("admin:fulfillment_shipment_changelist")


def staff_in(client, role):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def shop(paid_order):
    """A paid order with a pending shipment and a packed one with its label."""
    order = paid_order()
    pending, labeled = services.create_shipments(order_id=order.pk)
    services.create_pick_list(warehouse_id=labeled.warehouse_id, shipment_ids=[labeled.pk])
    pack(labeled)
    labeled = services.purchase_label(shipment_id=labeled.pk)
    return {"order": order, "pending": pending, "labeled": labeled,
            "payment": Payment.objects.get(order=order),
            "product": pending.lines.get().order_line.variant.product,
            "level": pending.lines.get().stock_level}


def fulfillment_screens(shop):
    pending, labeled = shop["pending"], shop["labeled"]
    return {
        "pack": reverse("admin:fulfillment_shipment_pack", args=[pending.pk]),
        "label": reverse("admin:fulfillment_shipment_label", args=[labeled.pk]),
        "slip": reverse("admin:fulfillment_shipment_slip", args=[labeled.pk]),
        "collect": reverse("admin:fulfillment_shipment_collect", args=[labeled.pk]),
        "scan_to_ship": reverse("admin:fulfillment_shipment_scan_to_ship"),
        "next_pick_list": reverse("admin:fulfillment_shipment_next_pick_list"),
        "courier": reverse("courier"),
    }


def status_codes(client, urls):
    return {name: client.get(url).status_code for name, url in urls.items()}


def refund(client, payment):
    return client.post(reverse("admin:payments_payment_refund", args=[payment.pk]),
                       {"amount": "1.00", "reason": "Late delivery", "refund_reason": "goodwill",
                        "decision": "ship"})


def test_a_merchant_reads_everything_and_changes_settings_but_runs_no_warehouse_step(
        client, shop):
    staff_in(client, "Merchant")
    listing = client.get(SHIPMENTS)
    assert listing.status_code == 200 and shop["pending"].number.encode() in listing.content
    for action in (b"make_pick_list", b"buy_labels", b"mark_shipped"):
        assert action not in listing.content
    reads = {
        "order": reverse("admin:orders_order_change", args=[shop["order"].pk]),
        "payment": reverse("admin:payments_payment_change", args=[shop["payment"].pk]),
        "product": reverse("admin:catalog_product_change", args=[shop["product"].pk]),
        "stock": reverse("admin:inventory_stocklevel_changelist"),
        "movements": reverse("admin:inventory_stockmovement_changelist"),
        "pick_lists": reverse("admin:fulfillment_picklist_changelist"),
        "option": reverse("admin:catalog_productoption_changelist"),
    }
    assert set(status_codes(client, reads).values()) == {200}
    settings_pages = {name: reverse(f"admin:{name}_add") for name in (
        "orders_voucher", "orders_shippingzone", "orders_shippingmethod", "orders_taxrate",
        "fulfillment_courierzone", "inventory_warehouse")}
    assert set(status_codes(client, settings_pages).values()) == {200}
    made = client.post(reverse("admin:orders_voucher_add"), {
        "code": "MERCHANT10", "kind": "percentage", "value": "10", "currency": "USD",
        "is_active": "on", "uses-TOTAL_FORMS": "0", "uses-INITIAL_FORMS": "0"})
    assert made.status_code == 302 and Voucher.objects.filter(code="MERCHANT10").exists()

    assert set(status_codes(client, fulfillment_screens(shop)).values()) == {403}
    client.post(SHIPMENTS, {"action": "mark_shipped", "_selected_action": [shop["labeled"].pk]})
    shop["labeled"].refresh_from_db()
    assert shop["labeled"].state == State.LABEL_PURCHASED
    # The money decisions are the Merchant's: cancel, capture, and refund with a reason.
    page = client.get(reads["order"]).content.decode()
    assert "Cancel order…" in page and "Refund…" in page
    assert refund(client, shop["payment"]).status_code == 302
    shop["payment"].refresh_from_db()
    assert shop["payment"].refunded_amount == Decimal("1.00")
    assert shop["payment"].calls.get(kind="refund").refund_reason == "goodwill"
    product_change = reverse("admin:catalog_product_change", args=[shop["product"].pk])
    assert client.post(product_change, {"title": "Renamed"}).status_code == 403
    receive = reverse("admin:inventory_stocklevel_receive", args=[shop["level"].pk])
    assert client.get(receive).status_code == 403
    voucher = Voucher.objects.get(code="MERCHANT10")
    assert client.post(reverse("admin:orders_voucher_delete", args=[voucher.pk]),
                       {"post": "yes"}).status_code == 403


def test_a_merchant_sees_who_used_a_voucher_and_a_products_options(client, shop):
    voucher = Voucher.objects.create(code="SEEN", kind="fixed", value=Decimal("5"))
    VoucherUse.objects.create(voucher=voucher, order=shop["order"], email="ship@example.com")
    staff_in(client, "Merchant")
    page = client.get(reverse("admin:orders_voucher_change", args=[voucher.pk]))
    assert shop["order"].number.encode() in page.content  # the uses list is shown
    product = client.get(reverse("admin:catalog_product_change", args=[shop["product"].pk]))
    assert b'name="options-TOTAL_FORMS"' in product.content  # the options list is shown
    assert b'name="images-TOTAL_FORMS"' in product.content  # and the images


def test_a_shipper_buys_labels_ships_and_delivers_but_does_not_pick_pack_or_refund(client,
                                                                                   shop):
    staff_in(client, "Shipper")
    listing = client.get(SHIPMENTS)
    assert b"buy_labels" in listing.content and b"mark_shipped" in listing.content
    assert b"make_pick_list" not in listing.content
    screens = fulfillment_screens(shop)
    assert status_codes(client, screens) == {
        "pack": 403, "label": 200, "slip": 200, "collect": 200, "scan_to_ship": 200,
        "next_pick_list": 403, "courier": 200}
    client.post(SHIPMENTS, {"action": "mark_shipped", "_selected_action": [shop["labeled"].pk]})
    shop["labeled"].refresh_from_db()
    assert shop["labeled"].state == State.SHIPPED
    client.post(SHIPMENTS, {"action": "make_pick_list", "_selected_action": [shop["pending"].pk]})
    shop["pending"].refresh_from_db()
    assert shop["pending"].state == State.PENDING
    pick_list = reverse("admin:fulfillment_picklist_print", args=[shop["labeled"].pick_list_id])
    assert client.get(pick_list).status_code == 403
    assert refund(client, shop["payment"]).status_code == 403
    assert client.get(reverse("admin:orders_voucher_add")).status_code == 403
    assert client.get(reverse("admin:catalog_product_change",
                              args=[shop["product"].pk])).status_code == 200  # reads
    assert client.post(reverse("admin:catalog_product_change", args=[shop["product"].pk]),
                       {"title": "x"}).status_code == 403


def test_a_returns_clerk_refunds_only_through_returns_and_runs_no_warehouse_step(client, shop):
    staff_in(client, "Returns clerk")
    page = client.get(reverse("admin:orders_order_change", args=[shop["order"].pk]))
    assert page.status_code == 200 and "Refund…" not in page.content.decode()
    assert client.get(reverse("admin:inventory_stockmovement_changelist")).status_code == 200
    # No free refund from the payment admin: a refund needs a return behind it.
    assert refund(client, shop["payment"]).status_code == 403
    assert client.get(reverse("admin:payments_payment_refund",
                              args=[shop["payment"].pk])).status_code == 403
    shop["payment"].refresh_from_db()
    assert shop["payment"].refunded_amount == Decimal("0")

    listing = client.get(SHIPMENTS)
    assert listing.status_code == 200
    for action in (b"make_pick_list", b"buy_labels", b"mark_shipped"):
        assert action not in listing.content
    assert set(status_codes(client, fulfillment_screens(shop)).values()) == {403}
    receive = reverse("admin:inventory_stocklevel_receive", args=[shop["level"].pk])
    assert client.get(receive).status_code == 403
    assert StockLevel.objects.get(pk=shop["level"].pk).on_hand == 10
    assert client.get(reverse("admin:orders_voucher_add")).status_code == 403
    cancel = client.post(reverse("admin:orders_order_cancel", args=[shop["order"].pk]),
                         {"reason": "x"})
    assert cancel.status_code == 403


def test_no_role_gets_what_it_does_not_need():
    everyone = {codename for codenames in ROLES.values() for codename in codenames}
    assert not {c for c in everyone if c.startswith("auth.")}  # staff are managed by owners
    assert not {c for c in everyone if c.split(".")[1].startswith("delete_")}
    assert "fulfillment.pick_shipment" not in ROLES["Merchant"]
    assert {"fulfillment.buy_label", "fulfillment.ship_shipment",
            "fulfillment.deliver_shipment"} <= set(ROLES["Shipper"])
    assert "payments.change_payment" not in ROLES["Returns clerk"]  # refunds via returns
    assert {"orders.change_order", "payments.change_payment",
            "payments.refund_adjustment"} <= set(ROLES["Merchant"])


def test_the_roles_migration_can_run_again_after_roles_change():
    import importlib

    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module(
        "fulfillment.migrations.0005_merchant_reads_options_and_voucher_uses")
    state = MigrationExecutor(connection).loader.project_state(
        ("fulfillment", "0005_merchant_reads_options_and_voucher_uses"))
    merchant = Group.objects.get(name="Merchant")
    merchant.permissions.remove(Permission.objects.get(codename="view_productoption"))
    migration.sync(state.apps, None)
    assert merchant.permissions.filter(codename="view_productoption").exists()
    # Exactly the warehouse roles' permissions; returns adds its own, which a sync keeps.
    assert merchant.permissions.filter(content_type__app_label__in=MANAGED_APPS).count() == \
        len(ROLES["Merchant"])
