"""Paying for a placed order (offline test gateway and Stripe), the bank's authentication
page and the thank-you page, through the test client."""

import logging
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import Order, OrderEvent
from payments.gateways.base import GatewayError
from payments.gateways.offline import OfflineGateway
from payments.models import GatewayCall, Payment
from tests.factories import UserFactory

from .flow import CARD, add, fill_checkout, place, placed_order, row_counts

pytestmark = pytest.mark.django_db


def pay_url(order):
    return reverse("checkout:pay", args=[order.token])


def thanks_url(order):
    return reverse("checkout:confirmation", args=[order.token])


def test_a_guest_buys_from_the_product_page_to_the_thank_you_page(client, variant, method):
    assert add(client, variant, 2)["Location"] == reverse("checkout:cart")
    cart_page = client.get(reverse("checkout:cart")).content.decode()
    assert "Added 2 × Trail Mug — Blue to your cart." in cart_page
    assert client.get(reverse("checkout:start")).context["missing"][0] == "email"
    fill_checkout(client, method)
    review = client.get(reverse("checkout:review"))
    assert review.status_code == 200 and "$41.00" in review.content.decode()
    response = place(client)
    order = Order.objects.get()
    assert response["Location"] == pay_url(order)

    pay_page = client.get(pay_url(order))
    html = pay_page.content.decode()
    assert pay_page.status_code == 200 and f"Pay for order {order.number}" in html
    for test_card in ("4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0000 0000 9995",
                      "4000 0025 0000 3155"):
        assert test_card in html
    response = client.post(pay_url(order), CARD)
    assert response["Location"] == thanks_url(order)

    thanks = client.get(thanks_url(order))
    html = thanks.content.decode()
    assert thanks.status_code == 200
    assert "Order confirmed" in html and order.number in html
    assert "ada@example.com" in html
    assert "2 × Trail Mug" in html and "$36.00" in html and "$41.00" in html
    assert "<dt>Tax</dt>" in html and "12 Analytical Row" in html
    assert "Standard" in html and order.delivery_earliest.strftime("%b") in html
    assert "Visa •••• 4242" in html
    assert "We&#x27;ve emailed you a private link to follow this order." in html or \
        "We've emailed you a private link to follow this order." in html
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_a_customer_is_pointed_to_the_order_in_their_account(client, variant, method):
    user = UserFactory()
    client.force_login(user)
    order = placed_order(client, variant, method)
    client.post(pay_url(order), CARD)
    html = client.get(thanks_url(order)).content.decode()
    assert f'href="{reverse("account:order", args=[order.number])}"' in html
    assert "private link" not in html


def test_a_customer_reaches_their_order_from_another_browser_once_logged_in(client, variant,
                                                                           method):
    user = UserFactory()
    client.force_login(user)
    order = placed_order(client, variant, method)
    other_browser = Client()
    other_browser.force_login(user)
    assert other_browser.get(pay_url(order)).status_code == 200


@pytest.mark.parametrize("number,message", [
    ("4000 0000 0000 0002", "Your card was declined."),
    ("4000 0000 0000 9995", "Your card has insufficient funds."),
])
def test_a_declined_card_shows_the_reason_and_the_shopper_can_retry(client, variant, method,
                                                                    number, message):
    order = placed_order(client, variant, method)
    response = client.post(pay_url(order), {**CARD, "number": number})
    assert response.status_code == 402
    html = response.content.decode()
    assert "Payment declined." in html and message in html and "declined" in html
    assert f'value="{number}"' not in html  # a fresh form for the next card
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert StockLevel.objects.get(variant=variant).allocated == 1  # still held
    response = client.post(pay_url(order), CARD)
    assert response["Location"] == thanks_url(order)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


