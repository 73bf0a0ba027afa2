"""One reminder before an unpaid order lapses: found by the beat task, sent through the
notification claim, never twice and never for an order that was paid or canceled."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders import services, tasks
from orders.models import Order, OrderNotification
from payments import services as payment_services
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Linen Apron"), price="25.00", stock=20)


def place(variant, email, due_in_minutes):
    order = services.place_order(cart=ready_cart(variants={variant: 1}, email=email))
    Order.objects.filter(pk=order.pk).update(
        payment_due_by=timezone.now() + timedelta(minutes=due_in_minutes))
    return order


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """The beat task, with what it queues (after commit) run."""
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.remind_unpaid_orders()
    return run


def reminders():
    return [m for m in mail.outbox if "still waiting for payment" in m.subject]


def test_one_reminder_only_for_orders_close_to_their_deadline(settings, variant, remind):
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 10
    soon = place(variant, "soon@example.com", due_in_minutes=5)
    later = place(variant, "later@example.com", due_in_minutes=25)
    lapsed = place(variant, "lapsed@example.com", due_in_minutes=-1)
    mail.outbox.clear()

    assert remind() == 1
    [message] = reminders()
    assert message.to == ["soon@example.com"]
    assert f"Order {soon.number} is still waiting for payment" in message.subject
    assert "only reminder" in message.body and "/orders/view/" in message.body
    assert OrderNotification.objects.get(
        order=soon, kind=OrderNotification.Kind.PAYMENT_REMINDER).sent_at is not None
    # Run again, and again after the deadline was extended (a payment under way): still one.
    assert remind() == 0
    services.extend_payment_deadline(order_id=soon.pk,
                                     until=timezone.now() + timedelta(minutes=8))
    assert remind() == 0
    assert tasks.send_payment_reminder(soon.pk) is False
    assert len(reminders()) == 1
    assert not OrderNotification.objects.filter(
        order__in=[later, lapsed], kind=OrderNotification.Kind.PAYMENT_REMINDER).exists()


def test_no_reminder_for_an_order_paid_or_canceled_meanwhile(settings, variant, remind):
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 10
    paid = place(variant, "paid@example.com", due_in_minutes=5)
    payment_services.start_payment(order=paid, payment_data=CARD)
    canceled = place(variant, "canceled@example.com", due_in_minutes=5)
    services.cancel_order(order_id=canceled.pk, reason="Changed my mind")
    mail.outbox.clear()
    assert remind() == 0
    # A reminder task that was queued before the payment landed sends nothing either.
    assert tasks.send_payment_reminder(paid.pk) is False
    assert tasks.send_payment_reminder(canceled.pk) is False
    assert reminders() == []


def test_the_window_is_a_setting(settings, variant, remind):
    order = place(variant, "ada@example.com", due_in_minutes=20)
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 10
    assert remind() == 0
    settings.SHOP_PAYMENT_REMINDER_MINUTES = 25
    assert remind() == 1
    assert OrderNotification.objects.filter(
        order=order, kind=OrderNotification.Kind.PAYMENT_REMINDER, sent_at__isnull=False
    ).exists()


def test_paying_sends_the_confirmation_once(variant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(variant, "ada@example.com", due_in_minutes=30)
    assert [m.subject.split(": ", 1)[1] for m in mail.outbox] == [
        f"Order {order.number} received, awaiting payment"]
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.start_payment(order=order, payment_data=CARD)
    confirmed = [m for m in mail.outbox if f"Order {order.number} confirmed" in m.subject]
    assert len(confirmed) == 1 and "paid and confirmed" in confirmed[0].body
    assert tasks.send_order_confirmation(order.pk) is False
