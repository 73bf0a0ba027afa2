"""Writing and moderating reviews through the services: only verified buyers, once per
purchase, plain text within its limits, and the product's rating kept from the approved
reviews."""

from decimal import Decimal

import pytest

from catalog.models import Product
from kernel.errors import InvalidTransition
from reviews import services
from reviews.exceptions import AlreadyReviewed, NotAVerifiedBuyer, ReviewError
from reviews.models import Review
from tests.factories import UserFactory
from tests.reviews.conftest import approved, write

pytestmark = pytest.mark.django_db


def test_a_buyer_of_a_delivered_order_writes_a_pending_review(delivered_order, catalog):
    order = delivered_order()
    review = write(order, rating="4", title="  Nice shirt ", body="Soft linen, runs small.")
    assert review.status == Review.Status.PENDING
    assert (review.rating, review.title, review.product_id) == (4, "Nice shirt",
                                                               catalog["shirt"].pk)
    assert review.email == "ada@example.com"
    catalog["shirt"].refresh_from_db()
    assert catalog["shirt"].rating_count == 0  # not counted until approved


def test_the_author_name_defaults_to_first_name_and_initial(delivered_order):
    order = delivered_order()
    address = order.billing_address
    review = write(order)
    assert review.author_name == f"{address.first_name} {address.last_name[0]}."


def test_an_undelivered_order_cannot_be_reviewed(delivered_order):
    order = delivered_order(delivered=False)
    with pytest.raises(NotAVerifiedBuyer, match="once it has been delivered"):
        write(order)
    assert not Review.objects.exists()


def test_someone_else_cannot_review_an_order(delivered_order):
    order = delivered_order()
    other = delivered_order(email="bob@example.com")
    line = order.lines.get(sku="SHIRT-M")
    with pytest.raises(NotAVerifiedBuyer):
        services.write_review(order_line_id=line.pk, rating=5, title="", body="x" * 20,
                              invited_order_id=other.pk)
    stranger = UserFactory()
    with pytest.raises(NotAVerifiedBuyer):
        services.write_review(order_line_id=line.pk, rating=5, title="", body="x" * 20,
                              user=stranger)
    with pytest.raises(NotAVerifiedBuyer):
        services.write_review(order_line_id=line.pk, rating=5, title="", body="x" * 20)


def test_the_account_that_bought_reviews_without_a_link(delivered_order):
    shopper = UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    order = delivered_order(user=shopper)
    review = write(order, user=shopper, invited_order_id=None)
    assert review.user == shopper and review.author_name == "Ada L."


def test_one_review_per_purchase_and_per_customer(delivered_order):
    shopper = UserFactory(email="ada@example.com")
    first = delivered_order(user=shopper)
    write(first)
    with pytest.raises(AlreadyReviewed):
        write(first)
    second = delivered_order(user=shopper)  # bought again: still one review of the shirt
    with pytest.raises(AlreadyReviewed):
        write(second, user=shopper, invited_order_id=None)
    assert Review.objects.count() == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"rating": 0}, "1 to 5"),
    ({"rating": 6}, "1 to 5"),
    ({"rating": "five"}, "1 to 5"),
    ({"rating": 10**40}, "1 to 5"),
    ({"rating": None}, "1 to 5"),
    ({"body": "Too short"}, "at least 10"),
    ({"body": "x" * 5001}, "at most 5000"),
    ({"title": "t" * 121}, "at most 120"),
    ({"body": "Lovely <b>linen</b> shirt"}, "plain text"),
    ({"body": "Nice</script><script>alert(1)</script>"}, "plain text"),
    ({"title": "<img src=x onerror=alert(1)>"}, "plain text"),
    ({"body": "Bad bytes \x00 in the middle"}, "can't be shown"),
])
def test_bad_input_is_refused_with_a_message(delivered_order, fields, message):
    order = delivered_order()
    with pytest.raises(ReviewError, match=message):
        write(order, **fields)
    assert not Review.objects.exists()


def test_a_lone_less_than_sign_is_plain_text(delivered_order):
    review = write(delivered_order(), body="Price/quality: 3 < 4, would buy again.")
    assert "3 < 4" in review.body


def test_approving_counts_the_rating_and_rejecting_takes_it_back(delivered_order, catalog):
    first = approved(delivered_order(), rating=5)
    approved(delivered_order(email="bob@example.com"), rating=4)
    shirt = Product.objects.get(pk=catalog["shirt"].pk)
    assert (shirt.rating_average, shirt.rating_count) == (Decimal("4.50"), 2)

    third = write(delivered_order(email="cy@example.com"), rating=1)
    services.reject_review(review_id=third.pk, reason="Spam")
    shirt.refresh_from_db()
    assert shirt.rating_count == 2

    services.reject_review(review_id=first.pk, reason="Customer asked to remove it")
    shirt.refresh_from_db()
    assert (shirt.rating_average, shirt.rating_count) == (Decimal("4.00"), 1)


def test_the_average_is_rounded_to_two_places(delivered_order, catalog):
    for email, rating in [("a@example.com", 5), ("b@example.com", 4), ("c@example.com", 4)]:
        approved(delivered_order(email=email), rating=rating)
    shirt = Product.objects.get(pk=catalog["shirt"].pk)
    assert (shirt.rating_average, shirt.rating_count) == (Decimal("4.33"), 3)


def test_moderation_moves_are_guarded(delivered_order):
    review = write(delivered_order())
    services.reject_review(review_id=review.pk, reason="Off topic")
    with pytest.raises(InvalidTransition, match="rejected"):
        services.approve_review(review_id=review.pk)
    with pytest.raises(InvalidTransition):
        services.reject_review(review_id=review.pk, reason="Again")
    with pytest.raises(ReviewError, match="rejected"):
        services.reply_to_review(review_id=review.pk, reply="Thanks!")


def test_approving_twice_is_refused(delivered_order):
    review = approved(delivered_order())
    with pytest.raises(InvalidTransition, match="approved"):
        services.approve_review(review_id=review.pk)


def test_a_rejection_needs_a_reason(delivered_order):
    review = write(delivered_order())
    with pytest.raises(ReviewError, match="reason"):
        services.reject_review(review_id=review.pk, reason="   ")
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING


def test_the_shop_replies_in_plain_text_and_may_remove_the_reply(delivered_order):
    review = approved(delivered_order())
    review = services.reply_to_review(review_id=review.pk, reply="Thank you, Ada!")
    assert review.reply == "Thank you, Ada!" and review.replied_at is not None
    with pytest.raises(ReviewError, match="plain text"):
        services.reply_to_review(review_id=review.pk, reply="<a href=x>offer</a>")
    review = services.reply_to_review(review_id=review.pk, reply="")
    assert review.reply == "" and review.replied_at is None


def test_approval_refreshes_cached_listings(delivered_order, django_capture_on_commit_callbacks):
    from catalog import listing_cache

    review = write(delivered_order())
    before = listing_cache.catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_review(review_id=review.pk)
    assert listing_cache.catalog_version() > before
