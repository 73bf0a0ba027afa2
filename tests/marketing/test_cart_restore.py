"""The reminder's link restores the cart on any device: the same cart for its own guest
session, a copy elsewhere (another browser, an account, an ordered cart), with prices and
stock checked again and the shopper told what changed. Bad links are a 400."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Variant
from inventory.models import StockLevel
from marketing.links import restore_token
from marketing.models import CartRecovery
from orders import services as order_services
from orders.models import Cart, CartLine, Order
from tests.factories import ProductFactory, UserFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminded(abandoned, run_reminders):
    from django.core import mail

    cart = abandoned(quantity=3)
    run_reminders()
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/cart/restore/[^/\s]+/)", message.body).group(1)
    return cart, link


def cart_page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_link_restores_the_cart_in_another_browser(reminded):
    cart, link = reminded
    other = Client()
    response = other.get(link, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("checkout:cart")
    assert cart_page_messages(response) == ["Welcome back: your cart is as you left it."]
    restored = response.context["checkout"].cart
    assert restored.pk == cart.pk  # a guest cart, still open: reused
    assert "Linen Apron" in response.content.decode()
    recovery = CartRecovery.objects.get()
    assert (recovery.cart_id, recovery.restored_cart_id, recovery.changes) == (cart.pk, cart.pk, [])
    # The checkout goes on with the email already there.
    assert other.get(reverse("checkout:start")).context["checkout"].cart.email == "ada@example.com"


def test_prices_and_stock_are_checked_again_and_the_changes_shown(reminded, apron):
    cart, link = reminded
    scarf = make_variant(ProductFactory(title="Wool Scarf"), price="40.00", stock=5)
    order_services.add_to_cart(cart=cart, variant_id=scarf.pk, quantity=1)
    Variant.objects.filter(pk=apron.pk).update(price="22.50")
    StockLevel.objects.filter(variant=apron).update(on_hand=2)   # 3 in the cart, 2 left
    StockLevel.objects.filter(variant=scarf).update(on_hand=0)   # sold out
    response = Client().get(link, follow=True)
    notes = cart_page_messages(response)
    assert "Only 2 of Linen Apron left: we lowered your quantity from 3 to 2." in notes[0]
    assert "The price of Linen Apron changed from $25.00 to $22.50." in notes
    assert "Wool Scarf has sold out, so we removed it." in notes
    html = response.content.decode()
    for note in notes:
        assert note.replace("'", "&#x27;") in html
    assert list(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity")) == [
        (apron.pk, 2)]
    assert [change["kind"] for change in CartRecovery.objects.get().changes] == [
        "reduced", "price", "sold_out"]


def test_an_ordered_cart_is_copied_into_a_fresh_one(reminded, apron):
    cart, link = reminded
    order_services.place_order(cart=cart)
    response = Client().get(link, follow=True)
    restored = response.context["checkout"].cart
    assert restored.pk != cart.pk and restored.status == Cart.Status.OPEN
    assert restored.email == "ada@example.com" and restored.shipping_address_id is not None
    assert restored.shipping_address_id != cart.shipping_address_id  # a copy, not shared
    assert list(restored.lines.values_list("variant_id", "quantity")) == [(apron.pk, 3)]
    assert CartRecovery.objects.get().restored_cart_id == restored.pk


def test_a_signed_in_customer_gets_the_lines_in_their_own_cart(reminded, apron):
    cart, link = reminded
    customer = Client()
    user = UserFactory(username="ada", email="ada@example.com")
    customer.force_login(user)
    response = customer.get(link, follow=True)
    restored = response.context["checkout"].cart
    assert restored.user_id == user.pk and restored.pk != cart.pk
    assert list(restored.lines.values_list("variant_id", "quantity")) == [(apron.pk, 3)]


def test_an_account_cart_is_never_handed_to_another_browser(apron, opted_in, run_reminders):
    from django.core import mail

    from tests.factories import ready_cart
    from tests.marketing.conftest import idle

    user = UserFactory(username="bo", email="bo@example.com")
    opted_in("bo@example.com")
    cart = idle(ready_cart(variants={apron: 1}, email="bo@example.com", user=user))
    run_reminders()
    link = re.search(r"https?://[^/\s]+(/cart/restore/[^/\s]+/)", mail.outbox[0].body).group(1)
    response = Client().get(link, follow=True)
    restored = response.context["checkout"].cart
    assert restored.pk != cart.pk and restored.user_id is None
    assert Cart.objects.get(pk=cart.pk).user_id == user.pk


def test_the_order_from_a_restored_cart_is_linked_to_the_recovery(reminded):
    cart, link = reminded
    Client().get(link)
    order = order_services.place_order(cart=cart)
    recovery = CartRecovery.objects.get()
    assert Order.objects.get(checkout_token=recovery.restored_cart.token) == order


@pytest.mark.parametrize("token", ["nope", "x" * 500, "%ff%00", restore_token(10**12, 1),
                                   restore_token(1, 7)])
def test_bad_forged_or_unknown_links_are_4xx(client, token, db):
    response = client.get(f"/cart/restore/{token}/")
    assert response.status_code in (400, 404)
    assert not CartRecovery.objects.exists()


def test_an_altered_link_is_a_400(reminded, client):
    _, link = reminded
    assert client.get(link[:-3] + "zz/").status_code == 400


def test_a_post_to_the_link_is_a_405(reminded, client):
    _, link = reminded
    assert client.post(link).status_code == 405


def test_restoring_runs_a_fixed_number_of_queries_for_1_and_10_lines(abandoned, run_reminders):
    from django.core import mail

    counts = []
    for size, email in ((1, "one@example.com"), (10, "ten@example.com")):
        cart = abandoned(email, quantity=1)
        for _ in range(size - 1):
            extra = make_variant(ProductFactory(), price="5.00", stock=3)
            order_services.add_to_cart(cart=cart, variant_id=extra.pk, quantity=1)
        from tests.marketing.conftest import idle
        idle(cart)
        mail.outbox.clear()
        run_reminders()
        link = re.search(r"https?://[^/\s]+(/cart/restore/[^/\s]+/)",
                         mail.outbox[0].body).group(1)
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(link).status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
