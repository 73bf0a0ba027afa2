"""The ``data`` of each event: a snapshot taken when the event is emitted. Money is a
decimal string with its currency; no order tokens or other secrets leave the shop."""

from __future__ import annotations

from fulfillment.models import Shipment
from inventory.models import StockLevel
from orders.models import Order
from returns.models import ReturnRequest


def _when(value) -> str | None:
    return value.isoformat() if value else None


def order_data(order: Order) -> dict:
    address = order.shipping_address
    return {
        "number": order.number, "email": order.email, "status": order.status,
        "payment_status": order.payment_status,
        "fulfillment_status": order.fulfillment_status, "currency": order.currency,
        "subtotal": str(order.subtotal), "shipping": str(order.shipping_amount),
        "tax": str(order.tax_amount), "total": str(order.total),
        "shipping_method": order.shipping_method_name, "placed_at": _when(order.placed_at),
        "shipping_address": address.as_dict() if address else None,
        "lines": [{"sku": line.sku, "product": line.product_name,
                   "variant": line.variant_name, "quantity": line.quantity,
                   "unit_price": str(line.unit_price), "total": str(line.total)}
                  for line in order.lines.order_by("pk")],
    }


def shipment_data(shipment: Shipment) -> dict:
    return {
        "number": shipment.number, "order": shipment.order.number, "state": shipment.state,
        "carrier": shipment.carrier, "service": shipment.service,
        "tracking_number": shipment.tracking_number, "warehouse": shipment.warehouse.code,
        "shipped_at": _when(shipment.shipped_at), "delivered_at": _when(shipment.delivered_at),
        "lines": [{"sku": line.order_line.sku, "quantity": line.quantity}
                  for line in shipment.lines.select_related("order_line").order_by("pk")],
    }


def return_data(return_request: ReturnRequest) -> dict:
    return {
        "number": return_request.number, "order": return_request.order.number,
        "state": return_request.state, "resolution": return_request.resolution,
        "tracking_number": return_request.tracking_number,
        "lines": [{"sku": line.order_line.sku, "quantity": line.quantity,
                   "reason": line.reason}
                  for line in return_request.lines.select_related("order_line").order_by("pk")],
    }


def stock_data(level: StockLevel, *, threshold: int) -> dict:
    return {"sku": level.variant.sku, "warehouse": level.warehouse.code,
            "on_hand": level.on_hand, "allocated": level.allocated,
            "available": level.on_hand - level.allocated, "threshold": threshold}
