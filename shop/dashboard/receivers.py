"""Order, shipment and return signals -> one refresh task for the order concerned.

Receivers only enqueue. A lost message (broker down) is caught by the nightly rebuild.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

from fulfillment.signals import shipment_status_changed
from orders.signals import order_canceled, order_paid, order_refunded
from returns.signals import return_state_changed

from . import tasks

logger = logging.getLogger(__name__)
BROKER_ERRORS = (OperationalError, ConnectionError, OSError)


def _enqueue(**ids) -> None:
    try:
        tasks.refresh_order_kpis.delay(**ids)
    except BROKER_ERRORS as error:
        logger.warning("Could not queue the KPI refresh for %s (%s); the nightly rebuild "
                       "will catch up", ids, error)


def on_order_event(sender, order_id: int, **kwargs) -> None:
    _enqueue(order_id=order_id)


def on_shipment_status_changed(sender, shipment_id: int, **kwargs) -> None:
    _enqueue(shipment_id=shipment_id)


def on_return_state_changed(sender, return_id: int, **kwargs) -> None:
    _enqueue(return_id=return_id)


def connect() -> None:
    order_paid.connect(on_order_event, dispatch_uid="dashboard.order_paid")
    order_canceled.connect(on_order_event, dispatch_uid="dashboard.order_canceled")
    # Any refund (a return, the order admin, a Stripe dashboard refund via its webhook).
    order_refunded.connect(on_order_event, dispatch_uid="dashboard.order_refunded")
    shipment_status_changed.connect(on_shipment_status_changed,
                                    dispatch_uid="dashboard.shipment_status")
    return_state_changed.connect(on_return_state_changed, dispatch_uid="dashboard.return_state")
