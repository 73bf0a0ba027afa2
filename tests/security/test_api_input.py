"""No input makes the API answer 500: every write endpoint, given a document nested too
deep, the wrong shape (a list or a string for an object, text for numbers), numbers past
what the database holds or a NUL character, answers 4xx (or, where the body is ignored, as
usual), never a RecursionError or an overflow."""

import uuid

import pytest
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from inventory import services as inventory_services
from inventory.models import Supplier
from orders import services as order_services
from shop.api import urls as api_urls
from shop.api.parsers import MAX_DEPTH, deeper_than
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
WRITES = ("post", "put", "patch", "delete")
DEEP = "[" * 3000
WRONG_SHAPES = [
    "[]", "[1, 2]", '"text"', "123", "null", "true",
    '{"quantity": "lots", "variant_id": "x", "lines": "x", "email": 5, "code": ["x"],'
    ' "marketing_consent": "maybe",'
    ' "shipping_method_id": "abc", "same_as_shipping": "maybe", "supplier": "x",'
    ' "warehouse": {}, "card": [], "address": "here", "allow_over_receipt": "perhaps"}',
    '{"lines": [{"sku": "X", "quantity": "ten"}], "card": {"exp_month": "soon"}}',
    '{"lines": {"sku": "X"}, "address": [], "card": "4242"}',
    f'{{"variant_id": {2**70}, "quantity": {2**70}, "shipping_method_id": {2**70},'
    f' "supplier": {2**70}, "lines": [{{"sku": "X", "quantity": {2**70}}}]}}',
    '{"email": "a\\u0000@example.com", "code": "\\u0000", "address": {"city": "\\u0000"}}',
    '{"quantity": 1e400, "variant_id": -1}',
    '{"quantity": NaN}',
    # An address whose country is not text, alone and as the billing address.
    '{"first_name": "A", "last_name": "L", "line1": "1 Main", "city": "X", "region": "IL",'
    ' "postal_code": "62701", "country": true, "same_as_shipping": false,'
    ' "address": {"first_name": "A", "last_name": "L", "line1": "1", "city": "X",'
    ' "region": "IL", "postal_code": "62701", "country": [1]}}',
    '{"first_name": "A", "last_name": "L", "line1": "1 Main", "city": "X", "region": "IL",'
    ' "postal_code": "62701", "country": {"a": 1}, "same_as_shipping": false,'
    ' "address": {"first_name": "A", "last_name": "L", "line1": "1", "city": "X",'
    ' "region": "IL", "postal_code": "62701", "country": 1}}',
]
# Lone surrogate escapes: JSON text, but a string that is not text (no UTF-8, no column).
SURROGATES = (
    '{"first_name": "\\udfff", "last_name": "L", "company": "\\ud800", "line1": "1 Main",'
    ' "city": "X", "region": "IL", "postal_code": "62701", "country": "US",'
    ' "code": "\\ud800", "email": "a\\ud800@example.com", "variant_id": 1, "quantity": 1,'
    ' "same_as_shipping": false, "address": {"first_name": "A", "last_name": "L",'
    ' "line1": "\\udfff", "city": "X", "region": "IL", "postal_code": "62701",'
    ' "country": "US"}, "\\ud800": 1}'
)


@pytest.fixture
def world(settings):
    settings.SHOP_RATE_LIMITS_ENABLED = False
    variant = make_variant(ProductFactory(), price="10.00", stock=50)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    warehouse = WarehouseFactory(code="north")
    supplier = Supplier.objects.create(name="Acme")
    purchase_order = inventory_services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=warehouse.pk,
        lines=[inventory_services.LineRequest(variant_id=variant.pk, quantity=3,
                                              unit_cost=1)])
    client = APIClient()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    cart = client.post("/api/carts/", {}, format="json").json()["token"]
    client.post(f"/api/carts/{cart}/lines/", {"variant_id": variant.pk, "quantity": 1},
                format="json")
    return client, {"token": cart, "variant_id": variant.pk, "order_token": order.token,
                    "payment_token": uuid.uuid4(), "pk": purchase_order.pk}


def write_endpoints(params):
    """(method, url) for every write the API routes."""
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        methods = [method for method in WRITES if hasattr(pattern.callback.cls, method)]
        if methods:
            url = reverse(f"api:{pattern.name}", kwargs={
                name: params[name] for name in pattern.pattern.converters})
            for method in methods:
                yield method, url


def send(client, method, url, body: str):
    return getattr(client, method)(url, body, content_type="application/json")


