"""Every write to stock goes through these functions. ``stock`` holds the ledger
primitives (receive, count, allocate, ship, write off); the other modules build the
inventory operations on them. Import from here: ``from inventory import services``."""

from .stock import (
    INBOUND_KINDS,
    adjust_stock_count,
    allocate_units,
    receive_stock,
    release_units,
    ship_units,
    write_off_stock,
)

__all__ = [
    "INBOUND_KINDS",
    "adjust_stock_count",
    "allocate_units",
    "receive_stock",
    "release_units",
    "ship_units",
    "write_off_stock",
]
