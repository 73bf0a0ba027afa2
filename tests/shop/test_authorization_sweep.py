"""Authorization sweep over the whole URLconf.

Every URL is enumerated from the resolver. Each one that shows or changes an order, a
return, an address, a payment or a shipment has a rule here saying how to aim it at
another customer's data; a URL with no rule fails ``test_every_url_has_a_rule``, so a new
view can't ship without being swept. For each, another shopper, an anonymous visitor and
a staff member with no role get 403/404 (or are sent to a login page, or a 400 for an
unsigned webhook) and the response carries none of the victim's data. The owner gets the
page, which proves each URL really points at the victim's data. The admin is swept whole:
every admin URL, for every model, with the victim's objects as ids.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import signing
from django.urls import URLPattern, URLResolver, get_resolver

from fulfillment.links import tracking_signature
from fulfillment.models import Shipment
from orders import services as order_services
from orders.links import guest_order_signature
from orders.models import Address, Cart
from payments.models import Payment
from returns import services as return_services
from returns import tasks as return_tasks
from returns.models import ReturnRequest
from tests.factories import ADDRESS, UserFactory, ready_cart
from tests.returns import conftest as returns_fixtures
from tests.returns.conftest import ask

warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def routes() -> list[tuple[str, str]]:
    """(name, route) for every URL pattern, namespaced like ``reverse`` wants them."""
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                name = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), name)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append((name or prefix + str(entry.pattern), prefix + str(entry.pattern)))

    walk(get_resolver().url_patterns, "/", None)
    return found


@dataclass
class Victim:
    user: object
    order: object
    address: Address
    payment: Payment
    shipment: Shipment
    rma: ReturnRequest
    cart: Cart
    secrets: list[str] = field(default_factory=list)


@pytest.fixture
def victim(delivered_order, catalog) -> Victim:
    user = UserFactory(username="victim", email="victim.private@example.com",
                       password=PASSWORD)
    order = delivered_order(user=user, email=user.email, shirts=2, mugs=1)
    rma = ask(order)
    return_services.approve_return(return_id=rma.pk, method="label")
    return_tasks.issue_return_label(rma.pk)  # the after-commit task, run here
    rma.refresh_from_db()
    address = order_services.save_address(user=user, data={
        **ADDRESS, "line1": "77 Secret Garden Lane", "phone": "+1 503 555 0199"})
    cart = ready_cart(variants={catalog["mug"]: 1}, user=user, email=user.email,
                      address={**ADDRESS, "line1": "77 Secret Garden Lane"})
    shipment = order.shipments.get()
    payment = order.payments.get()
    secrets = [user.email, "77 Secret Garden Lane", "555 0199", order.number, str(order.token),
               shipment.number, shipment.tracking_number, rma.number, str(payment.token),
               str(cart.token)]
    return Victim(user, order, address, payment, shipment, rma, cart,
                  [s for s in secrets if s])


# --- Rules ----------------------------------------------------------------------------------
# PUBLIC: shows or changes none of those things (or only the visitor's own session cart).
PUBLIC = {
    "storefront:home", "storefront:category", "storefront:product", "storefront:search",
    "storefront:page",  # the footer pages staff write (contact, shipping, returns...)
    "checkout:cart", "checkout:add", "checkout:update", "checkout:remove", "checkout:start",
    "checkout:contact", "checkout:address", "checkout:shipping", "checkout:billing",
    "checkout:review", "checkout:voucher",  # the session's own cart only
    "account:login", "account:logout", "account:register", "account:register_done",
    "account:activate", "account:password_reset",
    "account:password_reset_done", "account:password_reset_confirm",
    "account:password_reset_complete", "account:address_add", "admin-login",
    "api:category-list", "api:category-products", "api:product-list", "api:product-detail",
    "api:search", "api:cart-create", "api-schema", "api-docs", "api-redoc", "health",
    "/^media/(?P<path>products/.*)$",  # product photos only; labels etc. are private
    "sitemap", "robots", "reviews:product",  # published products' approved reviews
    # Asking for a guest's data link answers the same for any address; the rest are notes.
    "account:data_request", "account:data_request_sent", "account:data_request_done",
    "account:account_closed",
    # Writes to the shop; answers the same whether or not an order number matches the email.
    "storefront:contact",
}
FORGED = "eyJmb3JnZWQiOnRydWV9:1abcde:forgedsignatureforgedsignature00"


def aimed(v: Victim) -> dict[str, list[tuple[str, str]]]:
    """Rule per URL name: the requests that aim it at the victim's data."""
    o, r, p, c = v.order, v.rma, v.payment, v.cart
    cart = f"/api/carts/{c.token}"
    order_link = guest_order_signature(o)
    return {
        # Signed links: anyone holding the real link is its owner; forged ones must fail.
        "account:guest_order": [("get", f"/orders/view/{FORGED}/")],
        "account:guest_invoice": [("get", f"/orders/view/{FORGED}/invoice.pdf")],
        "account:guest_order_return": [("get", f"/orders/view/{FORGED}/return/"),
                                       ("post", f"/orders/view/{FORGED}/return/")],
        "account:guest_return_label": [
            ("get", f"/orders/view/{FORGED}/returns/{r.number}/label.pdf"),
            # The real link of the order, but another order's RMA is refused.
            ("get", f"/orders/view/{order_link}/returns/RMA-999999/label.pdf")],
        "account:substitute_offer": [("get", f"/orders/substitute/{FORGED}/"),
                                     ("post", f"/orders/substitute/{FORGED}/")],
        "account:data_link": [("get", f"/privacy/data/{FORGED}/")],
        "account:data_link_download": [("post", f"/privacy/data/{FORGED}/download/")],
        "account:data_link_erase": [("get", f"/privacy/data/{FORGED}/erase/"),
                                    ("post", f"/privacy/data/{FORGED}/erase/")],
        "checkout:restore_cart": [("get", f"/cart/restore/{FORGED}/")],
        "marketing:unsubscribe": [("get", f"/email/unsubscribe/{FORGED}/"),
                                  ("post", f"/email/unsubscribe/{FORGED}/")],
        "reviews:invitation": [("get", f"/reviews/write/{FORGED}/"),
                               ("post", f"/reviews/write/{FORGED}/")],
        "reviews:for_order": [("get", f"/account/orders/{o.number}/review/"),
                              ("post", f"/account/orders/{o.number}/review/")],
        "tracking": [("get", f"/track/{FORGED}/"),
                     ("get", f"/track/{guest_order_signature(o)}/")],  # wrong salt
        # The account's pages answer only to the account.
        "account:order": [("get", f"/account/orders/{o.number}/")],
        "account:order_invoice": [("get", f"/account/orders/{o.number}/invoice.pdf")],
        "account:order_return": [("get", f"/account/orders/{o.number}/return/"),
                                 ("post", f"/account/orders/{o.number}/return/")],
        "account:return_label": [
            ("get", f"/account/orders/{o.number}/returns/{r.number}/label.pdf")],
        "account:address_edit": [("get", f"/account/addresses/{v.address.pk}/edit/"),
                                 ("post", f"/account/addresses/{v.address.pk}/edit/")],
        "account:address_delete": [("post", f"/account/addresses/{v.address.pk}/delete/")],
        "checkout:pay": [("get", f"/order/{o.token}/pay/"), ("post", f"/order/{o.token}/pay/")],
        "checkout:authenticate": [("get", f"/order/{o.token}/authenticate/{p.token}/"),
                                  ("post", f"/order/{o.token}/authenticate/{p.token}/")],
        "checkout:stripe_return": [("get", f"/order/{o.token}/stripe-return/")],
        "checkout:confirmation": [("get", f"/order/{o.token}/thanks/")],
        # The API: a customer's cart and orders answer only to that customer.
        "api:cart-detail": [("get", f"{cart}/")],
        "api:cart-lines": [("post", f"{cart}/lines/")],
        "api:cart-line": [("put", f"{cart}/lines/{c.lines.first().variant_id}/"),
                          ("delete", f"{cart}/lines/{c.lines.first().variant_id}/")],
        "api:cart-email": [("put", f"{cart}/email/")],
        "api:cart-shipping-address": [("put", f"{cart}/shipping-address/")],
        "api:cart-billing-address": [("put", f"{cart}/billing-address/")],
        "api:cart-shipping-method": [("put", f"{cart}/shipping-method/")],
        "api:cart-voucher": [("put", f"{cart}/voucher/"), ("delete", f"{cart}/voucher/")],
        "api:cart-order": [("post", f"{cart}/order/")],
        "api:order-detail": [("get", f"/api/orders/{o.token}/"),
                             ("get", f"/api/orders/{o.token}/?signature={FORGED}")],
        "api:order-payments": [("post", f"/api/orders/{o.token}/payments/")],
        "api:payment-authenticate": [
            ("post", f"/api/orders/{o.token}/payments/{p.token}/authenticate/")],
        # Staff-only (inventory API, dashboards, the courier page).
        "api:stock-level-list": [("get", "/api/stock-levels/")],
        "api:purchase-order-list": [("get", "/api/purchase-orders/")],
        "api:purchase-order-detail": [("get", "/api/purchase-orders/1/")],
        "api:purchase-order-send": [("post", "/api/purchase-orders/1/send/")],
        "api:purchase-order-receipts": [("post", "/api/purchase-orders/1/receipts/")],
        "dashboard:index": [("get", "/dashboard/")],
        "dashboard:panel": [("get", "/dashboard/sales/")],
        "dashboard:export": [("get", "/dashboard/sales/orders.csv")],
        "courier": [("get", "/courier/"), ("post", "/courier/")],
        # Signed by the sender; unsigned posts are refused.
        "payments:stripe_webhook": [("post", "/payments/stripe/webhook/")],
        "fulfillment:carrier_webhook": [("post", "/fulfillment/carrier/webhook/")],
    }