def test_the_depth_scan_skips_strings_and_counts_both_brackets():
    assert not deeper_than('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 3)
    assert deeper_than('{"a": [{"b": [1]}]}', 3)
    assert not deeper_than('{"a": [{"b": 1}], "c": [[1]]}', 3)
    assert not deeper_than('"\\"[[[[" ', 1)
    assert deeper_than("[" * (MAX_DEPTH + 1), MAX_DEPTH)


def test_deeply_nested_json_is_a_400_on_every_write_endpoint(world):
    client, params = world
    endpoints = list(write_endpoints(params))
    assert len(endpoints) >= 15
    refused = []
    for method, url in endpoints:
        response = send(client, method, url, DEEP)
        assert response.status_code < 500, (method, url)
        if response.status_code == 400 and "nested" in response.json()["detail"]:
            assert response.json()["code"] == "parse_error"
            refused.append((method, url))
    # Every write that reads a body refused it (the send and delete endpoints read none).
    for must in ("/lines/", "/email/", "/shipping-address/", "/voucher/", "/payments/",
                 "/purchase-orders/", "/receipts/"):
        assert any(url.endswith(must) and method in ("post", "put") for method, url in refused), \
            must


def test_a_shallow_document_still_parses(world):
    client, params = world
    nested_ok = '{"lines": [{"sku": "X", "quantity": 1}], "supplier": 1, "warehouse": "north"}'
    response = send(client, "post", "/api/purchase-orders/", nested_ok)
    assert response.status_code == 400 and "nested" not in str(response.json())


def test_a_body_in_an_unknown_charset_or_not_in_its_charset_is_no_500(world):
    client, params = world
    response = client.put(f"/api/carts/{params['token']}/email/", b'{"email": "a@b.co"}',
                          content_type="application/json; charset=nonsense-8")
    assert response.status_code < 500
    response = client.put(f"/api/carts/{params['token']}/email/", b'{"email": "\xff"}',
                          content_type="application/json")
    assert response.status_code == 400


def test_a_lone_surrogate_is_a_400_on_every_write_endpoint_that_reads_a_body(world):
    client, params = world
    refused = []
    for method, url in write_endpoints(params):
        response = send(client, method, url, SURROGATES)
        assert response.status_code < 500, (method, url)
        if response.status_code == 400 and "surrogate" in response.json()["detail"]:
            assert response.json()["code"] == "parse_error"
            refused.append((method, url))
    for must in ("/lines/", "/email/", "/shipping-address/", "/billing-address/",
                 "/voucher/", "/payments/", "/purchase-orders/"):
        assert any(url.endswith(must) and method in ("post", "put") for method, url in refused), \
            must
    # A surrogate pair is one character (an emoji): still taken.
    response = send(client, "put", f"/api/carts/{params['token']}/shipping-address/",
                    '{"first_name": "\\ud83d\\ude00", "last_name": "L", "line1": "1 Main",'
                    ' "city": "Springfield", "region": "IL", "postal_code": "62701",'
                    ' "country": "US"}')
    assert response.status_code == 200, response.json()


def test_an_address_whose_country_is_not_text_is_a_400_naming_the_country(world):
    client, params = world
    for country in ("true", "1", "[1]", '{"a": 1}'):
        address = ('{"first_name": "A", "last_name": "L", "line1": "1 Main", "city": "X",'
                   f' "region": "IL", "postal_code": "62701", "country": {country}}}')
        response = send(client, "put", f"/api/carts/{params['token']}/shipping-address/",
                        address)
        assert response.status_code == 400, country
        assert "country" in str(response.json()), response.json()
        response = send(client, "put", f"/api/carts/{params['token']}/billing-address/",
                        f'{{"same_as_shipping": false, "address": {address}}}')
        assert response.status_code == 400, country


@pytest.mark.parametrize("body", WRONG_SHAPES)
def test_wrong_shapes_are_4xx_on_every_write_endpoint(world, body):
    client, params = world
    for method, url in write_endpoints(params):
        response = send(client, method, url, body)
        assert response.status_code < 500, (method, url, body)
        if response.status_code >= 400:
            assert "detail" in response.json() or response.json(), (method, url)


@pytest.mark.parametrize("variant_id", [2**31, 2**63, 10**30])
def test_out_of_range_ids_in_the_path_are_4xx(world, variant_id):
    client, params = world
    url = f"/api/carts/{params['token']}/lines/{variant_id}/"
    assert client.patch(url, {"quantity": 1}, format="json").status_code in (400, 404)
    assert client.delete(url).status_code in (204, 400, 404)
    assert client.get(f"/api/purchase-orders/{variant_id}/").status_code == 404
