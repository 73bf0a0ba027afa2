"""Inventory signals to inventory tasks (enqueue only), connected in
``InventoryConfig.ready``."""

from __future__ import annotations

from kernel.enqueue import enqueue

from . import signals, tasks


def on_purchase_order_sent(sender, purchase_order_id: int, **kwargs) -> None:
    enqueue(tasks.email_purchase_order, purchase_order_id)


def connect() -> None:
    signals.purchase_order_sent.connect(on_purchase_order_sent,
                                        dispatch_uid="inventory.purchase_order_sent")
