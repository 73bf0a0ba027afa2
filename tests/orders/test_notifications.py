"""Order emails and the tasks behind them: sent once, with the right content."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from inventory.models import StockLevel
from orders import services, tasks
from orders.models import Order, OrderEvent, OrderNotification, TaxRate
from payments import services as payment_services
from payments import tasks as payment_tasks
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Enamel Mug"), price="20.00", stock=10,
                        options={"Color": "Blue"})


def place(variant, user=None, email="ada@example.com", callbacks=None):
    return services.place_order(cart=ready_cart(variants={variant: 2}, user=user, email=email),
                                user=user)


def test_placing_sends_one_awaiting_payment_email_with_lines_totals_tax_and_signed_link(
        variant, django_capture_on_commit_callbacks):
    TaxRate.objects.create(country="US", region="OR", rate=Decimal("10"))
    with django_capture_on_commit_callbacks(execute=True):
        order = place(variant)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    # Placed is not confirmed: the shopper is told it waits for payment.
    assert f"Order {order.number} received, awaiting payment" in message.subject
    assert "confirmed" not in message.subject
    assert "Pay for your order" in message.body
    body = message.body
    for text in ("2 × Enamel Mug", variant.sku, "$40.00", "Tax: $4.50", "Total: $49.50",
                 "12 Analytical Row", "/orders/view/"):
        assert text in body, text
    html = message.alternatives[0][0]
    assert "Enamel Mug" in html and "/orders/view/" in html
    assert OrderNotification.objects.get(order=order).kind == OrderNotification.Kind.RECEIVED
    assert OrderNotification.objects.get(order=order).sent_at is not None
    assert order.events.filter(type=OrderEvent.Type.EMAIL_SENT).count() == 1
    # Delivered again: nothing more is sent; nor a confirmation while it is unpaid.
    assert tasks.send_order_received(order.pk) is False
    assert tasks.send_order_confirmation(order.pk) is False
    assert len(mail.outbox) == 1


def test_customers_get_a_link_to_their_account(variant, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order = place(variant, user=user, email=user.email)
    assert f"/account/orders/{order.number}/" in mail.outbox[0].body
    assert "/orders/view/" not in mail.outbox[0].body


def test_payment_sends_one_receipt_with_the_card(variant, django_capture_on_commit_callbacks):
    order = place(variant)
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.start_payment(order=order, payment_data=CARD)
    receipts = [m for m in mail.outbox if "Receipt" in m.subject]
    assert len(receipts) == 1
    assert "$45.00" in receipts[0].body and "Visa •••• 4242" in receipts[0].body
    assert payment_tasks.send_payment_receipt(order.pk) is False
    assert len([m for m in mail.outbox if "Receipt" in m.subject]) == 1


def test_unpaid_order_expires_releases_stock_and_says_so(variant,
                                                         django_capture_on_commit_callbacks):
    order = place(variant)
    paid = place(variant, email="b@example.com")
    payment_services.start_payment(order=paid, payment_data=CARD)
    future = place(variant, email="c@example.com")
    Order.objects.filter(pk__in=[order.pk, paid.pk]).update(
        payment_due_by=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.cancel_expired_unpaid_orders() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert Order.objects.get(pk=paid.pk).status == Order.Status.OPEN
    assert Order.objects.get(pk=future.pk).status == Order.Status.OPEN
    assert StockLevel.objects.get(variant=variant).allocated == 4  # paid + future
    cancellation = [m for m in mail.outbox if "canceled" in m.subject]
    assert len(cancellation) == 1 and "You were not charged" in cancellation[0].body
    # Running it again moves no stock and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.cancel_expired_unpaid_orders() == 0
    assert StockLevel.objects.get(variant=variant).allocated == 4
    assert len([m for m in mail.outbox if "canceled" in m.subject]) == 1


def test_broker_down_does_not_lose_the_email(variant, monkeypatch,
                                             django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.send_order_received, "delay", broker_down)
    monkeypatch.setattr(tasks.send_order_confirmation, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(variant)  # placing still succeeds
    assert Order.objects.filter(pk=order.pk).exists()
    assert mail.outbox == []
    monkeypatch.undo()
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(minutes=10))
    result = tasks.sweep_order_work()
    assert result["received"] == 1 and result["confirmations"] == 0
    assert len(mail.outbox) == 1 and "awaiting payment" in mail.outbox[0].subject
    assert tasks.sweep_order_work()["received"] == 0
    # Paid while the broker was down: the sweep sends the confirmation, once.
    monkeypatch.setattr(tasks.send_order_confirmation, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.start_payment(order=order, payment_data=CARD)
    monkeypatch.undo()
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(minutes=10))
    assert tasks.sweep_order_work()["confirmations"] == 1
    assert [m for m in mail.outbox if f"Order {order.number} confirmed" in m.subject]
    assert tasks.sweep_order_work()["confirmations"] == 0


def test_sweep_releases_stock_still_held_by_a_canceled_order(variant):
    order = place(variant)
    # A canceled order whose allocations survived (as if written by an older version).
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELED)
    assert tasks.sweep_order_work()["released"] == 1
    assert StockLevel.objects.get(variant=variant).allocated == 0
    assert tasks.sweep_order_work()["released"] == 0


def test_receipt_sweep_sends_missing_receipts(variant):
    order = place(variant)
    payment_services.start_payment(order=order, payment_data=CARD)  # callbacks not run
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(minutes=10))
    assert payment_tasks.sweep_payment_work() == 1
    assert len([m for m in mail.outbox if "Receipt" in m.subject]) == 1
    assert payment_tasks.sweep_payment_work() == 0


def test_cancel_by_staff_refunds_and_mails(variant, django_capture_on_commit_callbacks):
    order = place(variant)
    payment_services.start_payment(order=order, payment_data=CARD)
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.cancel_and_settle(order=order, reason="Out of stock at the warehouse")
    message = next(m for m in mail.outbox if "canceled" in m.subject)
    assert "refunded your payment in full" in message.body
