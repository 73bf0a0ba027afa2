"""The inventory operation screens, through the admin client, per role: the Stock clerk
receives (by scan), transfers and counts; the Merchant buys, approves counts and starts
clearances. Refusals are messages on the page, nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from catalog.models import ClearanceDiscount
from fulfillment.roles import ROLES, sync_roles
from inventory import services
from inventory.models import (
    PurchaseOrder,
    StockCount,
    StockLevel,
    StockMovement,
    StockTransfer,
)
from tests.factories import UserFactory

from .conftest import assert_ledger_ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]


def staff_in(client, role):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def sent(supplier, east, lantern, priced):
    purchase_order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=3)])
    return services.send_purchase_order(purchase_order_id=purchase_order.pk)


def test_every_role_permission_exists():
    assert sync_roles(Group, Permission, require_all=True) == []
    assert "inventory.approve_stockcount" not in ROLES["Stock clerk"]
    assert "inventory.receive_purchaseorder" not in ROLES["Merchant"]


def test_a_stock_clerk_receives_by_scanning(client, sent, lantern, east):
    staff_in(client, "Stock clerk")
    url = reverse("admin:inventory_purchaseorder_receive", args=[sent.pk])
    qty = f"qty-{lantern.pk}"

    page = client.post(url, {"code": "0123456789012", qty: "0", "scan": "Add scan"})
    assert page.status_code == 200 and page.context["rows"][0]["receiving"] == 1
    page = client.post(url, {"code": "LANTERN-1", qty: "1"})  # Enter in the scan field
    assert page.context["rows"][0]["receiving"] == 2
    wrong = client.post(url, {"code": "WRONG", qty: "2"})
    assert wrong.status_code == 400 and b"WRONG is not on" in wrong.content
    assert not StockMovement.objects.exists()  # scanning writes nothing

    done = client.post(url, {qty: "2", "receive": "Receive"}, follow=True)

    assert b"Received LANTERN-1 +2 into east" in done.content
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 2
    sent.refresh_from_db()
    assert sent.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert_ledger_ok()


def test_receiving_too_much_or_a_negative_is_a_message_and_nothing_is_written(client, sent,
                                                                              lantern):
    staff_in(client, "Stock clerk")
    url = reverse("admin:inventory_purchaseorder_receive", args=[sent.pk])

    over = client.post(url, {f"qty-{lantern.pk}": "5", "receive": "Receive"})
    negative = client.post(url, {f"qty-{lantern.pk}": "-1", "receive": "Receive"})
    text = client.post(url, {f"qty-{lantern.pk}": "lots", "receive": "Receive"})

    assert over.status_code == 400 and b"5 received of 3 ordered" in over.content
    assert negative.status_code == 400 and b"cannot be negative" in negative.content
    assert text.status_code == 400 and b"not a whole number" in text.content
    assert not StockMovement.objects.exists()

    accepted = client.post(url, {f"qty-{lantern.pk}": "5", "over": "1", "receive": "Receive"})
    assert accepted.status_code == 302
    assert StockMovement.objects.get().quantity == 5


def test_a_merchant_drafts_and_sends_but_does_not_receive(
        client, supplier, east, lantern, priced, mailoutbox, django_capture_on_commit_callbacks):
    staff_in(client, "Merchant")
    made = client.post(reverse("admin:inventory_purchaseorder_add"), {
        "supplier": supplier.pk, "warehouse": east.pk, "lines": "lantern-1 6\n"})
    purchase_order = PurchaseOrder.objects.get()
    assert made.status_code == 302
    assert purchase_order.lines.get().quantity_ordered == 6

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:inventory_purchaseorder_send", args=[purchase_order.pk]))
    purchase_order.refresh_from_db()
    assert purchase_order.status == PurchaseOrder.Status.SENT
    assert mailoutbox[0].to == ["orders@acme.example"]
    page = client.get(reverse("admin:inventory_purchaseorder_change", args=[purchase_order.pk]))
    assert page.status_code == 200 and b"Receive goods" not in page.content
    receive = reverse("admin:inventory_purchaseorder_receive", args=[purchase_order.pk])
    assert client.get(receive).status_code == 403
    pdf = client.get(reverse("admin:inventory_purchaseorder_pdf", args=[purchase_order.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_bad_draft_in_admin_names_the_line(client, supplier, east, priced):
    staff_in(client, "Merchant")
    page = client.post(reverse("admin:inventory_purchaseorder_add"), {
        "supplier": supplier.pk, "warehouse": east.pk, "lines": "LANTERN-1 2\nNOPE 3"})

    assert page.status_code == 400 and b"Line 2: no variant has the SKU" in page.content
    assert not PurchaseOrder.objects.exists()


def test_a_stock_clerk_cannot_send_or_draft(client, supplier, east, lantern, priced):
    staff_in(client, "Stock clerk")
    purchase_order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=3)])

    assert client.post(reverse("admin:inventory_purchaseorder_send",
                               args=[purchase_order.pk])).status_code == 403
    assert client.get(reverse("admin:inventory_purchaseorder_add")).status_code == 403
    purchase_order.refresh_from_db()
    assert purchase_order.status == PurchaseOrder.Status.DRAFT


def test_a_stock_clerk_transfers_between_warehouses(client, lantern, east, west):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5)
    staff_in(client, "Stock clerk")
    add = reverse("admin:inventory_stocktransfer_add")

    same = client.post(add, {"source": east.pk, "destination": east.pk, "lines": "LANTERN-1 2"})
    assert same.status_code == 400 and b"two different warehouses" in same.content
    client.post(add, {"source": east.pk, "destination": west.pk, "lines": "LANTERN-1 2"})
    transfer = StockTransfer.objects.get()
    for step in ("dispatch", "receive"):
        client.post(reverse("admin:inventory_stocktransfer_step", args=[transfer.pk, step]))

    transfer.refresh_from_db()
    assert transfer.status == StockTransfer.Status.RECEIVED
    assert StockLevel.objects.get(variant=lantern, warehouse=west).on_hand == 2
    assert_ledger_ok()


def test_the_clerk_counts_and_the_merchant_approves(client, lantern, east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5)
    lantern.cost_price = Decimal("12.00")
    lantern.save(update_fields=["cost_price"])
    staff_in(client, "Stock clerk")
    client.post(reverse("admin:inventory_stockcount_add"), {"warehouse": east.pk,
                                                            "skus": "LANTERN-1"})
    count = StockCount.objects.get()
    line = count.lines.get()
    page_url = reverse("admin:inventory_stockcount_count", args=[count.pk])
    sheet = client.get(reverse("admin:inventory_stockcount_sheet", args=[count.pk]))
    assert b"LANTERN-1" in sheet.content

    client.post(page_url, {f"counted-{line.pk}": "3", "enter": "Save counts"})
    page = client.get(page_url)
    assert b"-2" in page.content and b"-24.00 USD" in page.content  # variance and value
    refused = client.post(page_url, {"reason": "Cycle count", "approve": "1"})
    assert refused.status_code == 403

    client.logout()
    staff_in(client, "Merchant")
    client.post(page_url, {"reason": "Cycle count", "approve": "1"})

    count.refresh_from_db()
    assert count.status == StockCount.Status.APPROVED
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 3
    assert_ledger_ok()


def test_the_history_page_shows_the_ledger_and_an_svg_chart(client, lantern, east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5, reference="PO-1")
    staff_in(client, "Stock clerk")

    page = client.get(reverse("admin:inventory_stocklevel_stock_history", args=[lantern.pk]))

    assert page.status_code == 200
    assert b'data-testid="on-hand-chart"' in page.content and b"PO-1" in page.content
    assert b"http" not in page.content.split(b"<svg")[1].split(b"</svg>")[0].replace(
        b"http://www.w3.org/2000/svg", b"")  # nothing fetched from the internet


def test_a_merchant_puts_slow_movers_on_clearance(client, lantern, east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5)
    staff_in(client, "Merchant")
    url = reverse("admin:inventory_stocklevel_slow_movers")
    page = client.get(url, {"days": 30, "cover": 60})
    assert b"mover-LANTERN-1" in page.content

    ends_on = (timezone.now() + timedelta(days=10)).date().isoformat()
    client.post(url, {"variant": [lantern.pk], "percent_off": "25", "ends_on": ends_on})

    lantern.refresh_from_db()
    assert (lantern.price, lantern.compare_at_price) == (Decimal("30.00"), Decimal("40.00"))
    assert ClearanceDiscount.objects.get().ends_at.date().isoformat() == ends_on


def test_a_stock_clerk_cannot_start_a_clearance(client, lantern, east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5)
    staff_in(client, "Stock clerk")
    url = reverse("admin:inventory_stocklevel_slow_movers")

    assert client.get(url).status_code == 200
    ends_on = (timezone.now() + timedelta(days=10)).date().isoformat()
    assert client.post(url, {"variant": [lantern.pk], "percent_off": "25",
                             "ends_on": ends_on}).status_code == 403
    assert not ClearanceDiscount.objects.exists()
