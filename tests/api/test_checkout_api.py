"""The headless checkout: cart, steps, order, payment and orders through the REST API."""

from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inventory.models import StockLevel
from orders.links import guest_order_signature
from orders.models import Cart, CartLine, Order, Voucher
from payments.models import Payment
from tests.factories import ADDRESS, ProductFactory, UserFactory, make_shipping, make_variant

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Field Jacket"), price="120.00", stock=5)


@pytest.fixture
def method():
    return make_shipping(price="8.00")


def new_cart(api):
    response = api.post("/api/carts/", format="json")
    assert response.status_code == 201
    return response.json()["token"]


def filled_cart(api, variant, method, quantity=1):
    token = new_cart(api)
    assert api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk,
                                                  "quantity": quantity}, format="json"
                    ).status_code == 201
    api.put(f"/api/carts/{token}/email/", {"email": "api@example.com"}, format="json")
    api.put(f"/api/carts/{token}/shipping-address/", ADDRESS, format="json")
    api.put(f"/api/carts/{token}/shipping-method/", {"shipping_method_id": method.pk},
            format="json")
    return token


def test_the_whole_headless_flow(api, variant, method):
    Voucher.objects.create(code="TEN", kind="fixed", value=Decimal("10"))
    token = new_cart(api)
    cart = api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 2},
                    format="json").json()
    assert cart["lines"][0]["unit_price"] == "120.00"
    assert cart["missing_steps"] == ["email", "address", "shipping"]
    api.put(f"/api/carts/{token}/email/", {"email": "api@example.com"}, format="json")
    cart = api.put(f"/api/carts/{token}/shipping-address/", ADDRESS, format="json").json()
    assert [o["id"] for o in cart["shipping_options"]] == [method.pk]
    api.put(f"/api/carts/{token}/shipping-method/", {"shipping_method_id": method.pk},
            format="json")
    api.put(f"/api/carts/{token}/billing-address/", {"same_as_shipping": True}, format="json")
    cart = api.put(f"/api/carts/{token}/voucher/", {"code": "ten"}, format="json").json()
    assert cart["totals"] == {"subtotal": "240.00", "discount": "10.00", "shipping": "8.00",
                              "tax": "0.00", "total": "238.00", "prices_include_tax": False}
    assert cart["missing_steps"] == []
    placed = api.post(f"/api/carts/{token}/order/", {"total": "0.01"}, format="json")
    assert placed.status_code == 201
    order = placed.json()
    assert order["total"] == "238.00" and order["payment_status"] == "unpaid"
    again = api.post(f"/api/carts/{token}/order/", format="json")
    assert again.status_code == 200 and again.json()["number"] == order["number"]
    paid = api.post(f"/api/orders/{order['token']}/payments/", {"card": CARD}, format="json")
    assert paid.status_code == 201
    body = paid.json()
    assert (body["state"], body["card_last4"], body["order_payment_status"]) == (
        "captured", "4242", "paid")
    assert "4242424242424242" not in paid.content.decode()
    # A guest reads the order with the signature from the emailed link only.
    assert api.get(f"/api/orders/{order['token']}/").status_code == 404
    signature = guest_order_signature(Order.objects.get())
    detail = api.get(f"/api/orders/{order['token']}/", {"signature": signature})
    assert detail.status_code == 200 and detail.json()["payment_status"] == "paid"


@pytest.mark.parametrize("quantity", ["abc", -1, 0, 1.5, 10**30, True, None, "", [1], {"a": 1}])
def test_bad_quantities_are_refused(api, variant, quantity):
    token = new_cart(api)
    response = api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk,
                                                      "quantity": quantity}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "cart_invalid"
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("variant_id", [999999, "abc", None, -5])
def test_unknown_variants_are_refused(api, variant_id):
    token = new_cart(api)
    response = api.post(f"/api/carts/{token}/lines/", {"variant_id": variant_id, "quantity": 1},
                        format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_variant"


def test_more_than_in_stock_adds_what_is_available_and_says_so(api, variant):
    token = new_cart(api)
    response = api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 6},
                        format="json")
    assert response.status_code == 201
    body = response.json()
    assert [line["quantity"] for line in body["lines"]] == [5]
    assert body["added"] == {
        "variant_id": variant.pk, "requested": 6, "added": 5,
        "message": "Only 5 more of Field Jacket were available, so we added 5 (not 6); "
                   "you have 5 in your cart."}


