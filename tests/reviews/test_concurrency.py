"""Real threads on PostgreSQL: two moderators approving reviews of one product at once both
count (the rating is recomputed under the product's lock), and one purchase reviewed twice
at once gives one review."""

import pytest
from django.db import connection

from catalog.models import Product
from reviews import services
from reviews.exceptions import AlreadyReviewed
from reviews.models import Review
from tests.concurrency import run_concurrently
from tests.reviews.conftest import write

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


def test_two_approvals_at_once_both_count(delivered_order, catalog):
    first = write(delivered_order(), rating=5)
    second = write(delivered_order(email="bob@example.com"), rating=2)
    outcomes = run_concurrently(lambda: services.approve_review(review_id=first.pk),
                                lambda: services.approve_review(review_id=second.pk))
    assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
    shirt = Product.objects.get(pk=catalog["shirt"].pk)
    assert (shirt.rating_count, str(shirt.rating_average)) == (2, "3.50")


def test_one_purchase_reviewed_twice_at_once_gives_one_review(delivered_order):
    order = delivered_order()
    line = order.lines.get(sku="SHIRT-M")

    def review():
        return services.write_review(order_line_id=line.pk, rating=4, title="", body="x" * 12,
                                     invited_order_id=order.pk)

    outcomes = run_concurrently(review, review)
    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    assert isinstance(next(o.error for o in outcomes if not o.ok), AlreadyReviewed)
    assert Review.objects.count() == 1
