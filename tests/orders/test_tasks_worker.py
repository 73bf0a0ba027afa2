"""A real Celery worker on Redis sends an order's confirmation and receipt, once each."""

import time

import pytest

from orders import services
from orders.models import OrderNotification
from payments import services as payment_services
from tests.factories import ProductFactory, make_variant, ready_cart
from tests.shop.test_celery_worker import redis_url, send_tasks_to, worker  # noqa: F401

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_sends_confirmation_and_receipt_exactly_once(send_tasks_to):  # noqa: F811
    variant = make_variant(ProductFactory(), price="12.00", stock=3)
    order = services.place_order(cart=ready_cart(variants={variant: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sent = OrderNotification.objects.filter(order=order, sent_at__isnull=False).count()
        if sent == 2:
            break
        time.sleep(0.25)
    kinds = sorted(OrderNotification.objects.filter(order=order, sent_at__isnull=False)
                   .values_list("kind", flat=True))
    assert kinds == ["confirmation", "receipt"]
    # Delivered again through the broker: still one of each.
    from orders.tasks import send_order_confirmation

    send_order_confirmation.delay(order.pk)
    time.sleep(2)
    assert order.events.filter(type="email_sent").count() == 2