def test_the_409_for_not_enough_stock_says_how_many_are_left(api, variant):
    token = new_cart(api)
    api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 5},
             format="json")
    response = api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 1},
                        format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "Only 5 of Field Jacket left (you have 5 in your cart).",
                               "code": "out_of_stock"}
    other = new_cart(api)
    StockLevel.objects.filter(variant=variant).update(allocated=5)
    response = api.post(f"/api/carts/{other}/lines/", {"variant_id": variant.pk, "quantity": 1},
                        format="json")
    assert response.status_code == 409 and response.json()["code"] == "out_of_stock"
    assert response.json()["detail"] == "Field Jacket is out of stock."


def test_the_409_at_placement_names_the_line_and_what_is_left(api, variant, method):
    token = filled_cart(api, variant, method, quantity=5)
    StockLevel.objects.filter(variant=variant).update(allocated=1)
    response = api.post(f"/api/carts/{token}/order/", format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Not enough stock: only 4 of Field Jacket left (you asked for 5).",
        "code": "out_of_stock"}


def test_an_inactive_variant_is_refused_in_the_cart(api, variant):
    from catalog import services as catalog_services

    catalog_services.save_variant(product=variant.product, sku=variant.sku,
                                  price=variant.price, is_active=False)
    token = new_cart(api)
    response = api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 1},
                        format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Field Jacket is no longer sold.",
                               "code": "variant_unavailable"}
    assert not CartLine.objects.exists()


def test_a_variant_deactivated_after_adding_is_refused_at_placement(api, variant, method):
    from catalog import services as catalog_services

    token = filled_cart(api, variant, method)
    catalog_services.save_variant(product=variant.product, sku=variant.sku,
                                  price=variant.price, is_active=False)
    response = api.post(f"/api/carts/{token}/order/", format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "variant_unavailable"
    assert "No longer sold: Field Jacket" in response.json()["detail"]
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=variant).allocated == 0


