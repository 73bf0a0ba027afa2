"""Staff cancel an order while another staff member is packing it (issue 14): the Packer
has the pack page open, the Merchant cancels the order in another browser, and the
Packer's "Finish packing" is refused with the reason. Nothing ships, the money goes back
(the order admin's balance shows the refund), and the shopper's order page, on a phone,
reads "Canceled"."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from fulfillment import services as fulfillment_services
from fulfillment.models import Shipment
from orders import services as order_services
from orders.links import guest_order_path
from orders.models import Order
from payments import services as payment_services
from payments.models import Payment
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db(transaction=True)
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
PASSWORD = "correct horse battery"


@pytest.fixture
def order():
    variant = make_variant(ProductFactory(title="Camp Stove"), sku="STOVE-1", price="80.00",
                           stock=4)
    placed = order_services.place_order(cart=ready_cart(variants={variant: 2},
                                                        email="camper@example.com"))
    payment_services.start_payment(order=placed, payment_data=CARD)  # shipments follow
    return Order.objects.get(pk=placed.pk)


def staff_page(browser, live_server, username, *roles, width=1280):
    user = UserFactory(username=username, is_staff=True, password=PASSWORD)
    user.groups.add(*Group.objects.filter(name__in=roles))
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out"))).to_be_visible()
    return context, page, errors


def test_a_cancel_while_packing_stops_the_parcel_and_gives_the_money_back(
        browser, live_server, order, staff_roles):
    shipment = Shipment.objects.get(order=order)
    fulfillment_services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
    assert Payment.objects.get(order=order).state == Payment.State.CAPTURED

    # The Packer opens the pack page and scans both stoves.
    packer_context, packer, packer_errors = staff_page(browser, live_server, "packer",
                                                       "Picker", "Packer")
    packer.goto(f"{live_server.url}/admin/fulfillment/shipment/{shipment.pk}/pack/")
    for _ in range(2):
        packer.get_by_label("Scan or type SKU / barcode").fill("STOVE-1")
        packer.get_by_label("Scan or type SKU / barcode").press("Enter")
    expect(packer.get_by_test_id("scanned-STOVE-1")).to_contain_text("2 / 2")
    packer.get_by_label("Weight (grams)").fill("1800")

    # Meanwhile the Merchant cancels the order from the order admin, in another browser.
    merchant_context, merchant, merchant_errors = staff_page(browser, live_server, "merchant",
                                                             "Merchant")
    order_page = f"{live_server.url}/admin/orders/order/{order.pk}/change/"
    merchant.goto(order_page)
    merchant.get_by_role("link", name="Cancel order…").click()
    merchant.get_by_label("Reason").fill("Customer called to cancel")
    merchant.get_by_role("button", name="Cancel the order").click()
    expect(merchant.locator(".messagelist")).to_contain_text(
        f"Order {order.number} canceled: the payment was refunded and its stock released.")

    # The Packer, on the page opened before the cancel, finishes packing: refused.
    packer.get_by_role("button", name="Finish packing").click()
    expect(packer.locator(".messagelist .error")).to_contain_text(
        re.compile(rf"{re.escape(shipment.number)} is canceled|Order {order.number} is "
                   r"canceled|cancel requested"))
    expect(packer.get_by_test_id("label-link")).to_have_count(0)

    # Nothing shipped, the money is back.
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert shipment.state == Shipment.State.CANCELED and not shipment.tracking_number
    assert not Shipment.objects.filter(order=order).exclude(
        state=Shipment.State.CANCELED).exists()
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == payment.captured_amount == order.total

    # The order admin's balance explains it: paid, refunded on cancellation, nothing kept.
    merchant.goto(order_page)
    balance = merchant.locator("table.order-balance")
    expect(balance).to_contain_text("Refund on cancellation")
    expect(balance.locator("tr", has_text="Paid (captured less refunded)")).to_contain_text(
        "$0.00")
    refunded = balance.locator("tfoot tr", has=merchant.locator(
        "th", has_text=re.compile(r"^Refunded$")))
    expect(refunded).to_contain_text(f"${order.total}")
    expect(merchant.get_by_role("link", name="Cancel order…")).to_have_count(0)

    # The shopper's order page, on a phone, reads Canceled.
    shopper_context = browser.new_context(viewport={"width": 390, "height": 844})
    shopper = shopper_context.new_page()
    shopper.goto(live_server.url + guest_order_path(order))
    expect(shopper.get_by_test_id("order-status")).to_have_text("Canceled")
    expect(shopper.get_by_test_id("order-balance")).to_contain_text("Refunded: order canceled")
    assert shopper.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    for context in (packer_context, merchant_context, shopper_context):
        context.close()
    assert not packer_errors and not merchant_errors
