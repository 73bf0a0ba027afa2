"""Every change to a return: request, approve (with a label or drop-off), reject, receive,
inspect, restock, refund, exchange.

Each transition locks the return (always before its order), checks
``ReturnRequest.TRANSITIONS``, writes the new state, a ``ReturnEvent`` and an event on the
order's timeline, and sends ``return_state_changed`` after commit. Gateways and carriers are
never called inside a transaction: a refund is decided and committed first, then made by a
task with idempotency keys, then recorded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from fulfillment.carriers.local import RETURN_PREFIX, tracking_number_for
from fulfillment.models import Shipment
from fulfillment.pdf import label_pdf, warehouse_lines
from inventory import locks as inventory_locks
from inventory import services as inventory_services
from inventory.models import StockMovement, Warehouse
from kernel.errors import InvalidTransition, NotFound
from kernel.money import Money, parse_amount, quantize
from orders import locks as order_locks
from orders import services as order_services
from orders.exceptions import OutOfStock
from orders.models import Order, OrderEvent
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment

from . import signals
from .exceptions import ReturnInvalid
from .models import ReturnEvent, ReturnLine, ReturnRequest
from .selectors import returnable_lines

State = ReturnRequest.State
Condition = ReturnLine.Condition
REFUNDABLE_PAYMENTS = {Payment.State.CAPTURED, Payment.State.PARTIALLY_REFUNDED}


def return_for_update(return_id: int) -> ReturnRequest:
    try:
        return (ReturnRequest.objects.select_for_update(of=("self",))
                .select_related("order", "warehouse").get(pk=return_id))
    except (ReturnRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such return.") from None


def _record(rma: ReturnRequest, message: str, *, actor=None, order_event: str = "",
            state: str = "") -> None:
    ReturnEvent.objects.create(return_request=rma, state=state, message=message[:500],
                               actor=_user(actor))
    if order_event:
        order_services.record_event(rma.order, order_event, f"{rma.number}: {message}",
                                    actor=actor, data={"return": rma.number})


def _move(rma: ReturnRequest, state: str, message: str, *, actor=None,
          order_event: str = "") -> None:
    rma.ensure_can_become(state)
    rma.state = state
    rma.save()
    _record(rma, message, actor=actor, order_event=order_event, state=state)
    transaction.on_commit(partial(signals.return_state_changed.send, sender=ReturnRequest,
                                  return_id=rma.pk, state=state))


# --- The shopper asks -----------------------------------------------------------------------

@dataclass(frozen=True)
class RequestedLine:
    order_line_id: int
    quantity: int
    reason: str
    note: str = ""
    exchange_variant_id: int | None = None


def request_return(*, order_id: int, lines: list[RequestedLine], resolution: str,
                   customer_note: str = "", actor=None) -> ReturnRequest:
    """The shopper asks to send units back, for a refund or an exchange.

    Preconditions, checked with the order locked (so two tabs can't return the same unit
    twice): the order is not canceled; each line is on the order, delivered, inside the
    return window, not final sale, and asks for no more units than were delivered less
    those already on returns; each has a reason (a note for "other"); an exchange names
    another active variant of the same product for every line.
    Guarantees: one return with its lines and a "requested" event, or ``ReturnInvalid``
    naming each problem and nothing written.
    """
    if resolution not in ReturnRequest.Resolution.values:
        raise ReturnInvalid("Choose a refund or an exchange.", errors={None: "Choose a refund "
                                                                            "or an exchange."})
    chosen = [line for line in lines if line.quantity]
    if not chosen:
        raise ReturnInvalid("Choose at least one item to return.",
                            errors={None: "Choose at least one item to return."})
    with transaction.atomic():
        order = order_locks.order_for_update(order_id)
        if order.status == Order.Status.CANCELED:
            raise InvalidTransition(f"Order {order.number} was canceled; nothing to return.")
        rows = {row.line.pk: row for row in returnable_lines(order)}
        errors: dict = {}
        for wanted in chosen:
            row = rows.get(wanted.order_line_id)
            if row is None:
                raise NotFound("That item is not on this order.")
            problem = _line_problem(row, wanted, resolution)
            if problem:
                errors[wanted.order_line_id] = problem
        if errors:
            raise ReturnInvalid("This return can't be accepted: " + " ".join(
                f"{rows[line_id].line.description}: {message}"
                for line_id, message in errors.items()), errors=errors)
        rma = ReturnRequest.objects.create(order=order, number=f"tmp-{uuid.uuid4().hex[:16]}",
                                           resolution=resolution,
                                           customer_note=customer_note.strip()[:500])
        rma.number = f"RMA-{100000 + rma.pk}"
        ReturnRequest.objects.filter(pk=rma.pk).update(number=rma.number)
        ReturnLine.objects.bulk_create([
            ReturnLine(return_request=rma, order_line_id=wanted.order_line_id,
                       quantity=wanted.quantity, reason=wanted.reason,
                       reason_note=wanted.note.strip()[:300],
                       exchange_variant_id=(wanted.exchange_variant_id
                                            if resolution == ReturnRequest.Resolution.EXCHANGE
                                            else None))
            for wanted in chosen])
        units = sum(wanted.quantity for wanted in chosen)
        _record(rma, f"Return requested: {units} item(s) for "
                     f"{rma.get_resolution_display().lower()}.", actor=actor,
                order_event=OrderEvent.Type.RETURN_REQUESTED, state=State.REQUESTED)
        transaction.on_commit(partial(signals.return_state_changed.send, sender=ReturnRequest,
                                      return_id=rma.pk, state=State.REQUESTED))
        return rma


def _line_problem(row, wanted: RequestedLine, resolution: str) -> str:
    quantity = wanted.quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        return "Enter how many to return as a whole number."
    if row.refusal and not row.returnable:
        return row.refusal
    if quantity > row.returnable:
        return (f"only {row.returnable} can be returned (you asked for {quantity}).")
    if wanted.reason not in ReturnLine.Reason.values:
        return "Choose a reason."
    if wanted.reason == ReturnLine.Reason.OTHER and not wanted.note.strip():
        return "Tell us the reason."
    if resolution == ReturnRequest.Resolution.EXCHANGE:
        if wanted.exchange_variant_id is None:
            return "Choose what you would like instead."
        if wanted.exchange_variant_id not in {v.pk for v in row.exchange_options}:
            return "That exchange isn't available; choose another size or colour."
    return ""


# --- Staff decide ---------------------------------------------------------------------------

def approve_return(*, return_id: int, method: str = "", warehouse_id: int | None = None,
                   message: str = "", actor=None) -> ReturnRequest:
    """Accept a requested return. The parcel comes back by ``method`` (default
    SHOP_RETURN_METHOD) to ``warehouse_id`` (default: the warehouse that shipped it). A
    prepaid label is made by a task after commit; then the shopper is emailed."""
    method = method or settings.SHOP_RETURN_METHOD
    if method not in ReturnRequest.Method.values:
        raise ReturnInvalid("Choose a prepaid label or drop-off.")
    with transaction.atomic():
        rma = return_for_update(return_id)
        rma.ensure_can_become(State.APPROVED)
        warehouse = _return_warehouse(rma, warehouse_id)
        rma.method, rma.warehouse = method, warehouse
        rma.staff_message = message.strip()[:500]
        rma.approved_at = timezone.now()
        _move(rma, State.APPROVED, f"Return approved: {rma.get_method_display().lower()} to "
                                   f"{warehouse.name}.", actor=actor,
              order_event=OrderEvent.Type.RETURN_APPROVED)
        return rma


def _return_warehouse(rma: ReturnRequest, warehouse_id: int | None) -> Warehouse:
    if warehouse_id:
        warehouse = Warehouse.objects.filter(pk=warehouse_id, is_active=True).first()
        if warehouse is None:
            raise ReturnInvalid("Choose an active warehouse for the return.")
        return warehouse
    warehouse = default_return_warehouse(rma)
    if warehouse is None:
        raise ReturnInvalid("No active warehouse can take the return.")
    return warehouse


def default_return_warehouse(rma: ReturnRequest) -> Warehouse | None:
    """Where a return comes back to when staff don't choose: the active warehouse that
    delivered the order (its first delivered shipment's), else the first active one by
    priority. A read; the approve form names it."""
    shipment = (Shipment.objects.filter(order=rma.order, state=Shipment.State.DELIVERED,
                                        warehouse__is_active=True)
                .select_related("warehouse").order_by("pk").first())
    return shipment.warehouse if shipment else \
        Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()


def reject_return(*, return_id: int, message: str, actor=None) -> ReturnRequest:
    """Turn a return down, with the reason the shopper is emailed."""
    if not (message or "").strip():
        raise ReturnInvalid("Tell the shopper why the return is rejected.")
    with transaction.atomic():
        rma = return_for_update(return_id)
        rma.ensure_can_become(State.REJECTED)
        rma.staff_message = message.strip()[:500]
        rma.closed_at = timezone.now()
        _move(rma, State.REJECTED, f"Return rejected: {rma.staff_message}", actor=actor,
              order_event=OrderEvent.Type.RETURN_REJECTED)
        return rma


def issue_return_label(*, return_id: int) -> ReturnRequest:
    """Make the approved return's prepaid label (the local couriers': shopper to warehouse)
    and store it. Safe to run twice: a return with a label keeps it."""
    rma = ReturnRequest.objects.select_related("order__shipping_address",
                                               "warehouse").get(pk=return_id)
    if rma.tracking_number or rma.method != ReturnRequest.Method.LABEL or \
            rma.state != State.APPROVED:
        return rma
    tracking = tracking_number_for(rma.pk, settings.SHOP_COUNTRY, prefix=RETURN_PREFIX)
    address = rma.order.shipping_address or rma.order.billing_address
    pdf = label_pdf(sender=address.lines(),
                    recipient=[f"{settings.SHOP_NAME} Returns", *warehouse_lines(rma.warehouse)],
                    tracking_number=tracking, service="Return",
                    footer=[f"{rma.number} · Order {rma.order.number}",
                            "Prepaid: no postage needed"])
    with transaction.atomic():
        rma = return_for_update(return_id)
        if rma.tracking_number:
            return rma
        rma.tracking_number = tracking
        rma.label.save(f"{rma.number}.pdf", ContentFile(pdf), save=False)
        rma.save()
        _record(rma, f"Prepaid return label {tracking} issued.")
        transaction.on_commit(partial(signals.return_label_issued.send, sender=ReturnRequest,
                                      return_id=rma.pk))
        return rma


def receive_return(*, return_id: int, actor=None) -> ReturnRequest:
    """The parcel arrived at the warehouse."""
    with transaction.atomic():
        rma = return_for_update(return_id)
        rma.ensure_can_become(State.RECEIVED)
        rma.received_at = timezone.now()
        where = f" at {rma.warehouse.name}" if rma.warehouse_id else ""
        _move(rma, State.RECEIVED, f"Parcel received{where}.", actor=actor,
              order_event=OrderEvent.Type.NOTE)
        return rma


def receive_by_scan(*, code: str, actor=None) -> ReturnRequest:
    """A clerk scanned the return label's barcode or typed the RMA number."""
    code = (code or "").strip().upper()
    rma = None
    if code and "\x00" not in code and len(code) <= 40:
        rma = ReturnRequest.objects.filter(Q(number=code) | Q(tracking_number=code)).first()
    if rma is None:
        raise NotFound(f"No return has the RMA or tracking number {code[:40] or '(empty)'}.")
    return receive_return(return_id=rma.pk, actor=actor)


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
        rma = return_for_update(return_id)
        rma.ensure_can_become(State.INSPECTED)
        lines = {line.pk: line for line in rma.lines.select_related("order_line__variant")}
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
                warehouse = _return_warehouse(rma, item.warehouse_id or rma.warehouse_id)
                line.restock_level = inventory_locks.stock_level_for_update(
                    variant_id=line.order_line.variant_id, warehouse_id=warehouse.pk)
            if item.condition != Condition.MISSING:
                accepted.append(line)
            line.refund_amount = _line_refund(line) if item.condition != Condition.MISSING \
                else Decimal("0")
            line.save(update_fields=["condition", "restock", "restock_level", "refund_amount"])
        if accepted:
            order_services.record_returned(
                order_id=rma.order_id,
                lines=[(line.order_line_id, line.quantity) for line in accepted],
                message=f"{rma.number}: {sum(line.quantity for line in accepted)} item(s) "
                        "came back.", actor=actor)
        rma.order.refresh_from_db()
        _propose_refund(rma, list(lines.values()), accepted)
        rma.inspected_at = timezone.now()
        summary = ", ".join(f"{line.quantity} × {line.order_line.sku} "
                            f"{line.get_condition_display().lower()}" for line in lines.values())
        proposed = Money(rma.proposed_refund, rma.order.currency)
        _move(rma, State.INSPECTED, f"Inspected: {summary}. Proposed refund {proposed}.",
              actor=actor,
              order_event=OrderEvent.Type.RETURN_INSPECTED)
        return rma


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


