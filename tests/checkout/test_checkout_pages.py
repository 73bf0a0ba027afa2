"""The cart, checkout steps, pay and confirmation pages, through the test client."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import Address, Cart, CartLine, Order, Voucher
from payments.models import Payment
from tests.factories import ADDRESS, ProductFactory, make_shipping, make_variant

pytestmark = pytest.mark.django_db

CARD = {"name": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/30",
        "cvc": "123"}


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Trail Mug"), price="18.00", stock=5,
                        weight_grams=350)


@pytest.fixture
def method():
    return make_shipping(price="5.00")


def add(client, variant, quantity=1):
    return client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": quantity})


def fill_checkout(client, method, email="ada@example.com"):
    assert client.post(reverse("checkout:contact"), {"email": email}).status_code == 302
    assert client.post(reverse("checkout:address"), ADDRESS).status_code == 302
    assert client.post(reverse("checkout:shipping"), {"method": method.pk}).status_code == 302
    assert client.post(reverse("checkout:billing"),
                       {"same_as_shipping": "on"}).status_code == 302


def place(client):
    cart = Cart.objects.get(status=Cart.Status.OPEN)
    return client.post(reverse("checkout:place"), {"checkout_token": str(cart.token)})


def test_guest_buys_from_product_page_to_confirmation(client, variant, method):
    response = add(client, variant, 2)
    assert response.status_code == 302
    page = client.get(reverse("checkout:cart"))
    assert page.status_code == 200
    assert b"Trail Mug" in page.content and b"$36.00" in page.content
    assert b"from $5.00" in page.content  # the shipping estimate
    assert client.get(reverse("storefront:home")).context["cart_quantity"]() == 2
    fill_checkout(client, method)
    review = client.get(reverse("checkout:review"))
    assert review.status_code == 200 and b"$41.00" in review.content
    response = place(client)
    order = Order.objects.get()
    assert response["Location"] == reverse("checkout:pay", args=[order.token])
    assert client.get(response["Location"]).status_code == 200
    response = client.post(reverse("checkout:pay", args=[order.token]), CARD)
    assert response["Location"] == reverse("checkout:confirmation", args=[order.token])
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert order.number.encode() in confirmation.content
    assert b"Visa \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 4242" in confirmation.content
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    # The cart is done: the header count is back to zero.
    assert client.get(reverse("storefront:home")).context["cart_quantity"]() == 0


def test_steps_out_of_order_redirect_to_the_missing_one(client, variant, method):
    add(client, variant)
    assert client.get(reverse("checkout:review"))["Location"] == reverse("checkout:contact")
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    assert client.get(reverse("checkout:shipping"))["Location"] == reverse("checkout:address")
    assert client.get(reverse("checkout:start"))["Location"] == reverse("checkout:address")


def test_empty_cart_checkout_goes_back_to_the_cart(client):
    assert client.get(reverse("checkout:contact"))["Location"] == reverse("checkout:cart")
    assert b"Your cart is empty" in client.get(reverse("checkout:cart")).content


@pytest.mark.parametrize("quantity,status,message", [
    ("abc", 400, b"whole number"), ("-1", 400, b"at least 1"), ("0", 400, b"at least 1"),
    ("1.5", 400, b"whole number"), (str(10**30), 400, b"at most 99"),
    ("6", 409, b"Only 5 of"),
])
def test_bad_quantities_on_add_get_a_message_and_nothing_is_written(client, variant, quantity,
                                                                      status, message):
    response = add(client, variant, quantity)
    assert response.status_code == status
    assert message in response.content
    assert not CartLine.objects.exists()


def test_unknown_inactive_and_unpublished_variants_are_refused(client, variant):
    inactive = make_variant(variant.product, stock=3, is_active=False)
    hidden = make_variant(ProductFactory(is_published=False), stock=3)
    for variant_id, message in [(999999, b"doesn&#x27;t exist"), ("x", b"doesn&#x27;t exist"),
                                (inactive.pk, b"no longer sold"), (hidden.pk, b"no longer sold")]:
        response = client.post(reverse("checkout:add"), {"variant": variant_id, "quantity": 1})
        assert response.status_code == 400
        assert message in response.content
    assert not CartLine.objects.exists()


def test_update_and_remove_lines(client, variant):
    add(client, variant, 2)
    client.post(reverse("checkout:update"), {"variant": variant.pk, "quantity": 4})
    assert CartLine.objects.get().quantity == 4
    response = client.post(reverse("checkout:update"), {"variant": variant.pk, "quantity": 9})
    assert response.status_code == 409
    assert CartLine.objects.get().quantity == 4
    client.post(reverse("checkout:remove"), {"variant": variant.pk})
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("email", ["", "nope", "a@b", "x" * 260 + "@example.com"])
def test_bad_email_shows_the_error_by_the_field(client, variant, email):
    add(client, variant)
    response = client.post(reverse("checkout:contact"), {"email": email})
    assert response.status_code == 400
    assert b'class="field-error"' in response.content
    assert Cart.objects.get().email == ""


@pytest.mark.parametrize("changes,field", [
    ({"postal_code": "ABC"}, "postal_code"), ({"first_name": ""}, "first_name"),
    ({"line1": ""}, "line1"), ({"city": ""}, "city"), ({"country": "ZZ"}, "country"),
    ({"phone": "call me"}, "phone"), ({"city": "A\x00B"}, "city"),
])
def test_malformed_addresses_are_refused_field_by_field(client, variant, changes, field):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    response = client.post(reverse("checkout:address"), {**ADDRESS, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Address.objects.exists()


def test_unknown_shipping_method_is_refused(client, variant, method):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    client.post(reverse("checkout:address"), ADDRESS)
    for bad in ("999999", "abc", ""):
        response = client.post(reverse("checkout:shipping"), {"method": bad})
        assert response.status_code == 400
        assert b"Choose one of the shipping methods" in response.content
    assert Cart.objects.get().shipping_method_id is None


def test_voucher_apply_bad_codes_and_remove(client, variant, method):
    Voucher.objects.create(code="SAVE10", kind="percentage", value=10)
    Voucher.objects.create(code="GONE", kind="fixed", value=5, usage_limit=1)
    Voucher.objects.filter(code="GONE").update(used_count=1)
    add(client, variant)
    fill_checkout(client, method)
    for code, message in [("BOGUS", b"not valid"), ("gone", b"fully used")]:
        response = client.post(reverse("checkout:voucher"), {"code": code, "action": "apply"})
        assert response.status_code == 400 and message in response.content
    client.post(reverse("checkout:voucher"), {"code": "save10", "action": "apply"})
    review = client.get(reverse("checkout:review"))
    assert b"\xe2\x88\x92$1.80" in review.content
    client.post(reverse("checkout:voucher"), {"action": "remove"})
    assert Cart.objects.get().voucher_id is None


def test_prices_sent_by_the_browser_are_ignored(client, variant, method):
    client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 1, "price": "0.01"})
    fill_checkout(client, method)
    cart = Cart.objects.get()
    client.post(reverse("checkout:place"), {"checkout_token": str(cart.token), "total": "0.01",
                                            "subtotal": "0"})
    assert Order.objects.get().total == Decimal("23.00")


def test_double_submit_gives_one_order(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    token = str(Cart.objects.get().token)
    first = client.post(reverse("checkout:place"), {"checkout_token": token})
    second = client.post(reverse("checkout:place"), {"checkout_token": token})
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert StockLevel.objects.get(variant=variant).allocated == 1


def test_stock_gone_before_placing_shows_the_reason(client, variant, method):
    add(client, variant, 5)
    fill_checkout(client, method)
    StockLevel.objects.filter(variant=variant).update(allocated=3)
    response = place(client)
    assert response.status_code == 409
    assert b"only 2 of Trail Mug" in response.content
    assert not Order.objects.exists()


def placed_order(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    place(client)
    return Order.objects.get()


@pytest.mark.parametrize("number,message", [
    ("4000 0000 0000 0002", b"Your card was declined."),
    ("4000 0000 0000 9995", b"insufficient funds"),
])
def test_declined_card_shows_the_reason_and_lets_the_shopper_retry(client, variant, method,
                                                                    number, message):
    order = placed_order(client, variant, method)
    response = client.post(reverse("checkout:pay", args=[order.token]), {**CARD, "number": number})
    assert response.status_code == 402
    assert message in response.content
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert StockLevel.objects.get(variant=variant).allocated == 1
    response = client.post(reverse("checkout:pay", args=[order.token]), CARD)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


@pytest.mark.parametrize("changes,field", [
    ({"number": "1234"}, "number"), ({"expiry": "13/30"}, "expiry"), ({"expiry": "soon"}, "expiry"),
    ({"cvc": "12a"}, "cvc"), ({"name": ""}, "name"),
])
def test_malformed_card_details_are_refused_before_the_gateway(client, variant, method,
                                                               changes, field):
    order = placed_order(client, variant, method)
    response = client.post(reverse("checkout:pay", args=[order.token]), {**CARD, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Payment.objects.exists()


def test_authentication_step_complete_and_fail(client, variant, method):
    order = placed_order(client, variant, method)
    response = client.post(reverse("checkout:pay", args=[order.token]),
                           {**CARD, "number": "4000 0025 0000 3155"})
    payment = Payment.objects.get()
    assert response["Location"] == reverse("checkout:authenticate", args=[order.token,
                                                                          payment.token])
    page = client.get(response["Location"])
    assert b"Complete authentication" in page.content
    failed = client.post(response["Location"], {"decision": "fail"})
    assert failed.status_code == 402 and b"unable to authenticate" in failed.content
    client.post(reverse("checkout:pay", args=[order.token]),
                {**CARD, "number": "4000 0025 0000 3155"})
    payment = Payment.objects.get(state=Payment.State.REQUIRES_ACTION)
    done = client.post(reverse("checkout:authenticate", args=[order.token, payment.token]),
                       {"decision": "complete"})
    assert done["Location"] == reverse("checkout:confirmation", args=[order.token])
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_another_browser_cannot_see_or_pay_the_order(client, variant, method):
    order = placed_order(client, variant, method)
    stranger = Client()
    for name in ("checkout:pay", "checkout:confirmation"):
        assert stranger.get(reverse(name, args=[order.token])).status_code == 404
    assert stranger.post(reverse("checkout:pay", args=[order.token]), CARD).status_code == 404
    assert not Payment.objects.exists()


def test_canceled_order_cannot_be_paid(client, variant, method):
    from orders.services import cancel_order

    order = placed_order(client, variant, method)
    cancel_order(order_id=order.pk)
    response = client.get(reverse("checkout:pay", args=[order.token]))
    assert response.status_code == 409 and b"canceled" in response.content


def test_stripe_pay_page_mounts_the_payment_element(client, variant, method, settings):
    order = placed_order(client, variant, method)
    Payment.objects.create(order=order, gateway="stripe", amount=order.total,
                           currency=order.currency, gateway_reference="pi_123",
                           client_secret="pi_123_secret_abc")
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_abc"
    page = client.get(reverse("checkout:pay", args=[order.token]))
    assert page.status_code == 200
    assert b'data-client-secret="pi_123_secret_abc"' in page.content
    assert b'data-publishable-key="pk_test_abc"' in page.content
    assert b"https://js.stripe.com/v3/" in page.content


def test_cart_and_review_pages_have_a_fixed_number_of_queries(client, method):
    variants = [make_variant(ProductFactory(), stock=5) for _ in range(10)]
    add(client, variants[0])
    fill_checkout(client, method)
    counts = {}
    for lines in (1, 10):
        for v in variants[1:lines]:
            if not CartLine.objects.filter(variant=v).exists():
                add(client, v)
        for name in ("checkout:cart", "checkout:review"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name)).status_code == 200
            counts[(name, lines)] = len(queries)
    assert counts[("checkout:cart", 1)] == counts[("checkout:cart", 10)]
    assert counts[("checkout:review", 1)] == counts[("checkout:review", 10)]
    # session, cart, lines (2), image prefetch, availability, address, zones, methods,
    # tiers, tax rates, header count, category tree; the review page also checks the cart
    # has lines.
    assert counts[("checkout:cart", 1)] == 12
    assert counts[("checkout:review", 1)] == 13


def test_an_empty_post_shows_what_is_required(client, variant):
    add(client, variant)
    response = client.post(reverse("checkout:contact"), {})
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
