"""Warehouses, stock levels, the stock ledger, purchasing, transfers and counts."""

from .counts import StockCount, StockCountLine
from .purchasing import (
    LowStockDigest,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    ReorderRule,
    Supplier,
    SupplierPrice,
)
from .stock import StockLevel, StockMovement, UnsellableChange, Warehouse
from .transfers import StockTransfer, StockTransferLine

__all__ = [
    "Warehouse",
    "StockLevel",
    "UnsellableChange",
    "StockMovement",
    "Supplier",
    "SupplierPrice",
    "ReorderRule",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderEvent",
    "LowStockDigest",
    "StockTransfer",
    "StockTransferLine",
    "StockCount",
    "StockCountLine",
]