def _propose_refund(rma: ReturnRequest, lines: list[ReturnLine],
                    accepted: list[ReturnLine]) -> None:
    order = rma.order
    currency = order.currency
    rma.items_amount = sum((line.refund_amount for line in lines), Decimal("0"))
    shop_fault = any(line.is_shop_fault for line in accepted)
    everything_back = order.fulfillment_status == Order.FulfillmentStatus.RETURNED
    rma.shipping_refund = Decimal("0")
    if accepted and (shop_fault or everything_back):
        shipping_paid = order.total - sum((line.total for line in order.lines.all()),
                                          Decimal("0"))
        already = (ReturnRequest.objects.filter(order=order).exclude(pk=rma.pk)
                   .exclude(state=State.REJECTED)
                   .aggregate(total=Sum("shipping_refund"))["total"] or Decimal("0"))
        rma.shipping_refund = max(shipping_paid - already, Decimal("0"))
    if accepted and not shop_fault:
        if rma.method == ReturnRequest.Method.LABEL:
            rma.return_shipping_fee = quantize(Decimal(settings.SHOP_RETURN_SHIPPING_FEE),
                                               currency)
        rma.restocking_fee = quantize(
            rma.items_amount * Decimal(settings.SHOP_RESTOCKING_FEE_PERCENT) / 100, currency)
    else:
        rma.return_shipping_fee = rma.restocking_fee = Decimal("0")


