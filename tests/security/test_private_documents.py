"""Labels, return labels, invoices, packing slips, pick lists and purchase orders are private
documents: never under MEDIA_ROOT (which SERVE_MEDIA, a web server or a public bucket
serves), stored only under unguessable names, and handed out only by views that check the
user, as uncached attachments. Product photos stay public.

The outside probe enumerated ``/media/labels/YYYY/MM/<tracking number>.pdf`` and
``/media/return-labels/YYYY/MM/RMA-1000NN.pdf`` anonymously; these tests fail on that code.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from catalog.services import add_product_image
from fulfillment import services as fulfillment_services
from fulfillment.models import PickList, Shipment
from inventory import services as inventory_services
from inventory.models import Supplier, SupplierPrice
from kernel.storage import check_private_media_root, private_storage
from orders.links import guest_order_signature
from returns import services as return_services
from returns.models import ReturnRequest
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant
from tests.fulfillment.test_shipments import pack
from tests.returns import conftest as returns_setup
from tests.returns.conftest import line_of

# The returns suite's delivered order (its fixtures, used here by name).
warehouse, catalog = returns_setup.warehouse, returns_setup.catalog
customer, delivered_order = returns_setup.customer, returns_setup.delivered_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]

UNGUESSABLE = re.compile(r"^(labels|return-labels)/[0-9a-f]{32}\.pdf$")


def files_under(root) -> set[str]:
    root = Path(root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} \
        if root.exists() else set()


def staff_in(client, role: str):
    user = UserFactory(username=f"{role.lower().replace(' ', '-')}-private", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def assert_private_pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def assert_refused(response):
    """Not the document: a 403/404, or (admin) a redirect to the login page."""
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert "/login/" in response["Location"]
    assert not response.content.startswith(b"%PDF")


@pytest.fixture
def labeled_shipment(delivered_order, customer):
    """A packed shipment of the customer's order with its label bought."""
    order = delivered_order(user=customer, delivered=False)
    shipment = Shipment.objects.get(order=order)
    fulfillment_services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
    pack(shipment)
    public_before = files_under(settings.MEDIA_ROOT)
    shipment = fulfillment_services.purchase_label(shipment_id=shipment.pk)
    assert files_under(settings.MEDIA_ROOT) == public_before  # nothing public written
    return shipment


def test_a_bought_label_is_stored_privately_under_an_unguessable_name(client, labeled_shipment):
    shipment = labeled_shipment
    name = shipment.label.name
    assert UNGUESSABLE.match(name), name
    for secret in (shipment.tracking_number, shipment.number, shipment.order.number):
        assert secret not in name
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).is_file()
    assert not (Path(settings.MEDIA_ROOT) / name).exists()
    assert private_storage().exists(name) and not default_storage.exists(name)
    with pytest.raises(ValueError, match="no public URL"):
        shipment.label.url  # noqa: B018 - a private file has no link to leak
    # Neither the old guessable path nor the new name is served as media.
    month = timezone.now().strftime("%Y/%m")
    assert client.get(f"/media/labels/{month}/{shipment.tracking_number}.pdf").status_code \
        == 404
    assert client.get(f"/media/{name}").status_code == 404


def test_only_shipping_roles_download_the_label(client, labeled_shipment, customer):
    url = reverse("admin:fulfillment_shipment_label", args=[labeled_shipment.pk])
    assert_refused(client.get(url))  # anonymous
    client.force_login(customer)  # the shopper whose parcel it is, but not staff
    assert_refused(client.get(url))
    staff_in(client, "Picker")
    assert_refused(client.get(url))
    staff_in(client, "Shipper")
    response = client.get(url)
    assert_private_pdf(response)
    assert f"label-{labeled_shipment.number}.pdf" in response["Content-Disposition"]


def test_the_shipment_admin_links_to_the_label_view_never_to_the_file(client, labeled_shipment):
    staff_in(client, "Shipper")
    page = client.get(reverse("admin:fulfillment_shipment_change", args=[labeled_shipment.pk]))
    assert page.status_code == 200
    assert reverse("admin:fulfillment_shipment_label",
                   args=[labeled_shipment.pk]).encode() in page.content
    assert labeled_shipment.label.name.encode() not in page.content
    assert b"/media/" not in page.content


