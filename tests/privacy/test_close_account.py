"""Issue 19, data requests: a customer closes their account. Personal data is erased or
anonymised in every section, in one transaction; orders, invoices, payments and stock
records keep what accounting and tax law require, without the person; the money and
stock checks still balance. Refused, with a clear message, while an order is open."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from inventory.models import StockMovement
from orders.models import Address, Cart, Invoice, Order
from payments.models import Payment
from privacy import services
from privacy.exceptions import ErasureRefused
from privacy.models import DataRequest
from shop.moneycheck.selectors import check_orders
from shop.stockcheck.selectors import check_stock
from tests.factories import ready_cart
from tests.returns.conftest import ask

from .conftest import PASSWORD, logged_in

pytestmark = pytest.mark.django_db


def close(client, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "on"
    return client.post(reverse("account:close_account"), data)


def test_closing_the_account_erases_the_person_and_keeps_the_books(
        client, ada, bob, saved_address, delivered_order, catalog):
    invoiced = delivered_order(user=ada)
    Invoice.objects.create(order=invoiced, number="INV-900001")
    not_yet_invoiced = delivered_order(user=ada, shirts=1, mugs=0)
    theirs = delivered_order(user=bob, email="bob@example.com")
    ready_cart(variants={catalog["mug"]: 1}, user=ada, email="ada@example.com")
    other_session = Client()
    other_session.force_login(ada)
    totals = {o.pk: o.total for o in Order.objects.all()}
    movements = StockMovement.objects.count()
    payments = list(Payment.objects.order_by("pk").values_list("pk", "captured_amount"))

    response = close(logged_in(client, ada))
    assert response.status_code == 302 and response["Location"] == reverse(
        "account:account_closed")

    ada.refresh_from_db()
    assert ada.email.endswith("@closed.invalid") and ada.username == ada.email
    assert (ada.first_name, ada.last_name, ada.is_active) == ("", "", False)
    assert not ada.has_usable_password()
    assert not get_user_model().objects.filter(email__iexact="ada@example.com").exists()
    # Sessions end: this browser was logged out, another one is logged out on its next request.
    assert client.get(reverse("account:dashboard")).status_code == 302
    assert other_session.get(reverse("account:dashboard")).status_code == 302
    assert not Address.objects.filter(pk=saved_address.pk).exists()
    assert not Cart.objects.filter(user=ada).exists()
    assert not Cart.objects.filter(email__iexact="ada@example.com").exists()

    for order in (invoiced, not_yet_invoiced):
        order.refresh_from_db()
        assert order.user is None and order.email == "erased@erased.invalid"
        assert order.customer_ip is None and order.customer_note == ""
        assert order.total == totals[order.pk]
        # The invoice (issued now for the paid order that had none) keeps the billing name
        # and address the law requires; the parcel's copy is blanked.
        assert order.invoice is not None
        billing = order.billing_address
        assert (billing.first_name, billing.line1) == ("Ada", "12 Analytical Row")
        shipping = order.shipping_address
        assert shipping.pk != billing.pk
        assert (shipping.first_name, shipping.last_name, shipping.line1, shipping.phone) == \
            ("", "", "", "")
        assert (shipping.city, shipping.postal_code, shipping.country) == \
            ("Portland", "97201", "US")
    assert Invoice.objects.get(order=invoiced).number == "INV-900001"
    theirs.refresh_from_db()
    assert theirs.user == bob and theirs.email == "bob@example.com"
    assert theirs.shipping_address.first_name == "Ada"  # the factory's address: untouched
    assert StockMovement.objects.count() == movements
    assert list(Payment.objects.order_by("pk").values_list("pk", "captured_amount")) == payments
    assert check_orders().is_clean
    assert check_stock().is_clean

    logged = DataRequest.objects.get()
    assert (logged.kind, logged.channel, logged.status) == ("erasure", "account", "completed")
    assert logged.email == "ada@example.com" and logged.completed_at is not None
    assert logged.sections[-1] == "account" and "orders" in logged.sections


def test_the_confirmation_page_says_what_the_law_keeps(client, ada):
    page = logged_in(client, ada).get(reverse("account:close_account"))
    assert page.status_code == 200
    assert b"Art. 17(3)(b) and (e)" in page.content
    assert b'for="id_password"' in page.content and b'for="id_confirm"' in page.content


def test_a_wrong_password_or_no_confirmation_changes_nothing(client, ada):
    logged_in(client, ada)
    wrong = close(client, password="not my password")
    assert wrong.status_code == 400 and b"That is not your password." in wrong.content
    unconfirmed = close(client, confirm=False)
    assert unconfirmed.status_code == 400 and b"Tick the box" in unconfirmed.content
    ada.refresh_from_db()
    assert ada.is_active and ada.email == "ada@example.com"
    assert not DataRequest.objects.exists()


def test_refused_while_an_order_is_paid_and_not_shipped(client, ada, delivered_order):
    order = delivered_order(user=ada, delivered=False)
    response = close(logged_in(client, ada))
    assert response.status_code == 409
    assert f"Order {order.number} is paid and not shipped yet.".encode() in response.content
    ada.refresh_from_db()
    order.refresh_from_db()
    assert ada.is_active and order.user == ada and order.email == "ada@example.com"
    refused = DataRequest.objects.get()
    assert (refused.kind, refused.status) == ("erasure", "refused")
    assert order.number in refused.outcome


def test_refused_while_a_return_is_open(ada, delivered_order):
    order = delivered_order(user=ada)
    rma = ask(order)
    with pytest.raises(ErasureRefused, match=f"Return {rma.number}"):
        services.close_account(user=ada)
    ada.refresh_from_db()
    assert ada.is_active


def test_refused_while_an_order_awaits_payment(ada, catalog):
    from orders import services as order_services

    order = order_services.place_order(cart=ready_cart(variants={catalog["mug"]: 1}, user=ada),
                                       user=ada)
    with pytest.raises(ErasureRefused, match=f"Order {order.number} is awaiting payment"):
        services.close_account(user=ada)


def test_a_canceled_unpaid_order_does_not_block(ada, catalog):
    from orders import services as order_services

    order = order_services.place_order(cart=ready_cart(variants={catalog["mug"]: 1}, user=ada),
                                       user=ada)
    order_services.cancel_order(order_id=order.pk, reason="Changed my mind")
    services.close_account(user=ada)
    order.refresh_from_db()
    assert order.user is None and order.billing_address.first_name == ""  # no invoice to keep
    assert not Invoice.objects.filter(order=order).exists()


def test_an_erasure_that_fails_half_way_leaves_everything(ada, saved_address, delivered_order,
                                                          monkeypatch):
    from kernel import personal_data

    order = delivered_order(user=ada)

    def broken(subject):
        raise RuntimeError("a section failed")

    monkeypatch.setitem(personal_data._SECTIONS, "zz_broken", personal_data.Section(
        name="zz_broken", export=lambda subject: None, erase=broken, order=999))
    with pytest.raises(RuntimeError):
        services.close_account(user=ada)
    ada.refresh_from_db()
    order.refresh_from_db()
    assert ada.is_active and order.user == ada
    assert Address.objects.filter(pk=saved_address.pk).exists()


def test_an_account_is_closed_once(ada, delivered_order):
    from privacy.exceptions import DataRequestInvalid

    delivered_order(user=ada)
    stale = get_user_model().objects.get(pk=ada.pk)  # a second request, loaded before
    services.close_account(user=ada)
    with pytest.raises(DataRequestInvalid, match="already closed"):
        services.close_account(user=stale)
    assert DataRequest.objects.filter(status="completed").count() == 1


def test_stripe_events_about_the_persons_payments_forget_who_paid(ada, delivered_order):
    from payments.models import StripeEvent

    order = delivered_order(user=ada)
    Payment.objects.filter(order=order).update(gateway_reference="pi_ada_1")
    card = {"brand": "visa", "last4": "4242"}
    intent = StripeEvent.objects.create(event_id="evt_1", type="payment_intent.succeeded",
                                        object_id="pi_ada_1", payload={"data": {"object": {
                                            "id": "pi_ada_1", "amount": 5000,
                                            "receipt_email": "ada@example.com",
                                            "charges": {"data": [{"billing_details": {
                                                "name": "Ada Lovelace", "email": "ada@x.io"},
                                                "payment_method_details": {"card": card}}]}}}})
    charge = StripeEvent.objects.create(event_id="evt_2", type="charge.refunded",
                                        object_id="ch_9", payload={"data": {"object": {
                                            "id": "ch_9", "payment_intent": "pi_ada_1",
                                            "billing_details": {"name": "Ada Lovelace"}}}})
    someone_else = StripeEvent.objects.create(
        event_id="evt_3", type="charge.refunded", object_id="ch_10",
        payload={"data": {"object": {"id": "ch_10", "payment_intent": "pi_bob",
                                     "billing_details": {"name": "Bob"}}}})
    services.close_account(user=ada)
    intent.refresh_from_db()
    charge.refresh_from_db()
    someone_else.refresh_from_db()
    text = str(intent.payload) + str(charge.payload)
    assert "Ada" not in text and "ada@" not in text
    assert intent.payload["data"]["object"]["amount"] == 5000
    assert charge.payload["data"]["object"]["payment_intent"] == "pi_ada_1"
    assert someone_else.payload["data"]["object"]["billing_details"] == {"name": "Bob"}