def restock_return(*, return_id: int, actor=None) -> int:
    """Move the inspected return's stock through the ledger, once: resellable units chosen
    for restock come back on hand; damaged units come in and are written off at once (two
    lines, so the ledger shows both). Returns the number of lines moved; safe to run twice."""
    moved = 0
    with transaction.atomic():
        rma = return_for_update(return_id)
        if rma.state not in {State.INSPECTED, State.REFUNDED, State.EXCHANGED}:
            return 0
        pending = list(rma.lines.select_for_update().filter(
            restocked_at__isnull=True, restock_level__isnull=False,
        ).filter(Q(restock=True, condition=Condition.RESELLABLE) | Q(condition=Condition.DAMAGED))
            .select_related("restock_level__variant", "restock_level__warehouse", "order_line")
            .order_by("restock_level_id", "pk"))
        notes = []
        for line in pending:
            level = line.restock_level
            inventory_services.receive_stock(
                variant=level.variant, warehouse=level.warehouse, quantity=line.quantity,
                reference=rma.number, kind=StockMovement.Kind.RETURN_RESTOCK,
                reason=f"Returned ({line.get_reason_display().lower()})", user=actor)
            if line.condition == Condition.DAMAGED:
                inventory_services.write_off_stock(
                    stock_level_id=level.pk, quantity=line.quantity, reference=rma.number,
                    reason="Returned damaged: written off", user=actor)
                notes.append(f"{line.quantity} × {line.order_line.sku} written off")
            else:
                notes.append(f"{line.quantity} × {line.order_line.sku} back in stock at "
                             f"{level.warehouse.code}")
            line.restocked_at = timezone.now()
            line.save(update_fields=["restocked_at"])
            moved += 1
        if notes:
            _record(rma, "Stock: " + "; ".join(notes) + ".", actor=actor,
                    order_event=OrderEvent.Type.RETURN_RESTOCKED)
    return moved


