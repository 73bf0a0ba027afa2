"""Order signals that payments act on, through tasks."""

from __future__ import annotations

from kernel.enqueue import enqueue
from orders import signals

from . import tasks
from .signals import refunds_recorded


def on_order_paid(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.send_payment_receipt, order_id)


def on_order_canceled(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.void_open_payments, order_id)


def on_refunds_recorded(sender, call_ids: list[int], **kwargs) -> None:
    enqueue(tasks.make_recorded_refunds, call_ids)


def connect() -> None:
    signals.order_paid.connect(on_order_paid, dispatch_uid="payments.receipt")
    signals.order_canceled.connect(on_order_canceled, dispatch_uid="payments.void")
    refunds_recorded.connect(on_refunds_recorded, dispatch_uid="payments.refunds_recorded")
