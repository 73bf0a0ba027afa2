"""Order, shipment and return signals -> one task queueing the order concerned for the next
dashboard flush (``refresh_queue``: every order queued meanwhile, refreshed together); a cart
recovery written or deleted (a cart erased takes its recoveries with it) -> the same for the
orders placed from its restored cart (their RecoveredOrderFact); a cart reminder sent, or
its email deleted, its CartReminder written or deleted -> that day's DailyCartReminders.

Receivers only enqueue (``kernel.enqueue``: with the broker down the refresh is recorded
and resent); the nightly rebuild catches up on anything else.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete

from fulfillment.signals import shipment_status_changed
from kernel.enqueue import enqueue
from marketing.models import CartRecovery, CartReminder, MarketingEmail
from marketing.recovery import KIND as CART_REMINDER
from orders.signals import order_canceled, order_paid, order_refunded
from returns.signals import return_state_changed

from . import tasks
from .marketing_rollups import orders_with_restored_cart, reminder_day
from .periods import local_day


def on_order_event(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.queue_order_kpis, order_id=order_id)


def on_shipment_status_changed(sender, shipment_id: int, **kwargs) -> None:
    enqueue(tasks.queue_order_kpis, shipment_id=shipment_id)


def on_return_state_changed(sender, return_id: int, **kwargs) -> None:
    enqueue(tasks.queue_order_kpis, return_id=return_id)


def on_cart_recovery_changed(sender, instance: CartRecovery, **kwargs) -> None:
    # Read now (before a delete takes the restored cart too); enqueue waits for the commit.
    for order_id in orders_with_restored_cart(instance.restored_cart_id):
        enqueue(tasks.queue_order_kpis, order_id=order_id)


def _refresh_reminder_day(day) -> None:
    if day is not None:
        enqueue(tasks.refresh_cart_reminder_days, days=[day.isoformat()])


def on_marketing_email_saved(sender, instance: MarketingEmail, **kwargs) -> None:
    if instance.kind == CART_REMINDER and instance.sent_at is not None:
        _refresh_reminder_day(local_day(instance.sent_at))


def on_cart_reminder_changed(sender, instance: CartReminder, **kwargs) -> None:
    _refresh_reminder_day(reminder_day(instance.email_id))


def connect() -> None:
    order_paid.connect(on_order_event, dispatch_uid="dashboard.order_paid")
    order_canceled.connect(on_order_event, dispatch_uid="dashboard.order_canceled")
    # Any refund (a return, the order admin, a Stripe dashboard refund via its webhook).
    order_refunded.connect(on_order_event, dispatch_uid="dashboard.order_refunded")
    shipment_status_changed.connect(on_shipment_status_changed,
                                    dispatch_uid="dashboard.shipment_status")
    return_state_changed.connect(on_return_state_changed, dispatch_uid="dashboard.return_state")
    post_save.connect(on_cart_recovery_changed, sender=CartRecovery,
                      dispatch_uid="dashboard.cart_recovery_saved")
    pre_delete.connect(on_cart_recovery_changed, sender=CartRecovery,
                       dispatch_uid="dashboard.cart_recovery_deleted")
    post_save.connect(on_marketing_email_saved, sender=MarketingEmail,
                      dispatch_uid="dashboard.marketing_email_saved")
    post_delete.connect(on_marketing_email_saved, sender=MarketingEmail,
                        dispatch_uid="dashboard.marketing_email_deleted")
    post_save.connect(on_cart_reminder_changed, sender=CartReminder,
                      dispatch_uid="dashboard.cart_reminder_saved")
    post_delete.connect(on_cart_reminder_changed, sender=CartReminder,
                        dispatch_uid="dashboard.cart_reminder_deleted")
