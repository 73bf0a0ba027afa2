"""Every write to stock goes through these functions. ``stock`` holds the ledger
primitives (receive, count, allocate, ship, write off); the other modules build the
inventory operations on them. Import from here: ``from inventory import services``."""

from .counts import approve_count, cancel_count, enter_counts, parse_skus, start_count
from .purchasing import (
    LineRequest,
    Receipt,
    add_to_draft,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    email_purchase_order,
    purchase_order_line_for_code,
    receive_purchase_order,
    send_purchase_order,
)
from .reorder import draft_reorders, order_quantity, round_to_pack, send_low_stock_digest
from .stock import (
    INBOUND_KINDS,
    adjust_stock_count,
    allocate_units,
    allocate_units_of_levels,
    hold_units,
    receive_first_stock,
    receive_stock,
    release_held_units,
    release_units,
    set_safety_stock,
    ship_units,
    write_off_held_units,
    write_off_stock,
)
from .transfers import cancel_transfer, create_transfer, dispatch_transfer, receive_transfer

__all__ = [
    "INBOUND_KINDS",
    "hold_units",
    "release_held_units",
    "set_safety_stock",
    "write_off_held_units",
    "LineRequest",
    "Receipt",
    "add_to_draft",
    "adjust_stock_count",
    "allocate_units",
    "allocate_units_of_levels",
    "approve_count",
    "cancel_count",
    "cancel_purchase_order",
    "cancel_transfer",
    "close_purchase_order",
    "create_purchase_order",
    "create_transfer",
    "dispatch_transfer",
    "draft_reorders",
    "email_purchase_order",
    "enter_counts",
    "order_quantity",
    "parse_skus",
    "purchase_order_line_for_code",
    "receive_purchase_order",
    "receive_first_stock",
    "receive_stock",
    "receive_transfer",
    "release_units",
    "round_to_pack",
    "send_low_stock_digest",
    "send_purchase_order",
    "ship_units",
    "start_count",
    "write_off_stock",
]