@pytest.fixture
def return_with_label(delivered_order, customer):
    order = delivered_order(user=customer)
    rma = return_services.request_return(order_id=order.pk, resolution="refund", lines=[
        return_services.RequestedLine(order_line_id=line_of(order, "MUG").pk, quantity=1,
                                      reason="changed_mind")])
    return_services.approve_return(return_id=rma.pk, method=ReturnRequest.Method.LABEL)
    public_before = files_under(settings.MEDIA_ROOT)
    rma = return_services.issue_return_label(return_id=rma.pk)
    assert rma.label
    assert files_under(settings.MEDIA_ROOT) == public_before
    return rma


def test_a_return_label_is_private_unguessable_and_not_served_as_media(client,
                                                                       return_with_label):
    rma = return_with_label
    name = rma.label.name
    assert UNGUESSABLE.match(name) and name.startswith("return-labels/"), name
    for secret in (rma.number, rma.tracking_number, rma.order.number):
        assert secret not in name
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).is_file()
    month = timezone.now().strftime("%Y/%m")
    assert client.get(f"/media/return-labels/{month}/{rma.number}.pdf").status_code == 404
    assert client.get(f"/media/{name}").status_code == 404


def test_a_return_label_goes_to_its_shopper_the_signed_link_and_returns_staff_only(
        client, return_with_label, customer):
    rma, order = return_with_label, return_with_label.order
    own = reverse("account:return_label", args=[order.number, rma.number])
    guest = reverse("account:guest_return_label",
                    args=[guest_order_signature(order), rma.number])
    admin_url = reverse("admin:returns_returnrequest_label", args=[rma.pk])
    for url in (own, admin_url):
        assert_refused(client.get(url))  # anonymous
    assert_refused(client.get(reverse("account:guest_return_label",
                                      args=["forged", rma.number])))
    client.force_login(UserFactory(email="eve@example.com"))  # another shopper
    assert_refused(client.get(own))
    assert_refused(client.get(admin_url))
    client.force_login(customer)
    assert_private_pdf(client.get(own))
    client.logout()
    assert_private_pdf(client.get(guest))
    staff_in(client, "Picker")
    assert_refused(client.get(admin_url))
    staff_in(client, "Returns clerk")
    assert_private_pdf(client.get(admin_url))
    page = client.get(reverse("admin:returns_returnrequest_change", args=[rma.pk]))
    assert page.status_code == 200 and admin_url.encode() in page.content
    assert rma.label.name.encode() not in page.content and b"/media/" not in page.content


def test_invoices_slips_and_pick_lists_are_drawn_per_request_for_the_right_user(
        client, delivered_order, customer):
    order = delivered_order(user=customer, delivered=False)
    shipment = Shipment.objects.get(order=order)
    fulfillment_services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
    pick_list = PickList.objects.get(shipments=shipment)
    public_before = files_under(settings.MEDIA_ROOT)
    private_before = files_under(settings.PRIVATE_MEDIA_ROOT)
    invoice = reverse("account:order_invoice", args=[order.number])
    guest_invoice = reverse("account:guest_invoice", args=[guest_order_signature(order)])
    admin_invoice = reverse("admin:orders_order_invoice", args=[order.pk])
    slip = reverse("admin:fulfillment_shipment_slip", args=[shipment.pk])
    pick_pdf = reverse("admin:fulfillment_picklist_pdf", args=[pick_list.pk])

    for url in (invoice, admin_invoice, slip, pick_pdf):
        assert_refused(client.get(url))  # anonymous
    client.force_login(UserFactory(email="eve@example.com"))
    for url in (invoice, admin_invoice, slip, pick_pdf):
        assert_refused(client.get(url))
    client.force_login(customer)
    assert_private_pdf(client.get(invoice))
    for url in (admin_invoice, slip, pick_pdf):
        assert_refused(client.get(url))
    client.logout()
    assert_private_pdf(client.get(guest_invoice))
    staff_in(client, "Shipper")
    assert_private_pdf(client.get(slip))
    assert_private_pdf(client.get(admin_invoice))
    assert_refused(client.get(pick_pdf))
    staff_in(client, "Picker")
    assert_private_pdf(client.get(pick_pdf))
    assert_refused(client.get(slip))
    # Drawn for the request, stored nowhere.
    assert files_under(settings.MEDIA_ROOT) == public_before
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == private_before


