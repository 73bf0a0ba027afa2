"""No input a browser can send makes a page answer 500: every storefront form, every
query parameter the shop reads, ids in URLs, and every admin add form and changelist, given
numbers past what the database holds (2**31, 2**63, 10**30), negative numbers, "1e400",
"NaN", "Infinity", "½", NUL bytes and 10,000-character strings, answers 2xx/3xx/4xx with the
form's message. (The API's write endpoints: tests/security/test_api_input.py.)

DEBUG is off and the client does not re-raise, so the test sees what a visitor sees; a
failure lists every (method, url, field, value) that answered 5xx."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from orders import services as order_services
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    UserFactory,
    make_shipping,
    make_variant,
)

pytestmark = pytest.mark.django_db
NASTY = [str(2**31), str(2**63), str(10**30), "-1", "1e400", "NaN", "Infinity", "½", "\x00",
         "1\x00", "9" * 10_000, "x" * 10_000]
QUERY_PARAMETERS = ["page", "p", "q", "o", "sort", "price_min", "price_max", "min_price",
                    "max_price", "in_stock", "variant", "opt.Colour", "next", "start", "end",
                    "period", "days", "id", "id__exact", "pk", "_popup", "e"]


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.DEBUG = False
    settings.SHOP_RATE_LIMITS_ENABLED = False


@pytest.fixture
def shop_world():
    category = CategoryFactory(slug="mugs")
    product = ProductFactory(title="Mug", slug="mug", category=category)
    variant = make_variant(product, price="10.00", stock=50)
    make_shipping()
    return {"category": category, "product": product, "variant": variant}


def visitor(shop_world, *, with_cart: bool = True) -> Client:
    client = Client(raise_request_exception=False)
    if with_cart:
        client.post("/cart/add/", {"variant": shop_world["variant"].pk, "quantity": 1})
    return client


def five_hundreds(client: Client, method: str, url: str, payloads) -> list[tuple]:
    failures = []
    for field, value, data in payloads:
        response = getattr(client, method)(url, data)
        if response.status_code >= 500:
            failures.append((method, url, field, value[:20], response.status_code))
    return failures


def each_field(fields, base=None):
    for field in fields:
        for value in NASTY:
            yield field, value, {**(base or {}), field: value}
    for value in NASTY:
        yield "*", value, {**(base or {}), **dict.fromkeys(fields, value)}


def test_storefront_query_parameters_never_500(shop_world):
    client = visitor(shop_world)
    customer = UserFactory(email="ada@example.com")
    client.force_login(customer)
    pages = ["/", "/c/mugs/", "/p/mug/", "/search/", "/cart/", "/account/orders/",
             "/account/addresses/", "/account/login/", "/checkout/contact/",
             "/checkout/address/", "/checkout/shipping/", "/checkout/review/"]
    failures = []
    for page in pages:
        failures += five_hundreds(client, "get", page, each_field(QUERY_PARAMETERS))
    assert failures == []


def test_storefront_forms_never_500(shop_world):
    variant = shop_world["variant"]
    address = {"full_name": "Ada", "line1": "1 Main St", "city": "Springfield",
               "postal_code": "12345", "country": "US", "region": "IL", "phone": "555"}
    forms = [
        ("/cart/add/", ["variant", "quantity"], {"variant": variant.pk, "quantity": 1}),
        ("/cart/update/", ["variant", "quantity"], {"variant": variant.pk, "quantity": 1}),
        ("/cart/remove/", ["variant"], {}),
        ("/checkout/contact/", ["email"], {"email": "ada@example.com"}),
        ("/checkout/address/", [*address, "saved_address", "save_address"], address),
        ("/checkout/shipping/", ["method"], {}),
        ("/checkout/billing/", ["same_as_shipping", *(f"billing-{k}" for k in address)], {}),
        ("/checkout/voucher/", ["code", "action"], {}),
        ("/checkout/review/", ["checkout_token"], {}),
        ("/account/register/", ["first_name", "last_name", "email", "password1", "password2"],
         {}),
        ("/account/login/", ["email", "password", "next"], {}),
        ("/account/password-reset/", ["email"], {}),
        ("/contact/", ["name", "email", "order_number", "subject", "message", "website",
                       "started"], {}),
    ]
    failures = []
    for url, fields, base in forms:
        failures += five_hundreds(visitor(shop_world), "post", url, each_field(fields, base))
    assert failures == []


def test_account_forms_and_ids_in_urls_never_500(shop_world):
    client = visitor(shop_world)
    client.force_login(UserFactory(email="ada@example.com"))
    address_fields = ["full_name", "company", "line1", "line2", "city", "region",
                      "postal_code", "country", "phone", "is_default"]
    failures = five_hundreds(client, "post", "/account/addresses/new/",
                             each_field(address_fields))
    for pk in ("0", str(2**31), str(2**63), str(10**30)):
        for url in (f"/account/addresses/{pk}/edit/", f"/account/addresses/{pk}/delete/"):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code >= 500:
                    failures.append((method, url, response.status_code))
    for url in ("/account/orders/" + "9" * 20 + "/", "/account/orders/1/returns/RMA-"
                + "9" * 12 + "/label.pdf", "/orders/view/" + "x" * 5000 + "/"):
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(("get", url[:60], response.status_code))
    assert failures == []


def test_a_placed_order_pay_page_takes_any_input(shop_world):
    from tests.factories import ready_cart

    order = order_services.place_order(cart=ready_cart(variants={shop_world["variant"]: 1}))
    client = visitor(shop_world, with_cart=False)
    failures = five_hundreds(client, "post", f"/order/{order.token}/pay/",
                             each_field(["name", "number", "expiry", "cvc", "decision"]))
    assert failures == []


@pytest.fixture
def root():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def admin_models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_admin_changelists_and_object_urls_never_500(shop_world, root):
    failures = []
    for model, _ in admin_models():
        info = model._meta.app_label, model._meta.model_name
        try:
            changelist = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:  # a custom page (the dashboard), not a model's admin
            continue
        failures += five_hundreds(root, "get", changelist,
                                  each_field(["p", "q", "o", "id__exact", "pk", "e"]))
        for object_id in (str(2**31), str(2**63), "-1", "1e400", "½", "x" * 5000):
            try:
                url = reverse("admin:{}_{}_change".format(*info), args=[object_id])
            except NoReverseMatch:  # a read-only log without change pages
                break
            response = root.get(url)
            if response.status_code >= 500:
                failures.append(("get", url[:80], response.status_code))
    assert failures == []


def test_admin_add_forms_never_500(shop_world, root):
    failures = []
    for model, model_admin in admin_models():
        if not model_admin.has_add_permission(_request_for(root)):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        response = root.get(url)
        if response.status_code != 200 or "adminform" not in response.context:
            continue
        fields = list(response.context["adminform"].form.fields)
        for value in NASTY:
            data = dict.fromkeys(fields, value)
            for formset in response.context.get("inline_admin_formsets", []):
                prefix = formset.formset.prefix
                data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"})
                data.update({f"{prefix}-0-{name}": value
                             for name in formset.formset.form.base_fields})
            answer = root.post(url, data)
            if answer.status_code >= 500:
                failures.append(("post", url, "*", value[:20], answer.status_code))
    assert failures == []


def _request_for(client: Client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    return request


def test_stock_count_sheet_refuses_counts_past_the_column(shop_world, root):
    from inventory import services as inventory_services
    from inventory.models import StockLevel

    level = StockLevel.objects.get(variant=shop_world["variant"])
    count = inventory_services.start_count(warehouse_id=level.warehouse_id)
    line = count.lines.get()
    url = reverse("admin:inventory_stockcount_count", args=[count.pk])
    failures = five_hundreds(root, "post", url, (
        ("counted", value, {"enter": "1", f"counted-{line.pk}": value}) for value in NASTY))
    assert failures == []
    answer = root.post(url, {"enter": "1", f"counted-{line.pk}": str(2**31)})
    assert answer.status_code == 400 and b"between 0 and 2147483647" in answer.content
    level.refresh_from_db()
    assert level.on_hand == 50


def test_repair_buttons_take_any_key(root, shop_world):
    failures = []
    for url in ("admin:stockcheck_stockcheck_changelist",):
        base = reverse(url)
        repair = base + "repair/"
        failures += five_hundreds(root, "post", repair, each_field(["problem", "key"]))
    assert failures == []
