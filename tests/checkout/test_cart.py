"""The cart page and its add / update / remove forms."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse

from catalog import services as catalog_services
from inventory.models import StockLevel
from orders.models import Address, CartLine
from tests.factories import ADDRESS, ProductFactory, UserFactory, make_shipping, make_variant

from .flow import add, row_counts

pytestmark = pytest.mark.django_db


def test_product_page_offers_an_add_to_cart_form_for_the_chosen_variant(client, variant):
    page = client.get(variant.product.get_absolute_url())
    html = page.content.decode()
    assert f'action="{reverse("checkout:add")}"' in html
    assert f'name="variant" id="cart-variant-id" value="{variant.pk}"' in html
    assert '<label for="add-quantity">Quantity</label>' in html
    assert 'name="price"' not in html


def test_adding_redirects_to_the_cart_with_a_message(client, variant):
    response = add(client, variant, 2)
    assert response.status_code == 302 and response["Location"] == reverse("checkout:cart")
    page = client.get(response["Location"])
    assert "Added 2 × Trail Mug — Blue to your cart." in page.content.decode()
    assert CartLine.objects.get().quantity == 2


def test_cart_page_shows_each_line_with_totals_and_the_shipping_estimate(client, variant,
                                                                         method, png_bytes):
    catalog_services.add_product_image(product=variant.product, content=png_bytes(),
                                       alt_text="A blue enamel trail mug")
    add(client, variant, 2)
    page = client.get(reverse("checkout:cart"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'alt="A blue enamel trail mug"' in html
    assert "Trail Mug" in html and "Blue" in html
    assert "$18.00" in html and "$36.00" in html  # unit price, line total and subtotal
    assert f'<label for="qty-{variant.pk}" class="visually-hidden">Quantity of Trail Mug' in html
    assert ">Update</button>" in html and "Remove<span" in html
    assert "Shipping to United States" in html and "from $5.00" in html
    assert f'href="{reverse("checkout:start")}"' in html


def test_shipping_estimate_says_calculated_at_checkout_when_nothing_ships_there(client, variant):
    add(client, variant)
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "Calculated at checkout" in html


def test_a_customers_estimate_uses_the_country_of_their_saved_address(client, variant, method):
    make_shipping(country="CA", price="12.00")
    user = UserFactory()
    Address.objects.create(user=user, saved=True, **{**ADDRESS, "country": "CA",
                                                     "region": "BC", "postal_code": "V6B 1A1"})
    client.force_login(user)
    add(client, variant)
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "Shipping to Canada" in html and "from $12.00" in html


def test_empty_cart_says_so_and_offers_to_keep_shopping(client):
    page = client.get(reverse("checkout:cart"))
    assert page.status_code == 200
    assert b"Your cart is empty." in page.content
    assert b"Continue shopping" in page.content


@pytest.mark.parametrize("quantity,status,message", [
    ("abc", 400, "Quantity must be a whole number."),
    ("", 400, "Quantity must be a whole number."),
    ("1.5", 400, "Quantity must be a whole number."),
    ("-1", 400, "Quantity must be at least 1."),
    ("0", 400, "Quantity must be at least 1."),
    (str(10**30), 400, "You can buy at most 99 of one item."),
    ("100", 400, "You can buy at most 99 of one item."),
])
def test_bad_quantities_are_refused_with_the_reason_and_nothing_is_written(
        client, variant, quantity, status, message):
    other = make_variant(ProductFactory(), stock=3)
    add(client, other)  # the shopper already has a cart
    before = row_counts()
    response = add(client, variant, quantity)
    assert response.status_code == status
    assert message in response.content.decode()
    assert row_counts() == before


def test_more_than_in_stock_adds_what_is_available_and_says_so(client, variant):
    response = add(client, variant, "6")
    assert response.status_code == 302 and response["Location"] == reverse("checkout:cart")
    assert CartLine.objects.get(variant=variant).quantity == 5
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "Only 5 more of Trail Mug — Blue were available, so we added 5 (not 6)" in html
    assert "message-warning" in html
    # Nothing more to add: refused with the reason, and the cart keeps its line.
    response = add(client, variant, "1")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Only 5 of Trail Mug — Blue left (you have 5 in your cart)." in html
    assert "Trail Mug" in html and "Your cart is empty" not in html
    assert CartLine.objects.get(variant=variant).quantity == 5


def test_adding_past_what_is_left_tops_the_line_up(client, variant):
    add(client, variant, "3")
    add(client, variant, "4")
    assert CartLine.objects.get(variant=variant).quantity == 5
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "Only 2 more of Trail Mug — Blue were available, so we added 2 (not 4)" in html


def test_a_sold_out_variant_is_still_refused_with_409(client, variant):
    StockLevel.objects.filter(variant=variant).update(allocated=F("on_hand"))
    response = add(client, variant, "1")
    assert response.status_code == 409
    assert "is out of stock." in response.content.decode()
    assert not CartLine.objects.exists()


def test_unknown_inactive_and_unpublished_variants_are_refused(client, variant):
    add(client, variant)
    inactive = make_variant(variant.product, stock=3, is_active=False)
    hidden = make_variant(ProductFactory(title="Secret Kettle", is_published=False), stock=3)
    before = row_counts()
    for variant_id, message in [(999999, "That item doesn&#x27;t exist."),
                                ("x", "That item doesn&#x27;t exist."),
                                ("", "That item doesn&#x27;t exist."),
                                (str(10**30), "That item doesn&#x27;t exist."),
                                (inactive.pk, "is no longer sold."),
                                (hidden.pk, "Secret Kettle is no longer sold.")]:
        response = add(client, variant_id)
        assert response.status_code == 400, variant_id
        assert message in response.content.decode()
    assert row_counts() == before


def test_a_price_sent_with_the_add_form_is_ignored(client, variant):
    add(client, variant, 1, price="0.01", unit_price="0.01")
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "$18.00" in html and "0.01" not in html


def test_update_changes_the_quantity_and_zero_removes_the_line(client, variant):
    add(client, variant, 2)
    response = client.post(reverse("checkout:update"), {"variant": variant.pk, "quantity": 4})
    assert response["Location"] == reverse("checkout:cart")
    assert CartLine.objects.get().quantity == 4
    client.post(reverse("checkout:update"), {"variant": variant.pk, "quantity": 0})
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("quantity,status,message", [
    ("9", 409, "Only 5 of Trail Mug — Blue left."), ("-2", 400, "can&#x27;t be negative"),
    ("two", 400, "whole number"), ("1000", 400, "at most 99"),
])
def test_bad_updates_keep_the_line_as_it_was(client, variant, quantity, status, message):
    add(client, variant, 2)
    before = row_counts()
    response = client.post(reverse("checkout:update"), {"variant": variant.pk,
                                                        "quantity": quantity})
    assert response.status_code == status
    assert message in response.content.decode()
    assert CartLine.objects.get().quantity == 2
    assert row_counts() == before


def test_remove_takes_the_line_out_and_an_unknown_line_is_a_400(client, variant):
    add(client, variant, 2)
    response = client.post(reverse("checkout:remove"), {"variant": 424242})
    assert response.status_code == 400 and b"That item is not in your cart." in response.content
    client.post(reverse("checkout:remove"), {"variant": variant.pk})
    assert not CartLine.objects.exists()


def test_changing_a_cart_you_do_not_have_is_a_400(client, variant):
    for name in ("checkout:update", "checkout:remove"):
        response = client.post(reverse(name), {"variant": variant.pk, "quantity": 1})
        assert response.status_code == 400 and b"Your cart is empty." in response.content
    assert not get_user_model().objects.exists() and row_counts()["orders.Cart"] == 0


def test_a_line_that_can_no_longer_be_bought_is_flagged_and_checkout_is_blocked(client,
                                                                                variant):
    add(client, variant, 4)
    StockLevel.objects.filter(variant=variant).update(allocated=3)  # another order took 3
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "Only 2 left. Lower the quantity to check out." in html
    assert "Fix the items marked above to check out." in html
    assert f'href="{reverse("checkout:start")}"' not in html


def test_cart_pages_answer_only_get_and_post_as_intended(client, variant):
    assert client.post(reverse("checkout:cart")).status_code == 405
    assert client.get(reverse("checkout:add")).status_code == 405
