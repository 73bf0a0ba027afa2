"""The review pages and the product page: writing from the invitation link or the
customer's order page, refusals as 4xx with a message, approved reviews and the rating on
the product page and cards, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.links import invitation_path
from reviews.models import Review
from tests.factories import UserFactory
from tests.reviews.conftest import approved, write

pytestmark = pytest.mark.django_db

GOOD = {"rating": "4", "title": "Good shirt", "body": "Soft linen, a little short in the arm.",
        "author_name": "Ada L."}


def post_review(client, url, order, sku="SHIRT-M", **fields):
    return client.post(url, {**GOOD, "line": order.lines.get(sku=sku).pk, **fields})


def test_a_guest_reviews_from_the_invitation_link(client, delivered_order):
    order = delivered_order()
    url = invitation_path(order)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Linen Shirt" in html and "Stoneware Mug" in html
    assert 'name="robots" content="noindex"' in html
    response = post_review(client, url, order)
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.rating, review.status, review.author_name) == (4, "pending", "Ada L.")
    after = client.get(url).content.decode()
    assert "You reviewed this: 4 out of 5 stars, waiting to be published" in after


def test_a_forged_link_is_a_404_page(client):
    response = client.get("/reviews/write/forged:link/")
    assert response.status_code == 404
    assert b"isn't valid" in response.content


@pytest.mark.parametrize(("fields", "message"), [
    ({"rating": "9"}, "Select a valid choice"),
    ({"rating": ""}, "Choose a rating"),
    ({"body": "short"}, "at least 10"),
    ({"body": "<script>alert(1)</script> and more text"}, "Plain text only"),
    ({"title": "x" * 500}, "at most 120"),
    ({"line": "99999999999999999999"}, "Ensure this value"),
    ({"line": "abc"}, "Enter a whole number"),
])
def test_bad_input_on_the_form_is_a_400_with_a_message(client, delivered_order, fields,
                                                       message):
    order = delivered_order()
    response = post_review(client, invitation_path(order), order, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Review.objects.exists()


def test_a_second_review_of_the_same_purchase_is_a_409(client, delivered_order):
    order = delivered_order()
    url = invitation_path(order)
    post_review(client, url, order)
    response = post_review(client, url, order)
    assert response.status_code == 409
    assert "already reviewed" in response.content.decode()


def test_a_line_of_another_order_is_refused(client, delivered_order):
    order = delivered_order()
    other = delivered_order(email="bob@example.com")
    response = client.post(invitation_path(order),
                           {**GOOD, "line": other.lines.get(sku="SHIRT-M").pk})
    assert response.status_code == 403
    assert "Only the customer who bought" in response.content.decode()


def test_a_customer_reviews_from_their_order_page(client, delivered_order):
    shopper = UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    order = delivered_order(user=shopper)
    client.force_login(shopper)
    detail = client.get(f"/account/orders/{order.number}/").content.decode()
    assert f"/account/orders/{order.number}/review/" in detail
    response = post_review(client, f"/account/orders/{order.number}/review/", order)
    assert response.status_code == 302
    assert Review.objects.get().user == shopper
    client.force_login(UserFactory(email="eve@example.com"))
    assert client.get(f"/account/orders/{order.number}/review/").status_code == 404


def test_the_product_page_shows_approved_reviews_newest_first(client, delivered_order,
                                                              catalog):
    first = approved(delivered_order(), rating=5, title="Loved it")
    second = approved(delivered_order(email="bob@example.com"), rating=4, title="Fine")
    write(delivered_order(email="cy@example.com"), rating=1, title="Pending one")
    from reviews import services

    services.reply_to_review(review_id=first.pk, reply="Thank you for the kind words!")
    html = client.get(catalog["shirt"].get_absolute_url()).content.decode()
    assert "4.5 out of 5 stars, 2 reviews" in html
    assert html.index("Fine") < html.index("Loved it")  # newest first
    assert second.title in html and "Pending one" not in html
    assert "Reply from" in html and "Thank you for the kind words!" in html


def test_cards_show_the_rating_from_the_products_own_fields(client, delivered_order, catalog):
    approved(delivered_order(), rating=4)
    html = client.get("/search/", {"q": "linen"}).content.decode()
    assert "4 out of 5 stars, 1 review" in html


def product_page_queries(client, product) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


def test_the_product_page_costs_the_same_queries_for_one_review_and_twelve(
        client, delivered_order, catalog):
    from django.db.models import F

    from inventory.models import StockLevel

    StockLevel.objects.filter(variant=catalog["medium"]).update(on_hand=F("on_hand") + 10)
    approved(delivered_order(shirts=1, mugs=0), rating=5)
    client.get(catalog["shirt"].get_absolute_url())  # warm the caches
    one = product_page_queries(client, catalog["shirt"])
    for number in range(11):
        approved(delivered_order(email=f"buyer{number}@example.com", shirts=1, mugs=0),
                 rating=number % 5 + 1)
    client.get(catalog["shirt"].get_absolute_url())
    twelve = product_page_queries(client, catalog["shirt"])
    assert one == twelve
    html = client.get(catalog["shirt"].get_absolute_url()).content.decode()
    assert html.count('data-testid="review"') == 10
    assert "Read all 12 reviews" in html


def test_all_reviews_are_paginated(client, delivered_order, catalog):
    for number in range(3):
        approved(delivered_order(email=f"buyer{number}@example.com"))
    response = client.get(f"/p/{catalog['shirt'].slug}/reviews/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="review"') == 3
    assert client.get(f"/p/{catalog['shirt'].slug}/reviews/", {"page": "9"}).status_code == 404
    assert client.get(f"/p/{catalog['shirt'].slug}/reviews/",
                      {"page": "x" * 50}).status_code == 404
    assert client.get("/p/no-such-product/reviews/").status_code == 404


def test_the_reviews_page_costs_the_same_queries_for_two_reviews_and_six(client,
                                                                        delivered_order,
                                                                        catalog):
    url = f"/p/{catalog['shirt'].slug}/reviews/"
    for number in range(2):
        approved(delivered_order(email=f"a{number}@example.com", shirts=1, mugs=0))
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    for number in range(4):
        approved(delivered_order(email=f"b{number}@example.com", shirts=1, mugs=0))
    client.get(url)
    with CaptureQueriesContext(connection) as six:
        assert client.get(url).status_code == 200
    assert len(two) == len(six)
