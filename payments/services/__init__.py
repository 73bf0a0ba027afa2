"""Every change to a payment, by concept:

- ``starting``: pay an order, finish authentication, sync with the gateway, keep the stock
  of orders whose payment is under way;
- ``capture``: capture and void (a payment, an order's authorized payment, at shipment);
- ``refunds``: refund a captured payment;
- ``settlement``: cancel an order with its money settled (the intent recorded first, then
  void or refund outside the transaction, then the order canceled; a sweep finishes it);
- ``partial_cancel``: the refund of the units a cancel after shipping stops, recorded with
  the cancel and made after commit;
- ``gateway_reports``: what a gateway reports on its own (webhooks);
- ``reconciliation``: the money consistency check's repairs (payment status, money a
  canceled order holds, a refund's reason, a payment stuck live);
- ``recording``: the shared bookkeeping of a gateway's answer (internal).

Gateways are never called inside a transaction or while a row lock is held (see
``recording``). Callers import from ``payments.services``.
"""

from .capture import (
    capture_at_shipment,
    capture_order_payment,
    capture_payment,
    void_canceled_order_payment,
    void_payment,
)
from .gateway_reports import move_payment, record_gateway_risk, set_refunded_total
from .partial_cancel import make_cancellation_refunds, record_cancellation_refunds
from .reconciliation import (
    expected_payment_status,
    live_payment_deadline,
    reconcile_payment_status,
    record_refund_reason,
    refund_canceled_order,
    settle_stuck_payment,
)
from .recording import SCREENED_STATES
from .refunds import ensure_may_refund, refund_payment
from .settlement import (
    cancel_and_settle,
    cancel_held_order,
    cancel_stock_shortfall,
    finish_calls_in_flight,
    finish_requested_cancels,
    settle_requested_cancel,
)
from .starting import confirm_authentication, keep_live_holds, start_payment, sync_payment

__all__ = [
    "SCREENED_STATES", "cancel_and_settle", "cancel_held_order", "cancel_stock_shortfall",
    "ensure_may_refund", "expected_payment_status", "live_payment_deadline",
    "reconcile_payment_status", "record_refund_reason", "refund_canceled_order",
    "settle_stuck_payment", "finish_requested_cancels", "settle_requested_cancel",
    "finish_calls_in_flight", "make_cancellation_refunds", "record_cancellation_refunds",
    "capture_at_shipment", "capture_order_payment", "capture_payment", "confirm_authentication",
    "keep_live_holds", "move_payment", "record_gateway_risk", "refund_payment",
    "set_refunded_total", "start_payment", "sync_payment", "void_payment",
    "void_canceled_order_payment",
]
