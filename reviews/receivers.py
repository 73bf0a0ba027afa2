"""A delivered shipment to the review invitation task (enqueue only; the task decides
whether the whole order is delivered and whether to write)."""

from __future__ import annotations

from fulfillment import signals as fulfillment_signals
from fulfillment.models import Shipment
from kernel.enqueue import enqueue

from . import tasks


def on_shipment_status_changed(sender, shipment_id: int, status: str, **kwargs) -> None:
    if status != Shipment.State.DELIVERED:
        return
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is not None:
        enqueue(tasks.send_review_invitation, order_id)


def connect() -> None:
    fulfillment_signals.shipment_status_changed.connect(
        on_shipment_status_changed, dispatch_uid="reviews.invitation")
