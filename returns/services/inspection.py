"""The parcel comes back: received, inspected line by line (which proposes the refund),
and its stock moved through the ledger after inspection."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from inventory import locks as inventory_locks
from inventory import services as inventory_services
from inventory.models import StockMovement
from kernel.errors import NotFound
from kernel.money import Money, quantize
from orders import services as order_services
from orders.models import Order, OrderEvent

from ..exceptions import ReturnInvalid
from ..locks import return_for_update
from ..models import ReturnLine, ReturnRequest
from .approval import return_warehouse
from .timeline import move_to, record_step

State = ReturnRequest.State
Condition = ReturnLine.Condition


def receive_return(*, return_id: int, actor=None) -> ReturnRequest:
    """The parcel arrived at the warehouse."""
    with transaction.atomic():
        return_request = return_for_update(return_id)
        return_request.ensure_can_become(State.RECEIVED)
        return_request.received_at = timezone.now()
        where = f" at {return_request.warehouse.name}" if return_request.warehouse_id else ""
        move_to(return_request, State.RECEIVED, f"Parcel received{where}.", actor=actor,
                order_event=OrderEvent.Type.NOTE)
        return return_request


def receive_by_scan(*, code: str, actor=None) -> ReturnRequest:
    """A clerk scanned the return label's barcode or typed the RMA number."""
    code = (code or "").strip().upper()
    return_request = None
    if code and "\x00" not in code and len(code) <= 40:
        return_request = ReturnRequest.objects.filter(
            Q(number=code) | Q(tracking_number=code)).first()
    if return_request is None:
        raise NotFound(f"No return has the RMA or tracking number {code[:40] or '(empty)'}.")
    return receive_return(return_id=return_request.pk, actor=actor)


@dataclass(frozen=True)
class Inspection:
    return_line_id: int
    condition: str
    restock: bool = False
    warehouse_id: int | None = None


def inspect_return(*, return_id: int, inspections: list[Inspection], actor=None) -> ReturnRequest:
    """Record what came back, line by line: resellable (back on the shelf when ``restock``),
    damaged (written off) or missing (not refunded), and where it goes.

    Guarantees, in one transaction: every line inspected; the units that came back count as
    returned on the order (its fulfillment status follows); the refund is proposed from
    what the shopper paid for those units (price, discount share and tax), plus shipping
    when the whole order came back or the fault is the shop's, less the return-shipping
    and restocking fees when it isn't. The stock moves by a task after commit.
    """
    with transaction.atomic():
        return_request = return_for_update(return_id)
        return_request.ensure_can_become(State.INSPECTED)
        lines = {line.pk: line
                 for line in return_request.lines.select_related("order_line__variant")}
        given = {item.return_line_id: item for item in inspections}
        errors = {}
        for line_id, line in lines.items():
            item = given.get(line_id)
            if item is None or item.condition not in Condition.values:
                errors[line_id] = f"{line.order_line.sku}: choose its condition."
            elif item.restock and item.condition != Condition.RESELLABLE:
                errors[line_id] = f"{line.order_line.sku}: only resellable items go back " \
                                  "on the shelf."
            elif item.condition != Condition.MISSING and line.order_line.variant is None:
                if item.restock:
                    errors[line_id] = f"{line.order_line.sku}: the product no longer exists; " \
                                      "it can't be restocked."
        if set(given) - set(lines):
            raise NotFound("That item is not on this return.")
        if errors:
            raise ReturnInvalid("Inspection incomplete: " + " ".join(errors.values()),
                                errors=errors)
        accepted = []
        for line_id, line in lines.items():
            item = given[line_id]
            line.condition, line.restock = item.condition, item.restock
            line.restock_level = None
            if item.condition != Condition.MISSING and line.order_line.variant is not None:
                warehouse = return_warehouse(
                    return_request, item.warehouse_id or return_request.warehouse_id)
                line.restock_level = inventory_locks.stock_level_for_update(
                    variant_id=line.order_line.variant_id, warehouse_id=warehouse.pk)
            if item.condition != Condition.MISSING:
                accepted.append(line)
            line.refund_amount = _line_refund(line) if item.condition != Condition.MISSING \
                else Decimal("0")
            line.save(update_fields=["condition", "restock", "restock_level", "refund_amount"])
        if accepted:
            order_services.record_returned(
                order_id=return_request.order_id,
                lines=[(line.order_line_id, line.quantity) for line in accepted],
                message=f"{return_request.number}: "
                        f"{sum(line.quantity for line in accepted)} item(s) came back.",
                actor=actor)
        return_request.order.refresh_from_db()
        _propose_refund(return_request, list(lines.values()), accepted)
        return_request.inspected_at = timezone.now()
        summary = ", ".join(f"{line.quantity} × {line.order_line.sku} "
                            f"{line.get_condition_display().lower()}" for line in lines.values())
        proposed = Money(return_request.proposed_refund, return_request.order.currency)
        move_to(return_request, State.INSPECTED,
                f"Inspected: {summary}. Proposed refund {proposed}.", actor=actor,
                order_event=OrderEvent.Type.RETURN_INSPECTED)
        return return_request


