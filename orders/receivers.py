"""Order signals to tasks. Receivers only enqueue (``kernel.enqueue``: when the broker is
down the task is recorded and resent); the periodic sweep
(``orders.tasks.sweep_order_work``) also catches up on any work still missing."""

from __future__ import annotations

from kernel.enqueue import enqueue

from . import signals, tasks


def on_order_placed(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.send_order_received, order_id)


def on_order_paid(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.send_order_confirmation, order_id)


def on_order_canceled(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.send_order_cancellation, order_id)


def on_stock_shortfall_notice(sender, order_id: int, kind: str, **kwargs) -> None:
    enqueue(tasks.send_stock_shortfall_notice, order_id, kind)


def connect() -> None:
    signals.order_placed.connect(on_order_placed, dispatch_uid="orders.received")
    signals.order_paid.connect(on_order_paid, dispatch_uid="orders.confirmation")
    signals.order_canceled.connect(on_order_canceled, dispatch_uid="orders.cancellation")
    signals.stock_shortfall_notice.connect(on_stock_shortfall_notice,
                                           dispatch_uid="orders.stock_shortfall_notice")
