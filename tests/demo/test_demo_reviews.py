"""Issue 19: `make run`'s demo shows reviews: approved reviews and ratings on some products
(their pages and cards show the stars), added once; brought in through the reviews
service, which checks them like a shopper's."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Product
from reviews import services as review_services
from reviews.exceptions import ReviewError
from reviews.models import Review
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_demo_has_approved_reviews_and_ratings_once(client, capsys):
    call_command("load_demo_catalog", "--no-images")
    reviews = Review.objects.count()
    assert reviews >= 20
    assert not Review.objects.exclude(status=Review.Status.APPROVED).exists()
    rated = Product.objects.filter(rating_count__gt=0)
    assert rated.count() >= 10
    product = rated.order_by("pk").first()
    assert product.rating_count == product.reviews.count()
    assert 1 <= product.rating_average <= 5
    page = client.get(reverse("storefront:product", args=[product.slug])).content.decode()
    assert product.reviews.first().body in page
    assert '"aggregateRating"' in page
    assert "reviews added" in capsys.readouterr().out

    call_command("load_demo_catalog", "--no-images")
    assert Review.objects.count() == reviews
    assert ", 0 reviews added" in capsys.readouterr().out


@pytest.mark.parametrize(("field", "value"), [("rating", 6), ("rating", "x"),
                                              ("body", "<b>bold</b> and long enough"),
                                              ("body", "short"), ("author_name", "")])
def test_an_imported_review_is_checked_like_a_written_one(field, value):
    product = ProductFactory()
    fields = {"rating": 5, "title": "", "body": "Long enough to be a review.",
              "author_name": "Maya R.", field: value}
    with pytest.raises(ReviewError):
        review_services.import_review(product_id=product.pk, **fields)
    assert not Review.objects.exists()
