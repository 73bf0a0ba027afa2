import pytest

from .stripe_fake import FakeStripe


@pytest.fixture
def stripe_fake(settings):
    """A fake Stripe API for the test, with the shop's Stripe settings pointed at it."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    settings.STRIPE_API_BASE = fake.url
    settings.PAYMENT_GATEWAY = "stripe"
    yield fake
    fake.stop()
