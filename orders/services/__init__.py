"""Every write to carts, checkouts and orders. Views, API, admin, tasks call these."""

from ..locks import CartKey
from .addresses import delete_address, save_address
from .cart import add_to_cart, get_or_create_cart, merge_carts, remove_from_cart, set_cart_quantity
from .checkout import (
    apply_voucher,
    remove_voucher,
    set_billing_address,
    set_checkout_email,
    set_shipping_address,
    set_shipping_method,
)
from .events import record_event
from .fulfillment import cancel_unshipped_units, record_delivered, record_shipped
from .invoices import issue_invoice
from .lifecycle import (
    cancel_expired_unpaid_order,
    cancel_order,
    canceled_unsettled_order_ids,
    expired_unpaid_order_ids,
    extend_payment_deadline,
    hold_for_dispute,
    hold_for_gateway_refund,
    hold_for_review,
    record_order_event,
    record_order_payment,
    record_risk,
    release_hold,
    release_order_stock,
    request_cancel,
    withdraw_cancel_request,
)
from .placing import allocate_lines, place_order, settle_zero_total_order
from .returns import place_replacement_order, record_returned
from .stock_shortfalls import (
    StockShortfallError,
    answer_substitute,
    backorder,
    close_canceled_shortfall,
    expected_restock_date,
    fulfil_from_warehouse,
    offer_substitute,
    open_shortfall_ids,
    retry_allocation,
    shortfall_from_signature,
    substitute_signature,
)
from .vouchers import update_voucher

__all__ = [
    "CartKey",
    "update_voucher",
    "issue_invoice",
    "cancel_unshipped_units", "record_delivered", "record_shipped",
    "delete_address", "save_address",
    "add_to_cart", "get_or_create_cart", "merge_carts", "remove_from_cart", "set_cart_quantity",
    "apply_voucher", "remove_voucher", "set_billing_address", "set_checkout_email",
    "set_shipping_address", "set_shipping_method", "record_event", "cancel_expired_unpaid_order",
    "cancel_order", "expired_unpaid_order_ids", "extend_payment_deadline", "hold_for_dispute",
    "hold_for_gateway_refund", "hold_for_review",
    "record_order_event", "record_order_payment", "record_risk", "release_hold",
    "release_order_stock", "request_cancel", "withdraw_cancel_request",
    "canceled_unsettled_order_ids", "allocate_lines", "place_order", "settle_zero_total_order",
    "place_replacement_order",
    "record_returned", "StockShortfallError", "answer_substitute", "backorder",
    "close_canceled_shortfall", "shortfall_from_signature", "expected_restock_date",
    "fulfil_from_warehouse",
    "offer_substitute", "open_shortfall_ids", "retry_allocation", "substitute_signature",
]
