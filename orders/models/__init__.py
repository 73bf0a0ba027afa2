"""Carts, checkout, orders, order lines, allocations, the order timeline, shipping methods,
vouchers and tax rates.

Orders carry three separate statuses (``status``, ``payment_status``,
``fulfillment_status``); each move is a service in ``orders.services`` that locks the
order, checks the allowed transitions declared here, and appends an ``OrderEvent``.
"""

from kernel.money import MONEY

from .addresses import Address
from .carts import Cart, CartLine
from .discounts import Voucher, VoucherUse
from .events import OrderEvent, OrderNotification
from .invoices import Invoice, InvoiceSequence
from .orders import Allocation, Order, OrderLine
from .shipping import ShippingMethod, ShippingWeightTier, ShippingZone, TaxRate
from .shortfalls import StockShortfall

__all__ = [
    "MONEY",
    "Address",
    "ShippingZone",
    "ShippingMethod",
    "ShippingWeightTier",
    "TaxRate",
    "Voucher",
    "VoucherUse",
    "Cart",
    "CartLine",
    "Order",
    "OrderLine",
    "Allocation",
    "OrderEvent",
    "OrderNotification",
    "Invoice",
    "InvoiceSequence",
    "StockShortfall",
]
