"""What an order keeps once placed: its lines' snapshot survives catalog and tax edits, and
an unpaid order gets a payment deadline that the beat schedule enforces."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from catalog import services as catalog_services
from orders import services
from orders.models import TaxRate
from shop.celery import app
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db


def test_an_order_lines_snapshot_survives_a_catalog_and_tax_edit():
    TaxRate.objects.create(country="US", region="OR", name="Sales tax", rate=Decimal("8"))
    product = ProductFactory(title="Trail Mug")
    variant = make_variant(product, price="20.00", sku="MUG-BLUE", options={"Color": "Blue"},
                           stock=5)
    order = services.place_order(cart=ready_cart(variants={variant: 1}))  # ships to OR
    line = order.lines.get()
    assert (line.variant_name, line.tax_rate) == ("Blue", Decimal("8.000"))

    catalog_services.save_variant(product=product, sku="MUG-BLUE", price=Decimal("25.00"),
                                  options={"Color": "Red"})
    product.title = "Summit Mug"
    catalog_services.save_product(product=product)
    TaxRate.objects.filter(country="US", region="OR").update(rate=Decimal("9.5"))
    variant.refresh_from_db()
    assert variant.title == "Red"  # the catalog did change

    line.refresh_from_db()
    assert (line.product_name, line.variant_name, line.sku) == ("Trail Mug", "Blue",
                                                                 "MUG-BLUE")
    assert (line.unit_price, line.tax_rate, line.tax_amount) == (
        Decimal("20.00"), Decimal("8.000"), Decimal("1.60"))


def test_an_unpaid_order_is_due_thirty_minutes_after_placing():
    from shop.settings import base

    assert base.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES == 30
    assert settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES == 30
    variant = make_variant(ProductFactory(), price="10.00", stock=5)
    cart = ready_cart(variants={variant: 1})
    before = timezone.now()
    order = services.place_order(cart=cart)
    assert before + timedelta(minutes=30) <= order.payment_due_by <= \
        timezone.now() + timedelta(minutes=30)
    assert abs(order.payment_due_by - order.placed_at - timedelta(minutes=30)) < \
        timedelta(seconds=1)


def test_the_deadline_follows_the_setting(settings):
    settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES = 90
    variant = make_variant(ProductFactory(), price="10.00", stock=5)
    order = services.place_order(cart=ready_cart(variants={variant: 1}))
    assert abs(order.payment_due_by - order.placed_at - timedelta(minutes=90)) < \
        timedelta(seconds=1)


def test_beat_cancels_expired_unpaid_orders_every_minute():
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == "orders.tasks.cancel_expired_unpaid_orders"]
    assert len(entries) == 1 and entries[0]["schedule"] == 60.0
    assert "orders.tasks.cancel_expired_unpaid_orders" in app.tasks
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
