"""Issue 19, reviews: posting reviews is rate limited (per IP and account, like the contact
form); a guest's order page links to the review form once the order is delivered (the
account's order page does already); an erased order's invitation link writes nothing."""

import re

import pytest
from django.urls import reverse

from orders.links import guest_order_signature
from privacy import services as privacy_services
from reviews.links import invitation_path, order_id_from_signature
from reviews.models import Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = {"rating": "4", "title": "Good", "body": "Soft linen, a little short in the arm."}


def test_posting_reviews_is_rate_limited(client, settings, delivered_order):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS,
                                 "review": {"ip": "2/h", "account": "2/h"}}
    order = delivered_order()
    url = invitation_path(order)
    shirt, mug = order.lines.get(sku="SHIRT-M"), order.lines.get(sku="MUG")
    assert client.post(url, {**GOOD, "line": shirt.pk}).status_code == 302
    assert client.post(url, {**GOOD, "line": mug.pk}).status_code == 302
    response = client.post(url, {**GOOD, "line": shirt.pk})
    assert response.status_code == 429  # not even the "already reviewed" answer (409)
    assert response["Retry-After"]
    assert Review.objects.count() == 2
    assert client.get(url).status_code == 200  # reading the form is not limited


def test_the_account_review_page_is_rate_limited_too(client, settings, delivered_order):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS,
                                 "review": {"ip": "1/h", "account": "1/h"}}
    ada = UserFactory(email="ada@example.com")
    order = delivered_order(user=ada)
    client.force_login(ada)
    url = reverse("reviews:for_order", args=[order.number])
    assert client.post(url, {**GOOD, "line": order.lines.get(sku="SHIRT-M").pk}).status_code == 302
    assert client.post(url, {**GOOD, "line": order.lines.get(sku="MUG").pk}).status_code == 429


def test_a_guests_delivered_order_page_links_to_the_review_form(client, delivered_order):
    order = delivered_order()
    page = client.get(reverse("account:guest_order", args=[guest_order_signature(order)]))
    assert page.status_code == 200
    # The link is signed with the time it was made: compare what it names, not its text.
    links = re.findall(r'href="(/reviews/write/([^/"]+)/)"', page.content.decode())
    assert [order_id_from_signature(signature) for _, signature in links] == [order.pk]
    form = client.get(links[0][0])
    assert form.status_code == 200 and "Linen Shirt" in form.content.decode()


def test_a_guests_undelivered_order_page_has_no_review_link(client, delivered_order):
    order = delivered_order(delivered=False)
    page = client.get(reverse("account:guest_order", args=[guest_order_signature(order)]))
    assert page.status_code == 200
    assert 'data-testid="review-order"' not in page.content.decode()


def test_an_erased_orders_invitation_link_writes_no_review(client, delivered_order):
    ada = UserFactory(email="ada@example.com")
    order = delivered_order(user=ada)
    url = invitation_path(order)
    privacy_services.close_account(user=ada)
    response = client.post(url, {**GOOD, "line": order.lines.get(sku="SHIRT-M").pk})
    assert response.status_code == 403 or 400 <= response.status_code < 500
    assert not Review.objects.exists()
