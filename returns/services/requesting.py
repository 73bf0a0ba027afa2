"""The shopper asks to return units, for a refund or an exchange."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from kernel.errors import InvalidTransition, NotFound
from orders import locks as order_locks
from orders.models import Order, OrderEvent
from orders.personal_data import ERASED_EMAIL

from .. import signals
from ..exceptions import ReturnInvalid
from ..models import ReturnLine, ReturnRequest
from ..selectors import returnable_lines
from .timeline import record_step

State = ReturnRequest.State


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
        if order.email == ERASED_EMAIL:
            # Its person's data was erased (the account closed) while this request waited
            # for the lock: nobody is left to refund or to send a label to.
            raise InvalidTransition(f"The personal data of order {order.number} was erased; "
                                    "it can't take a return. Please contact us.")
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
        return_request = create_return_request(order, resolution=resolution,
                                               customer_note=customer_note)
        ReturnLine.objects.bulk_create([
            ReturnLine(return_request=return_request, order_line_id=wanted.order_line_id,
                       quantity=wanted.quantity, reason=wanted.reason,
                       reason_note=wanted.note.strip()[:300],
                       exchange_variant_id=(wanted.exchange_variant_id
                                            if resolution == ReturnRequest.Resolution.EXCHANGE
                                            else None))
            for wanted in chosen])
        units = sum(wanted.quantity for wanted in chosen)
        record_step(return_request, f"Return requested: {units} item(s) for "
                                    f"{return_request.get_resolution_display().lower()}.",
                    actor=actor, order_event=OrderEvent.Type.RETURN_REQUESTED,
                    state=State.REQUESTED)
        transaction.on_commit(partial(signals.return_state_changed.send, sender=ReturnRequest,
                                      return_id=return_request.pk, state=State.REQUESTED))
        return return_request


def create_return_request(order: Order, *, resolution: str,
                          customer_note: str = "") -> ReturnRequest:
    """A new return of ``order`` with its RMA number (inside the caller's transaction)."""
    return_request = ReturnRequest.objects.create(
        order=order, number=f"tmp-{uuid.uuid4().hex[:16]}", resolution=resolution,
        customer_note=customer_note.strip()[:500])
    return_request.number = f"RMA-{100000 + return_request.pk}"
    ReturnRequest.objects.filter(pk=return_request.pk).update(number=return_request.number)
    return return_request


def _line_problem(row, wanted: RequestedLine, resolution: str) -> str:
    quantity = wanted.quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        return "Enter how many to return as a whole number."
    if row.refusal and not row.returnable:
        return row.refusal
    if quantity > row.returnable:
        return (f"only {row.returnable} can be returned (you asked for {quantity}).")
    if wanted.reason not in dict(ReturnLine.SHOPPER_REASONS):
        return "Choose a reason."
    if wanted.reason == ReturnLine.Reason.OTHER and not wanted.note.strip():
        return "Tell us the reason."
    if resolution == ReturnRequest.Resolution.EXCHANGE:
        if wanted.exchange_variant_id is None:
            return "Choose what you would like instead."
        if wanted.exchange_variant_id not in {v.pk for v in row.exchange_options}:
            return "That exchange isn't available; choose another size or colour."
    return ""