def test_unknown_and_malformed_cart_tokens_are_404(api):
    assert api.get("/api/carts/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get("/api/carts/not-a-token/").status_code == 404


def test_address_errors_come_back_per_field(api, variant):
    token = new_cart(api)
    response = api.put(f"/api/carts/{token}/shipping-address/",
                       {**ADDRESS, "postal_code": "ABCDE", "city": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "address_invalid"
    assert set(body["errors"]) == {"postal_code", "city"}
    assert Cart.objects.get().shipping_address_id is None
    assert api.put(f"/api/carts/{token}/shipping-address/", ["not", "an", "object"],
                   format="json").status_code == 400


def test_expired_voucher_and_unknown_method_are_refused(api, variant, method):
    from datetime import timedelta

    from django.utils import timezone

    Voucher.objects.create(code="OLD", kind="percentage", value=10,
                           ends_at=timezone.now() - timedelta(days=1))
    token = filled_cart(api, variant, method)
    response = api.put(f"/api/carts/{token}/voucher/", {"code": "OLD"}, format="json")
    assert response.status_code == 400 and "expired" in response.json()["detail"]
    response = api.put(f"/api/carts/{token}/shipping-method/", {"shipping_method_id": 987654},
                       format="json")
    assert response.status_code == 400


def test_sold_out_at_placement_is_409_and_nothing_is_written(api, variant, method):
    token = filled_cart(api, variant, method, quantity=5)
    StockLevel.objects.filter(variant=variant).update(allocated=1)
    response = api.post(f"/api/carts/{token}/order/", format="json")
    assert response.status_code == 409 and response.json()["code"] == "out_of_stock"
    assert not Order.objects.exists()


def test_behind_the_shops_proxy_fraud_screening_sees_each_shoppers_ip(api, method,
                                                                       settings):
    """Every order comes in from the load balancer's address; screening must count orders
    by the shopper's address, or every shopper looks like the same one."""
    from payments import risk

    settings.SHOP_TRUSTED_PROXY_COUNT = 1
    variant = make_variant(ProductFactory(), price="10.00", stock=20)

    def order_from(ip, email):
        token = filled_cart(api, variant, method)
        api.put(f"/api/carts/{token}/email/", {"email": email}, format="json")
        response = api.post(f"/api/carts/{token}/order/", format="json",
                            HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ip}", REMOTE_ADDR="10.0.0.2")
        assert response.status_code == 201
        return Order.objects.get(number=response.json()["number"])

    for number in range(3):
        assert order_from("203.0.113.7", f"one{number}@example.com").customer_ip == \
            "203.0.113.7"
    other = order_from("198.51.100.4", "someone@example.com")
    assert other.customer_ip == "198.51.100.4"
    assert not any("last hour" in reason for reason in risk.assess(other)[1])
    fourth = order_from("203.0.113.7", "one3@example.com")
    assert "3 other orders from this email or IP address in the last hour" in \
        risk.assess(fourth)[1]


def test_incomplete_checkout_cannot_be_ordered(api, variant):
    token = new_cart(api)
    api.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 1},
             format="json")
    response = api.post(f"/api/carts/{token}/order/", format="json")
    assert response.status_code == 400 and response.json()["code"] == "email_missing"


def test_declined_card_and_authentication(api, variant, method):
    token = filled_cart(api, variant, method)
    order = api.post(f"/api/carts/{token}/order/", format="json").json()
    url = f"/api/orders/{order['token']}/payments/"
    declined = api.post(url, {"card": {**CARD, "number": "4000000000000002"}}, format="json")
    assert declined.status_code == 402 and "declined" in declined.json()["detail"]
    assert Order.objects.get().payment_status == "unpaid"
    bad = api.post(url, {"card": {**CARD, "exp_month": 13}}, format="json")
    assert bad.status_code == 400
    pending = api.post(url, {"card": {**CARD, "number": "4000002500003155"}}, format="json")
    assert pending.status_code == 202 and pending.json()["state"] == "requires_action"
    payment = pending.json()["token"]
    done = api.post(f"{url}{payment}/authenticate/", {"authenticated": True}, format="json")
    assert done.status_code == 200 and done.json()["order_payment_status"] == "paid"
    again = api.post(url, {"card": CARD}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_paid"


def test_customers_see_only_their_own_orders_and_carts(api, variant, method):
    owner, other = UserFactory(), UserFactory()
    api.force_authenticate(owner)
    token = filled_cart(api, variant, method)
    order = api.post(f"/api/carts/{token}/order/", format="json").json()
    assert [o["number"] for o in api.get("/api/orders/").json()["results"]] == [order["number"]]
    api.force_authenticate(other)
    assert api.get("/api/orders/").json()["results"] == []
    assert api.get(f"/api/orders/{order['token']}/").status_code == 404
    assert api.get(f"/api/carts/{token}/").status_code == 404
    assert api.post(f"/api/orders/{order['token']}/payments/", {"card": CARD},
                    format="json").status_code == 404
    assert not Payment.objects.exists()
    api.force_authenticate(None)
    assert api.get("/api/orders/").status_code in (401, 403)


def test_schema_documents_every_checkout_operation():
    from io import StringIO

    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    for path in ("/api/carts/", "/api/carts/{token}/", "/api/carts/{token}/lines/",
                 "/api/carts/{token}/lines/{variant_id}/", "/api/carts/{token}/email/",
                 "/api/carts/{token}/shipping-address/", "/api/carts/{token}/billing-address/",
                 "/api/carts/{token}/shipping-method/", "/api/carts/{token}/voucher/",
                 "/api/carts/{token}/order/", "/api/orders/", "/api/orders/{token}/",
                 "/api/orders/{order_token}/payments/",
                 "/api/orders/{order_token}/payments/{payment_token}/authenticate/"):
        assert path in schema["paths"], path
    pay = schema["paths"]["/api/orders/{order_token}/payments/"]["post"]["responses"]
    assert {"201", "202", "402", "404"} <= set(pay)


def count(api, url):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_cart_and_order_list_queries_do_not_grow(api, method):
    variants = [make_variant(ProductFactory(), stock=30) for _ in range(10)]
    token = new_cart(api)
    api.post(f"/api/carts/{token}/lines/", {"variant_id": variants[0].pk, "quantity": 1},
             format="json")
    one = count(api, f"/api/carts/{token}/")
    for v in variants[1:]:
        api.post(f"/api/carts/{token}/lines/", {"variant_id": v.pk, "quantity": 1},
                 format="json")
    assert count(api, f"/api/carts/{token}/") == one
    user = UserFactory()
    api.force_authenticate(user)
    tokens = []
    for _ in range(15):
        t = filled_cart(api, variants[0], method)
        api.post(f"/api/carts/{t}/order/", format="json")
        tokens.append(t)
        if len(tokens) == 1:
            single = count(api, "/api/orders/")
    assert count(api, "/api/orders/") == single