def _line_refund(line: ReturnLine) -> Decimal:
    """What the shopper paid for these units: the line's total (after its discount share,
    with tax) pro rata; the last units of a line take what is left, so refunds of a line
    add up to exactly its total."""
    order_line = line.order_line
    earlier = (ReturnLine.objects.filter(order_line=order_line, condition__in=[
        Condition.RESELLABLE, Condition.DAMAGED]).exclude(pk=line.pk)
        .exclude(return_request__state=State.REJECTED))
    earlier_units = earlier.aggregate(total=Sum("quantity"))["total"] or 0
    earlier_amount = earlier.aggregate(total=Sum("refund_amount"))["total"] or Decimal("0")
    if earlier_units + line.quantity >= order_line.quantity:
        return order_line.total - earlier_amount
    return quantize(order_line.total * line.quantity / order_line.quantity,
                    order_line.order.currency)


def _propose_refund(return_request: ReturnRequest, lines: list[ReturnLine],
                    accepted: list[ReturnLine]) -> None:
    order = return_request.order
    currency = order.currency
    return_request.items_amount = sum((line.refund_amount for line in lines), Decimal("0"))
    shop_fault = any(line.is_shop_fault for line in accepted)
    everything_back = order.fulfillment_status == Order.FulfillmentStatus.RETURNED
    return_request.shipping_refund = Decimal("0")
    if accepted and (shop_fault or everything_back):
        shipping_paid = order.total - sum((line.total for line in order.lines.all()),
                                          Decimal("0"))
        already = (ReturnRequest.objects.filter(order=order).exclude(pk=return_request.pk)
                   .exclude(state=State.REJECTED)
                   .aggregate(total=Sum("shipping_refund"))["total"] or Decimal("0"))
        return_request.shipping_refund = max(shipping_paid - already, Decimal("0"))
    if accepted and not shop_fault:
        if return_request.method == ReturnRequest.Method.LABEL:
            return_request.return_shipping_fee = quantize(
                Decimal(settings.SHOP_RETURN_SHIPPING_FEE), currency)
        return_request.restocking_fee = quantize(
            return_request.items_amount * Decimal(settings.SHOP_RESTOCKING_FEE_PERCENT) / 100,
            currency)
    else:
        return_request.return_shipping_fee = return_request.restocking_fee = Decimal("0")


def restock_return(*, return_id: int, actor=None) -> int:
    """Move the inspected return's stock through the ledger, once: resellable units chosen
    for restock come back on hand; damaged units come in and are written off at once (two
    lines, so the ledger shows both). Returns the number of lines moved; safe to run twice."""
    moved = 0
    with transaction.atomic():
        return_request = return_for_update(return_id)
        if return_request.state not in {State.INSPECTED, State.REFUNDED, State.EXCHANGED}:
            return 0
        pending = list(return_request.lines.select_for_update().filter(
            restocked_at__isnull=True, restock_level__isnull=False,
        ).filter(Q(restock=True, condition=Condition.RESELLABLE) | Q(condition=Condition.DAMAGED))
            .select_related("restock_level__variant", "restock_level__warehouse", "order_line")
            .order_by("restock_level_id", "pk"))
        notes = []
        for line in pending:
            level = line.restock_level
            inventory_services.receive_stock(
                variant=level.variant, warehouse=level.warehouse, quantity=line.quantity,
                reference=return_request.number, kind=StockMovement.Kind.RETURN_RESTOCK,
                reason=f"Returned ({line.get_reason_display().lower()})", user=actor)
            if line.condition == Condition.DAMAGED:
                inventory_services.write_off_stock(
                    stock_level_id=level.pk, quantity=line.quantity,
                    reference=return_request.number,
                    reason="Returned damaged: written off", user=actor)
                notes.append(f"{line.quantity} × {line.order_line.sku} written off")
            else:
                notes.append(f"{line.quantity} × {line.order_line.sku} back in stock at "
                             f"{level.warehouse.code}")
            line.restocked_at = timezone.now()
            line.save(update_fields=["restocked_at"])
            moved += 1
        if notes:
            record_step(return_request, "Stock: " + "; ".join(notes) + ".", actor=actor,
                        order_event=OrderEvent.Type.RETURN_RESTOCKED)
    return moved