# Lists: everyone sees their own; the victim's data must not be in anyone else's.
OWN_LISTS = {"account:dashboard": "/account/", "account:orders": "/account/orders/",
             "account:addresses": "/account/addresses/", "api:order-list": "/api/orders/",
             "account:your_data": "/account/data/", "account:close_account": "/account/close/",
             "account:email_preferences": "/account/email-preferences/"}
# Downloads of the signed-in person's own data (a POST): never anyone else's.
OWN_DOWNLOADS = {"account:download_data": "/account/data/download/"}
LOGIN_PAGES = ("/account/login/", f"/{settings.ADMIN_URL}login/")


def test_every_url_has_a_rule(victim):
    rules = aimed(victim)
    missing = [f"{name}  ({route})" for name, route in routes()
               if not name.startswith("admin:") and name not in PUBLIC and name not in rules
               and name not in OWN_LISTS and name not in OWN_DOWNLOADS]
    assert not missing, ("These URLs have no authorization rule in "
                         "tests/shop/test_authorization_sweep.py:\n" + "\n".join(missing))


def actors(client_factory):
    shopper = UserFactory(username="other", email="other@example.com")
    clerk = UserFactory(username="staff-no-role", is_staff=True)
    anonymous = client_factory()
    other = client_factory()
    other.force_login(shopper)
    staff = client_factory()
    staff.force_login(clerk)
    return {"other shopper": other, "anonymous": anonymous, "staff without a role": staff}


