"""Every change to a return, by step: the shopper asks (``requesting``), staff approve or
reject and a prepaid label is made (``approval``), the parcel is received, inspected and
restocked (``inspection``), then refunded (``refunds``) or exchanged (``exchanges``).

Each transition locks the return (always before its order, ``returns.locks``), checks
``ReturnRequest.TRANSITIONS``, writes the new state, a ``ReturnEvent`` and an event on the
order's timeline, and sends ``return_state_changed`` after commit (``timeline``). Gateways
and carriers are never called inside a transaction. Staff's cancel of an order, which
becomes a return for what has shipped, is ``cancel_after_shipping``. Callers import from
``returns.services``.
"""

from .approval import approve_return, default_return_warehouse, issue_return_label, reject_return
from .cancel_after_shipping import CancelOutcome, cancel_order_or_return
from .exchanges import exchange_return
from .inspection import (
    Inspection,
    inspect_return,
    receive_by_scan,
    receive_return,
    restock_return,
)
from .refunds import execute_refund, refund_headroom, refund_return, refundable_on_order
from .requesting import RequestedLine, request_return

__all__ = [
    "CancelOutcome", "Inspection", "RequestedLine", "approve_return", "cancel_order_or_return",
    "default_return_warehouse",
    "exchange_return", "execute_refund", "inspect_return", "issue_return_label",
    "receive_by_scan", "receive_return", "refund_headroom", "refund_return",
    "refundable_on_order",
    "reject_return", "request_return", "restock_return",
]