def test_purchase_orders_go_to_purchasing_staff_only(client):
    east = WarehouseFactory(code="po-east", name="PO East")
    lantern = make_variant(ProductFactory(title="Lantern"), sku="LANTERN-PO")
    supplier = Supplier.objects.create(name="Acme", contact_email="orders@acme.example",
                                       lead_time_days=5, currency="USD")
    SupplierPrice.objects.create(supplier=supplier, variant=lantern, cost=Decimal("12.00"),
                                 minimum_order_quantity=1, pack_size=1)
    purchase_order = inventory_services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[inventory_services.LineRequest(variant_id=lantern.pk, quantity=3)])
    public_before = files_under(settings.MEDIA_ROOT)
    url = reverse("admin:inventory_purchaseorder_pdf", args=[purchase_order.pk])
    assert_refused(client.get(url))
    client.force_login(UserFactory(email="shopper@example.com"))
    assert_refused(client.get(url))
    staff_in(client, "Shipper")
    assert_refused(client.get(url))
    staff_in(client, "Stock clerk")
    assert_private_pdf(client.get(url))
    staff_in(client, "Merchant")
    response = client.get(url)
    assert_private_pdf(response)
    assert f"{purchase_order.number}.pdf" in response["Content-Disposition"]
    assert files_under(settings.MEDIA_ROOT) == public_before


def test_product_photos_are_still_public(client, png_bytes):
    product = ProductFactory(title="Daypack")
    image = add_product_image(product=product, content=png_bytes(), filename="front.png")
    assert image.image.name.startswith("products/")
    response = client.get(image.image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_a_label_left_in_public_media_is_not_served_and_is_moved_by_the_command(
        client, labeled_shipment):
    """A shop deployed before this change has labels under MEDIA_ROOT with guessable names:
    SERVE_MEDIA no longer serves them, and move_private_documents (also run by the
    migration) moves them into private storage under new names."""
    shipment = labeled_shipment
    month = timezone.now().strftime("%Y/%m")
    legacy = default_storage.save(f"labels/{month}/{shipment.tracking_number}.pdf",
                                  ContentFile(b"%PDF-1.4 legacy label"))
    Shipment.objects.filter(pk=shipment.pk).update(label=legacy)
    assert client.get(f"/media/{legacy}").status_code == 404

    call_command("move_private_documents", stdout=open("/dev/null", "w"))  # noqa: SIM115

    shipment.refresh_from_db()
    assert UNGUESSABLE.match(shipment.label.name)
    assert shipment.tracking_number not in shipment.label.name
    assert not default_storage.exists(legacy)
    with shipment.label.open("rb") as moved:
        assert moved.read() == b"%PDF-1.4 legacy label"
    name = shipment.label.name
    call_command("move_private_documents", stdout=open("/dev/null", "w"))  # noqa: SIM115
    shipment.refresh_from_db()
    assert shipment.label.name == name  # already private: left alone


def test_the_migration_moves_return_labels_left_in_public_media(return_with_label):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("returns.migrations.0003_private_return_labels")
    legacy = default_storage.save(f"return-labels/2024/05/{return_with_label.number}.pdf",
                                  ContentFile(b"%PDF-1.4 legacy return label"))
    ReturnRequest.objects.filter(pk=return_with_label.pk).update(label=legacy)
    migration.move_return_labels(apps, None)
    return_with_label.refresh_from_db()
    assert UNGUESSABLE.match(return_with_label.label.name)
    assert return_with_label.label.name.startswith("return-labels/")
    assert not default_storage.exists(legacy)
    with return_with_label.label.open("rb") as moved:
        assert moved.read() == b"%PDF-1.4 legacy return label"


def test_the_private_folder_may_not_be_inside_the_public_one():
    assert check_private_media_root() == []
    with override_settings(MEDIA_ROOT=Path(settings.PRIVATE_MEDIA_ROOT).parent):
        errors = check_private_media_root()
    assert [error.id for error in errors] == ["kernel.E001"]
