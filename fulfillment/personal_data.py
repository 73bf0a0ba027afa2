"""What fulfillment holds about a person: the shipments of their orders and where they went.
Registered with ``kernel.personal_data`` in ``FulfillmentConfig.ready``.

Erasure keeps the shipment records stock and carriers' invoices need (what left which
warehouse when, tracking numbers) and drops who took the parcel and the label file (it
prints the name and street). Runs before the orders section."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from kernel.personal_data import Subject, register_personal_data
from orders.personal_data import subject_orders

from .models import Shipment, ShipmentLine


def _shipments(subject: Subject):
    return Shipment.objects.filter(order__in=subject_orders(subject).values("pk"))


def export_shipments(subject: Subject) -> list[dict]:
    """Two queries: shipments with their order, then their lines."""
    shipments = list(_shipments(subject).select_related("order").order_by("created_at", "pk"))
    lines = ShipmentLine.objects.filter(shipment__in=[s.pk for s in shipments]).select_related(
        "order_line").order_by("shipment_id", "pk")
    by_shipment: dict[int, list[dict]] = {}
    for line in lines:
        by_shipment.setdefault(line.shipment_id, []).append(
            {"sku": line.order_line.sku, "product": line.order_line.description,
             "quantity": line.quantity})
    return [{"number": shipment.number, "order": shipment.order.number,
             "state": shipment.state, "carrier": shipment.get_carrier_display(),
             "service": shipment.service, "tracking_number": shipment.tracking_number,
             "shipped_at": shipment.shipped_at, "delivered_at": shipment.delivered_at,
             "delivered_to": shipment.delivered_to,
             "estimated_delivery": shipment.estimated_delivery,
             "lines": by_shipment.get(shipment.pk, [])}
            for shipment in shipments]


def _delete_files(names: list[str], storage) -> None:
    for name in names:
        storage.delete(name)


def erase_shipments(subject: Subject) -> None:
    shipments = _shipments(subject)
    labels = [s.label for s in shipments.exclude(label="").only("label")]
    shipments.update(delivered_to="", label="")
    if labels:
        # Files are not transactional: deleted once the erasure has committed.
        transaction.on_commit(partial(_delete_files, [label.name for label in labels],
                                      labels[0].storage))


def register() -> None:
    register_personal_data("shipments", export=export_shipments, erase=erase_shipments,
                           order=55)