# --- Refunds --------------------------------------------------------------------------------

def refundable_on_order(order: Order) -> Decimal:
    """Captured and not yet refunded across the order's payments, less refunds in flight."""
    total = Decimal("0")
    for payment in order.payments.filter(state__in=REFUNDABLE_PAYMENTS):
        in_flight = payment.calls.filter(kind=GatewayCall.Kind.REFUND,
                                         outcome=GatewayCall.Outcome.IN_FLIGHT) \
            .aggregate(total=Sum("amount"))["total"] or Decimal("0")
        total += payment.refundable_amount - in_flight
    return max(total, Decimal("0"))


def refund_return(*, return_id: int, amount=None, actor=None) -> ReturnRequest:
    """Decide the inspected return's refund (``amount``, default the proposed one) and
    queue it. Staff may adjust the amount, above zero and never above what the order has
    captured and not yet refunded. A second call while one is being made is refused, so
    two clerks (or a double click) make one refund. The gateway is called by
    ``execute_refund`` (a task) after commit."""
    with transaction.atomic():
        rma = return_for_update(return_id)
        rma.ensure_can_become(State.REFUNDED)
        if rma.refund_requested_at is not None:
            raise InvalidTransition(f"A refund for {rma.number} is already being made.",
                                    code="refund_in_progress")
        currency = rma.order.currency
        if amount is None or (isinstance(amount, str) and not amount.strip()):
            value = rma.proposed_refund
        else:
            try:
                value = parse_amount(amount) if isinstance(amount, str) else Decimal(amount)
            except (ValueError, ArithmeticError):
                raise ReturnInvalid("Enter the refund as an amount, such as 24.50.") from None
        if value != quantize(value, currency):
            raise ReturnInvalid(f"Enter the refund in whole {currency} cents.")
        limit = refundable_on_order(rma.order)
        if value <= 0:
            raise ReturnInvalid("Nothing to refund: enter an amount above zero, or reject "
                                "the return.")
        if value > limit:
            raise ReturnInvalid(f"At most {Money(limit, currency)} can be refunded on order "
                                f"{rma.order.number} (captured and not yet refunded).",
                                code="refund_too_large")
        rma.refund_amount = value
        rma.refund_requested_at = timezone.now()
        rma.refund_attempts += 1
        rma.refund_error = ""
        rma.save()
        adjusted = "" if value == rma.proposed_refund else \
            f" (proposed {Money(rma.proposed_refund, currency)})"
        _record(rma, f"Refund of {Money(value, currency)} decided{adjusted}.", actor=actor)
        transaction.on_commit(partial(signals.return_refund_requested.send,
                                      sender=ReturnRequest, return_id=rma.pk))
        return rma


