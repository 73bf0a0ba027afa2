"""Staff decide on a requested return: approve it (with a prepaid label or drop-off, to
a warehouse) or reject it; the prepaid label is made after approval."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from fulfillment.carriers.local import RETURN_PREFIX, tracking_number_for
from fulfillment.models import Shipment
from fulfillment.pdf import label_pdf, warehouse_lines
from inventory.models import Warehouse
from kernel.errors import InvalidTransition
from orders.models import OrderEvent

from .. import signals
from ..exceptions import ReturnInvalid
from ..locks import return_for_update
from ..models import ReturnRequest
from .timeline import move_to, record_step

State = ReturnRequest.State


def approve_return(*, return_id: int, method: str = "", warehouse_id: int | None = None,
                   message: str = "", actor=None) -> ReturnRequest:
    """Accept a requested return. The parcel comes back by ``method`` (default
    SHOP_RETURN_METHOD) to ``warehouse_id`` (default: the warehouse that shipped it). A
    prepaid label is made by a task after commit; then the shopper is emailed."""
    method = method or settings.SHOP_RETURN_METHOD
    if method not in ReturnRequest.Method.values:
        raise ReturnInvalid("Choose a prepaid label or drop-off.")
    with transaction.atomic():
        return_request = return_for_update(return_id)
        return_request.ensure_can_become(State.APPROVED)
        warehouse = return_warehouse(return_request, warehouse_id)
        return_request.method, return_request.warehouse = method, warehouse
        return_request.staff_message = message.strip()[:500]
        return_request.approved_at = timezone.now()
        method = return_request.get_method_display().lower()
        move_to(return_request, State.APPROVED,
                f"Return approved: {method} to {warehouse.name}.", actor=actor,
                order_event=OrderEvent.Type.RETURN_APPROVED)
        return return_request


def return_warehouse(return_request: ReturnRequest, warehouse_id: int | None) -> Warehouse:
    if warehouse_id:
        warehouse = Warehouse.objects.filter(pk=warehouse_id, is_active=True).first()
        if warehouse is None:
            raise ReturnInvalid("Choose an active warehouse for the return.")
        return warehouse
    warehouse = default_return_warehouse(return_request)
    if warehouse is None:
        raise ReturnInvalid("No active warehouse can take the return.")
    return warehouse


def default_return_warehouse(return_request: ReturnRequest) -> Warehouse | None:
    """Where a return comes back to when staff don't choose: the active warehouse that
    delivered the order (its first delivered shipment's), else the first active one by
    priority. A read; the approve form names it."""
    shipment = (Shipment.objects.filter(order=return_request.order, state=Shipment.State.DELIVERED,
                                        warehouse__is_active=True)
                .select_related("warehouse").order_by("pk").first())
    return shipment.warehouse if shipment else \
        Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()


def reject_return(*, return_id: int, message: str, actor=None) -> ReturnRequest:
    """Turn a return down, with the reason the shopper is emailed."""
    if not (message or "").strip():
        raise ReturnInvalid("Tell the shopper why the return is rejected.")
    with transaction.atomic():
        return_request = return_for_update(return_id)
        if return_request.refund_requested_at is not None:
            # Its money is on the way back: the refund settles the return.
            raise InvalidTransition(f"A refund for {return_request.number} is being made; it "
                                    "can't be rejected.", code="refund_in_progress")
        return_request.ensure_can_become(State.REJECTED)
        return_request.staff_message = message.strip()[:500]
        return_request.closed_at = timezone.now()
        move_to(return_request, State.REJECTED,
                f"Return rejected: {return_request.staff_message}", actor=actor,
                order_event=OrderEvent.Type.RETURN_REJECTED)
        return return_request


def issue_return_label(*, return_id: int) -> ReturnRequest:
    """Make the approved return's prepaid label (the local couriers': shopper to warehouse)
    and store it. Safe to run twice: a return with a label keeps it."""
    return_request = ReturnRequest.objects.select_related("order__shipping_address",
                                               "warehouse").get(pk=return_id)
    if return_request.tracking_number or return_request.method != ReturnRequest.Method.LABEL or \
            return_request.state != State.APPROVED:
        return return_request
    tracking = tracking_number_for(return_request.pk, settings.SHOP_COUNTRY, prefix=RETURN_PREFIX)
    address = return_request.order.shipping_address or return_request.order.billing_address
    pdf = label_pdf(sender=address.lines(),
                    recipient=[f"{settings.SHOP_NAME} Returns",
                               *warehouse_lines(return_request.warehouse)],
                    tracking_number=tracking, service="Return",
                    footer=[f"{return_request.number} · Order {return_request.order.number}",
                            "Prepaid: no postage needed"])
    with transaction.atomic():
        return_request = return_for_update(return_id)
        if return_request.tracking_number:
            return return_request
        return_request.tracking_number = tracking
        return_request.label.save("label.pdf", ContentFile(pdf), save=False)  # name: uuid
        return_request.save()
        record_step(return_request, f"Prepaid return label {tracking} issued.")
        transaction.on_commit(partial(signals.return_label_issued.send, sender=ReturnRequest,
                                      return_id=return_request.pk))
        return return_request
