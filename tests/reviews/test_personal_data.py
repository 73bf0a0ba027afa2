"""Reviews in a data request: exported as written; erased by detaching the person (a
published review stays as "A customer", the rating unchanged; unpublished ones go)."""

import pytest

from catalog.models import Product
from kernel.personal_data import Subject, sections
from reviews.models import ANONYMOUS_AUTHOR, Review
from tests.factories import UserFactory
from tests.reviews.conftest import approved, write

pytestmark = pytest.mark.django_db


def reviews_section():
    return next(section for section in sections() if section.name == "reviews")


def test_the_export_has_the_persons_reviews_only(delivered_order):
    shopper = UserFactory(email="ada@example.com")
    approved(delivered_order(user=shopper), title="Mine", sku="SHIRT-M")
    write(delivered_order(email="bob@example.com"), title="Bob's")
    exported = reviews_section().export(Subject(user=shopper, emails=("ada@example.com",)))
    assert [item["title"] for item in exported] == ["Mine"]
    assert exported[0]["product"] == "Linen Shirt" and exported[0]["status"] == "approved"


def test_a_guest_is_found_by_email(delivered_order):
    write(delivered_order(email="guest@example.com"), title="Guest review")
    exported = reviews_section().export(Subject(emails=("Guest@Example.com",)))
    assert [item["title"] for item in exported] == ["Guest review"]


def test_erasure_keeps_published_reviews_anonymous_and_the_rating(delivered_order, catalog):
    shopper = UserFactory(email="ada@example.com")
    order = delivered_order(user=shopper)
    kept = approved(order, sku="SHIRT-M", rating=2)
    dropped = write(order, sku="MUG")
    reviews_section().erase(Subject(user=shopper, emails=("ada@example.com",)))
    kept.refresh_from_db()
    assert (kept.user, kept.email, kept.author_name, kept.order_line) == (
        None, "", ANONYMOUS_AUTHOR, None)
    assert kept.rating == 2 and kept.body
    assert not Review.objects.filter(pk=dropped.pk).exists()
    shirt = Product.objects.get(pk=catalog["shirt"].pk)
    assert (shirt.rating_count, shirt.rating_average) == (1, 2)
    assert reviews_section().export(Subject(user=shopper, emails=("ada@example.com",))) == []
