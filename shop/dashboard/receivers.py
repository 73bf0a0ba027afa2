"""Order, shipment and return signals -> one refresh task for the order concerned.

Receivers only enqueue (``kernel.enqueue``: with the broker down the refresh is recorded
and resent); the nightly rebuild catches up on anything else.
"""

from __future__ import annotations

from fulfillment.signals import shipment_status_changed
from kernel.enqueue import enqueue
from orders.signals import order_canceled, order_paid, order_refunded
from returns.signals import return_state_changed

from . import tasks


def on_order_event(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.refresh_order_kpis, order_id=order_id)


def on_shipment_status_changed(sender, shipment_id: int, **kwargs) -> None:
    enqueue(tasks.refresh_order_kpis, shipment_id=shipment_id)


def on_return_state_changed(sender, return_id: int, **kwargs) -> None:
    enqueue(tasks.refresh_order_kpis, return_id=return_id)


def connect() -> None:
    order_paid.connect(on_order_event, dispatch_uid="dashboard.order_paid")
    order_canceled.connect(on_order_event, dispatch_uid="dashboard.order_canceled")
    # Any refund (a return, the order admin, a Stripe dashboard refund via its webhook).
    order_refunded.connect(on_order_event, dispatch_uid="dashboard.order_refunded")
    shipment_status_changed.connect(on_shipment_status_changed,
                                    dispatch_uid="dashboard.shipment_status")
    return_state_changed.connect(on_return_state_changed, dispatch_uid="dashboard.return_state")