def send(client, method, path):
    body = {"content_type": "application/json", "data": "{}"} if path.startswith("/api/") \
        and method != "get" else {}
    return getattr(client, method)(path, **body)


def content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def leaks(response, secrets) -> list[str]:
    text = content(response)
    return [secret for secret in secrets if secret in text]


def assert_denied(who, method, path, response, secrets):
    where = f"{who}: {method.upper()} {path} -> {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].startswith(LOGIN_PAGES), where + " " + response["Location"]
    else:
        assert response.status_code in {400, 401, 403, 404, 405}, where
    assert not leaks(response, secrets), f"{where} shows {leaks(response, secrets)}"


@pytest.fixture
def sweep_clients(client_factory):
    return actors(client_factory)


@pytest.fixture
def client_factory():
    from django.test import Client
    return Client


def test_others_get_no_order_return_address_payment_or_shipment(victim, sweep_clients,
                                                               client_factory):
    owner = client_factory()
    owner.force_login(victim.user)
    owner_pages = ["account:order", "account:order_invoice", "account:order_return",
                   "account:return_label", "account:address_edit", "api:cart-detail",
                   "api:order-detail"]
    rules = aimed(victim)
    for name in owner_pages:  # the rule really points at the victim's data
        method, path = rules[name][0]
        assert send(owner, method, path).status_code == 200, (name, path)

    addresses_before = Address.objects.filter(user=victim.user, saved=True).count()
    payments_before = Payment.objects.count()
    for who, client in sweep_clients.items():
        for requests in rules.values():
            for method, path in requests:
                assert_denied(who, method, path, send(client, method, path), victim.secrets)
        for path in OWN_LISTS.values():
            response = client.get(path)
            if who == "anonymous":
                assert_denied(who, "get", path, response, victim.secrets)
            else:
                assert response.status_code == 200, (who, path)
                assert not leaks(response, victim.secrets), (who, path)
        for path in OWN_DOWNLOADS.values():
            response = client.post(path)
            if who == "anonymous":
                assert_denied(who, "post", path, response, victim.secrets)
            else:
                assert response.status_code == 200, (who, path)
                assert not leaks(response, victim.secrets), (who, path)
    assert Address.objects.filter(user=victim.user, saved=True).count() == addresses_before
    assert Payment.objects.count() == payments_before
    victim.cart.refresh_from_db()
    assert victim.cart.status == Cart.Status.OPEN and victim.cart.email == victim.user.email


