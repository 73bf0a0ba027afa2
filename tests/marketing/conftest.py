from datetime import timedelta

import pytest
from django.utils import timezone

from marketing import consent
from orders.models import Cart
from tests.factories import ProductFactory, make_variant, ready_cart


@pytest.fixture
def apron(db):
    return make_variant(ProductFactory(title="Linen Apron"), price="25.00", stock=20)


@pytest.fixture
def opted_in():
    def grant(email="ada@example.com"):
        consent.record_consent(email=email, granted=True, wording=consent.CHECKOUT_WORDING,
                               source="checkout")
        return email
    return grant


def idle(cart, *, minutes=90):
    """The cart's last change moved into the past (updated_at is auto_now)."""
    Cart.objects.filter(pk=cart.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes))
    cart.refresh_from_db()
    return cart


@pytest.fixture
def abandoned(apron, opted_in):
    """A guest cart that reached the email step 90 minutes ago, its shopper opted in."""
    def make(email="ada@example.com", *, consent_given=True, minutes=90, quantity=2):
        if consent_given:
            opted_in(email)
        return idle(ready_cart(variants={apron: quantity}, email=email), minutes=minutes)
    return make


@pytest.fixture
def run_reminders(django_capture_on_commit_callbacks):
    from marketing import tasks

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.remind_abandoned_checkouts()
    return run