def execute_refund(*, return_id: int, actor=None) -> ReturnRequest:
    """Make the decided refund at the gateway, then record it. Idempotent: each payment's
    part has a key derived from the return and the attempt, so a task that runs twice (or
    twice at once) refunds once; a return already refunded is left alone. A gateway that
    is down raises ``GatewayUnavailable`` for the task to retry; a refused refund clears
    the decision so staff can try again, and says why."""
    rma = ReturnRequest.objects.select_related("order").get(pk=return_id)
    if rma.state != State.INSPECTED or rma.refund_requested_at is None:
        return rma
    remaining = rma.refund_amount
    try:
        for payment in rma.order.payments.order_by("pk"):
            key = f"{rma.number}:refund:{rma.refund_attempts}:{payment.token}"
            done = GatewayCall.objects.filter(idempotency_key=key).first()
            if done is not None:
                part = done.amount
            else:
                part = min(remaining, payment.refundable_amount) \
                    if payment.state in REFUNDABLE_PAYMENTS else Decimal("0")
            if part <= 0:
                continue
            call = payment_services.refund_payment(
                payment=payment, amount=part, reason=f"Return {rma.number}", actor=actor,
                idempotency_key=key)
            if call.outcome == GatewayCall.Outcome.FAILED:
                raise PaymentError(f"The refund failed: {call.error or 'declined'}")
            remaining -= part
            if remaining <= 0:
                break
    except PaymentError as error:  # GatewayUnavailable is not one: the task retries it
        with transaction.atomic():
            rma = return_for_update(return_id)
            rma.refund_requested_at = None
            rma.refund_error = error.message[:300]
            rma.save()
            _record(rma, f"Refund failed: {error.message}", actor=actor,
                    order_event=OrderEvent.Type.NOTE)
        return rma
    with transaction.atomic():
        rma = return_for_update(return_id)
        if rma.state == State.REFUNDED:
            return rma
        rma.refunded_amount = rma.refund_amount - max(remaining, Decimal("0"))
        rma.closed_at = timezone.now()
        _move(rma, State.REFUNDED, f"Refunded {rma.money('refunded_amount')} to the "
                                   "original payment.", actor=actor,
              order_event=OrderEvent.Type.NOTE)
        return rma


# --- Exchanges ------------------------------------------------------------------------------

def exchange_return(*, return_id: int, actor=None) -> ReturnRequest:
    """Send the chosen variants for the units that came back, as a new order at no charge
    that allocates stock and goes through fulfillment like any order. When a variant is
    out of stock the clerk is told (nothing changes) and can refund instead."""
    with transaction.atomic():
        rma = return_for_update(return_id)
        rma.ensure_can_become(State.EXCHANGED)
        lines = [line for line in rma.lines.select_related("exchange_variant", "order_line")
                 if line.condition != Condition.MISSING]
        if rma.resolution != ReturnRequest.Resolution.EXCHANGE or not lines or \
                any(line.exchange_variant_id is None for line in lines):
            raise InvalidTransition(f"{rma.number} has nothing to exchange; refund it "
                                    "instead.")
        try:
            replacement = order_services.place_replacement_order(
                original_order_id=rma.order_id, reference=rma.number, actor=actor,
                items=[(line.exchange_variant_id, line.quantity) for line in lines])
        except OutOfStock as error:
            raise OutOfStock(f"{error.message} Refund {rma.number} instead, or wait for "
                             "stock.", code="exchange_out_of_stock") from None
        rma.replacement_order = replacement
        rma.closed_at = timezone.now()
        _move(rma, State.EXCHANGED, f"Exchanged: order {replacement.number} will ship "
                                    + ", ".join(f"{line.quantity} × {line.exchange_variant}"
                                                for line in lines) + ".", actor=actor,
              order_event=OrderEvent.Type.NOTE)
        return rma


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