ADMIN_OPEN = {"admin:index", "admin:login", "admin:logout", "admin:password_change",
              "admin:password_change_done", "admin:jsi18n"}


def admin_path(route: str, victim: Victim) -> str:
    """Fill an admin route's parameters: object ids with the victim's objects."""
    ids = {"order": victim.order.pk, "shipment": victim.shipment.pk,
           "returnrequest": victim.rma.pk, "payment": victim.payment.pk,
           "address": victim.address.pk, "cart": victim.cart.pk}

    def fill(match):
        name = match.group("name")
        if name == "app_label":
            return "orders"
        if "id" in name or name == "pk":
            return str(fill.object_id)
        return "x"

    model = re.match(r"^/[^/]+/(?P<app>\w+)/(?P<model>\w+)/", route)
    fill.object_id = ids.get(model.group("model"), 1) if model else 1
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", fill, route)
    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", fill, path)
    return path.replace("^", "").replace("$", "").replace("\\", "")


def test_the_whole_admin_is_closed_to_shoppers_visitors_and_staff_without_a_role(
        victim, sweep_clients):
    admin_routes = [(name, route) for name, route in routes() if name.startswith("admin:")]
    assert len(admin_routes) > 100
    for who, client in sweep_clients.items():
        for name, route in admin_routes:
            path = admin_path(route, victim)
            response = client.get(path)
            if name in ADMIN_OPEN:  # the admin's own pages: no model data on them
                assert response.status_code in {200, 302, 405}, (who, path)
                assert not leaks(response, victim.secrets), (who, path)
                continue
            hops = 0
            while response.status_code == 302 and hops < 3 and \
                    not response["Location"].startswith(LOGIN_PAGES):
                path, hops = response["Location"], hops + 1  # e.g. <id>/ -> <id>/change/
                response = client.get(path)
            if path == f"/{settings.ADMIN_URL}" and response.status_code == 200:
                # Sent back to the index (which lists nothing for them), with a message.
                assert not leaks(response, victim.secrets), (who, name)
                continue
            assert_denied(who, "get", path, response, victim.secrets)


def test_a_merchant_role_sees_orders_but_a_picker_does_not_see_payments(victim, client_factory,
                                                                        staff_roles):
    """Roles, not just is_staff, open the admin: a Picker has no payments."""
    from django.contrib.auth.models import Group

    picker = UserFactory(username="picker", is_staff=True)
    picker.groups.add(Group.objects.get(name="Picker"))
    client = client_factory()
    client.force_login(picker)
    path = f"/admin/payments/payment/{victim.payment.pk}/change/"
    assert_denied("picker", "get", path, client.get(path), [str(victim.payment.token)])
    assert not Permission.objects.filter(group__name="Picker",
                                         content_type__app_label="payments").exists()


# --- Signed links ---------------------------------------------------------------------------

def test_signed_order_and_tracking_links_work_then_expire_and_cannot_be_altered(
        victim, client, settings, monkeypatch):
    order_link = guest_order_signature(victim.order)
    tracking_link = tracking_signature(victim.shipment)
    assert victim.order.number in client.get(f"/orders/view/{order_link}/").content.decode()
    assert client.get(f"/track/{tracking_link}/").status_code == 200

    value, stamp, mac = order_link.split(":")
    for forged in [f"{value}:{stamp}:{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
                   f"{signing.dumps('00000000-0000-0000-0000-000000000000')}",
                   order_link.replace(value, value[::-1]), tracking_link]:
        response = client.get(f"/orders/view/{forged}/")
        assert response.status_code == 404 and victim.order.number not in content(response)
    assert client.get(f"/track/{order_link}/").status_code == 404  # not a tracking link

    later = time.time() + (settings.SHOP_ORDER_LINK_MAX_AGE_DAYS + 1) * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    expired = client.get(f"/orders/view/{order_link}/")
    assert expired.status_code == 404 and victim.order.number not in content(expired)
    assert client.get(f"/orders/view/{order_link}/invoice.pdf").status_code == 404
    assert client.get(f"/track/{tracking_link}/").status_code == 200  # valid for 180 days
    monkeypatch.setattr(time, "time", lambda: later + 90 * 86400)
    assert client.get(f"/track/{tracking_link}/").status_code == 404
