import pytest

from tests.factories import ProductFactory, make_shipping, make_variant
from tests.payments.stripe_fake import FakeStripe


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Trail Mug"), price="18.00", stock=5,
                        weight_grams=350, options={"Color": "Blue"})


@pytest.fixture
def method():
    return make_shipping(price="5.00", min_delivery_days=2, max_delivery_days=4)


@pytest.fixture
def stripe_fake(settings):
    """A local fake of Stripe's API, with the shop switched to Stripe and pointed at it."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_API_BASE = fake.url
    settings.PAYMENT_GATEWAY = "stripe"
    yield fake
    fake.stop()