@pytest.mark.parametrize("changes,field", [
    ({"number": "1234"}, "number"), ({"number": "4242 4242 4242 424x"}, "number"),
    ({"number": ""}, "number"), ({"expiry": "13/30"}, "expiry"), ({"expiry": "soon"}, "expiry"),
    ({"expiry": ""}, "expiry"), ({"cvc": "12a"}, "cvc"), ({"cvc": ""}, "cvc"),
    ({"name": ""}, "name"),
])
def test_malformed_card_details_are_refused_before_the_gateway(client, variant, method,
                                                               changes, field):
    order = placed_order(client, variant, method)
    before = row_counts()
    response = client.post(pay_url(order), {**CARD, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="field-error"' in response.content.decode()
    assert row_counts() == before


def test_the_card_form_is_labelled_and_tells_browsers_what_each_field_is(client, variant,
                                                                        method):
    order = placed_order(client, variant, method)
    html = client.get(pay_url(order)).content.decode()
    for field, autocomplete in [("name", "cc-name"), ("number", "cc-number"),
                                ("expiry", "cc-exp"), ("cvc", "cc-csc")]:
        assert f'<label for="id_{field}">' in html
        assert f'autocomplete="{autocomplete}"' in html
    assert html.count('inputmode="numeric"') == 3


def test_card_details_are_never_stored_logged_or_cached(client, variant, method, caplog):
    order = placed_order(client, variant, method)
    with caplog.at_level(logging.DEBUG):
        response = client.post(pay_url(order), {**CARD, "number": "4000 0000 0000 0002",
                                                "cvc": "987"})
        client.post(pay_url(order), {**CARD, "cvc": "987"})
    assert "no-store" in response["Cache-Control"]
    stored = " ".join(str(row) for model in (Payment, GatewayCall, OrderEvent, Order)
                      for row in model.objects.values())
    stored += " ".join(str(session.get_decoded()) for session in Session.objects.all())
    for secret in ("4000000000000002", "4242424242424242", "4242 4242"):
        assert secret not in stored
        assert secret not in caplog.text
    assert "cvc" not in stored.lower()
    assert Payment.objects.filter(card_last4="4242").exists()


def test_authentication_can_be_completed(client, variant, method):
    order = placed_order(client, variant, method)
    response = client.post(pay_url(order), {**CARD, "number": "4000 0025 0000 3155"})
    payment = Payment.objects.get()
    challenge = reverse("checkout:authenticate", args=[order.token, payment.token])
    assert response["Location"] == challenge
    page = client.get(challenge)
    html = page.content.decode()
    assert "Confirm your payment" in html and "$23.00" in html
    assert "Complete authentication" in html and "Fail authentication" in html
    done = client.post(challenge, {"decision": "complete"})
    assert done["Location"] == thanks_url(order)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    # The page is done with: coming back to it leads to the pay page, which says "paid".
    assert client.get(challenge)["Location"] == pay_url(order)


def test_failed_authentication_goes_back_to_pay_with_the_reason(client, variant, method):
    order = placed_order(client, variant, method)
    client.post(pay_url(order), {**CARD, "number": "4000 0025 0000 3155"})
    payment = Payment.objects.get()
    failed = client.post(reverse("checkout:authenticate", args=[order.token, payment.token]),
                         {"decision": "fail"})
    assert failed["Location"] == pay_url(order)
    page = client.get(pay_url(order)).content.decode()
    assert "Payment declined: We were unable to authenticate your payment method." in page
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert client.post(pay_url(order), CARD)["Location"] == thanks_url(order)


def test_an_unknown_authentication_page_is_a_404(client, variant, method):
    order = placed_order(client, variant, method)
    url = reverse("checkout:authenticate", args=[order.token,
                                                 "0b3c3a54-5d3e-4a43-9d8e-1b1b7e0d6a11"])
    assert client.get(url).status_code == 404


def test_a_gateway_that_does_not_answer_is_a_503_with_the_message(client, variant, method,
                                                                   monkeypatch):
    order = placed_order(client, variant, method)

    def unreachable(self, **kwargs):
        raise GatewayError("connection refused")

    monkeypatch.setattr(OfflineGateway, "authorize", unreachable)
    response = client.post(pay_url(order), CARD)
    assert response.status_code == 503
    assert "The payment service is not answering." in response.content.decode()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID


def test_another_browser_cannot_see_or_pay_the_order(client, variant, method):
    order = placed_order(client, variant, method)
    client.post(pay_url(order), {**CARD, "number": "4000 0025 0000 3155"})
    payment = Payment.objects.get()
    stranger = Client()
    stranger.force_login(UserFactory())
    for browser in (Client(), stranger):
        for url in (pay_url(order), thanks_url(order),
                    reverse("checkout:authenticate", args=[order.token, payment.token]),
                    reverse("checkout:stripe_return", args=[order.token])):
            assert browser.get(url).status_code == 404, url
        before = row_counts()
        assert browser.post(pay_url(order), CARD).status_code == 404
        assert browser.post(reverse("checkout:authenticate", args=[order.token, payment.token]),
                            {"decision": "complete"}).status_code == 404
        assert row_counts() == before


def test_a_paid_order_goes_from_pay_to_the_thank_you_page(client, variant, method):
    order = placed_order(client, variant, method)
    client.post(pay_url(order), CARD)
    assert client.get(pay_url(order))["Location"] == thanks_url(order)
    before = row_counts()
    assert client.post(pay_url(order), CARD)["Location"] == thanks_url(order)
    assert row_counts() == before


def test_an_unpaid_order_goes_from_the_thank_you_page_to_pay(client, variant, method):
    order = placed_order(client, variant, method)
    assert client.get(thanks_url(order))["Location"] == pay_url(order)


def test_a_canceled_order_cannot_be_paid(client, variant, method):
    from orders.services import cancel_order

    order = placed_order(client, variant, method)
    cancel_order(order_id=order.pk)
    before = row_counts()
    for response in (client.get(pay_url(order)), client.post(pay_url(order), CARD),
                     client.get(thanks_url(order))):
        assert response.status_code == 409
        assert f"Order {order.number} was canceled" in response.content.decode()
    assert row_counts() == before


# --- Stripe ---------------------------------------------------------------------------------

def test_the_stripe_pay_page_mounts_the_payment_element(client, variant, method, settings):
    order = placed_order(client, variant, method)
    Payment.objects.create(order=order, gateway="stripe", amount=order.total,
                           currency=order.currency, gateway_reference="pi_123",
                           client_secret="pi_123_secret_abc")
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_abc"
    page = client.get(pay_url(order))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-client-secret="pi_123_secret_abc"' in html
    assert 'data-publishable-key="pk_test_abc"' in html
    return_url = "http://testserver" + reverse("checkout:stripe_return", args=[order.token])
    assert f'data-return-url="{return_url}"' in html
    assert '<script src="https://js.stripe.com/v3/"' in html and "js/stripe-pay.js" in html
    assert 'name="number"' not in html and "<script>" not in html
    assert Payment.objects.count() == 1  # the pending intent serves every visit


def test_the_offline_pay_page_loads_nothing_from_stripe(client, variant, method):
    order = placed_order(client, variant, method)
    assert "js.stripe.com" not in client.get(pay_url(order)).content.decode()


def test_stripe_return_confirms_a_succeeded_payment(client, variant, method, stripe_fake):
    order = placed_order(client, variant, method)
    assert client.get(pay_url(order)).status_code == 200
    payment = Payment.objects.get()
    assert payment.client_secret and payment.amount == Decimal("23.00")
    stripe_fake.succeed(payment.gateway_reference)
    response = client.get(reverse("checkout:stripe_return", args=[order.token]))
    assert response["Location"] == thanks_url(order)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_stripe_return_after_a_decline_goes_back_to_pay_with_the_error(client, variant,
                                                                       method, stripe_fake):
    order = placed_order(client, variant, method)
    client.get(pay_url(order))
    payment = Payment.objects.get()
    stripe_fake.fail(payment.gateway_reference, "Your card was declined.")
    response = client.get(reverse("checkout:stripe_return", args=[order.token]))
    assert response["Location"] == pay_url(order)
    assert "Your card was declined." in client.get(pay_url(order)).content.decode()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
