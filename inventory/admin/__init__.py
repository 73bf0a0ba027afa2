"""Inventory admin: stock levels and the ledger (``stock``), purchasing (suppliers, reorder
rules, purchase orders and receiving), transfers, cycle counts, and the stock reports
(history, slow movers and clearance). Every write goes through ``inventory.services`` or
``catalog.services``; each screen checks the permission of its step."""

from . import counts, purchasing, reports, stock, transfers  # noqa: F401  (registers)
