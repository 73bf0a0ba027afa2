"""Return and shipment signals to return tasks (enqueue only)."""

from __future__ import annotations

from fulfillment import signals as fulfillment_signals
from fulfillment import tasks as fulfillment_tasks
from fulfillment.models import Shipment
from kernel.enqueue import enqueue

from . import signals, tasks
from .models import ReturnNotification, ReturnRequest

State = ReturnRequest.State


def on_state_changed(sender, return_id: int, state: str, **kwargs) -> None:
    return_request = ReturnRequest.objects.only("method", "replacement_order_id").get(
        pk=return_id)
    if state == State.APPROVED:
        if return_request.method == ReturnRequest.Method.LABEL:
            enqueue(tasks.issue_return_label, return_id)  # then the email, with the label
        else:
            enqueue(tasks.send_return_notification, return_id, ReturnNotification.Kind.APPROVED)
    elif state in tasks.EMAIL_FOR_STATE:
        enqueue(tasks.send_return_notification, return_id, tasks.EMAIL_FOR_STATE[state])
    if state == State.INSPECTED:
        enqueue(tasks.restock_return, return_id)
    if state == State.EXCHANGED and return_request.replacement_order_id:
        enqueue(fulfillment_tasks.create_shipments, return_request.replacement_order_id)


def on_label_issued(sender, return_id: int, **kwargs) -> None:
    enqueue(tasks.send_return_notification, return_id, ReturnNotification.Kind.APPROVED)


def on_refund_requested(sender, return_id: int, **kwargs) -> None:
    enqueue(tasks.execute_refund, return_id)


def on_shipment_status_changed(sender, shipment_id: int, status: str, **kwargs) -> None:
    if status != Shipment.State.SHIPPED:
        return
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    return_request = ReturnRequest.objects.filter(
        replacement_order_id=order_id).only("pk").first() if order_id else None
    if return_request is not None:
        enqueue(tasks.send_return_notification, return_request.pk,
                ReturnNotification.Kind.EXCHANGE_SHIPPED)


def connect() -> None:
    signals.return_state_changed.connect(on_state_changed, dispatch_uid="returns.state")
    signals.return_label_issued.connect(on_label_issued, dispatch_uid="returns.label")
    signals.return_refund_requested.connect(on_refund_requested, dispatch_uid="returns.refund")
    fulfillment_signals.shipment_status_changed.connect(
        on_shipment_status_changed, dispatch_uid="returns.exchange_shipped")
