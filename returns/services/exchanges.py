"""Exchanging an inspected return: the chosen variants ship as a new order at no
charge."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.exceptions import OutOfStock
from orders.models import OrderEvent
from payments.models import GatewayCall

from ..locks import return_for_update
from ..models import ReturnLine, ReturnRequest
from .timeline import move_to

State = ReturnRequest.State
Condition = ReturnLine.Condition


def exchange_return(*, return_id: int, actor=None) -> ReturnRequest:
    """Send the chosen variants for the units that came back, as a new order at no charge
    that allocates stock and goes through fulfillment like any order. When a variant is
    out of stock the clerk is told (nothing changes) and can refund instead.

    Preconditions, checked with the return locked: it is inspected, and no refund of it is
    decided or was made (a refund and an exchange exclude each other: ``refund_return``
    decides under the same lock and refuses an exchanged return), so the goods are never
    sent again for a return whose money goes back, nor the sweep left to pay a refund for
    an exchanged one. Refused with InvalidTransition before anything is written."""
    with transaction.atomic():
        return_request = return_for_update(return_id)
        ensure_no_refund(return_request)
        return_request.ensure_can_become(State.EXCHANGED)
        lines = [line for line in return_request.lines.select_related("exchange_variant",
                                                                      "order_line")
                 if line.condition != Condition.MISSING]
        if return_request.resolution != ReturnRequest.Resolution.EXCHANGE or not lines or \
                any(line.exchange_variant_id is None for line in lines):
            raise InvalidTransition(f"{return_request.number} has nothing to exchange; refund it "
                                    "instead.")
        try:
            replacement = order_services.place_replacement_order(
                original_order_id=return_request.order_id, reference=return_request.number,
                actor=actor,
                items=[(line.exchange_variant_id, line.quantity) for line in lines])
        except OutOfStock as error:
            raise OutOfStock(f"{error.message} Refund {return_request.number} instead, or wait for "
                             "stock.", code="exchange_out_of_stock") from None
        return_request.replacement_order = replacement
        return_request.closed_at = timezone.now()
        move_to(return_request, State.EXCHANGED,
                f"Exchanged: order {replacement.number} will ship "
                + ", ".join(f"{line.quantity} × {line.exchange_variant}" for line in lines)
                + ".", actor=actor, order_event=OrderEvent.Type.NOTE)
        return return_request


def ensure_no_refund(return_request: ReturnRequest) -> None:
    """A return with a refund decided (being made) or made, even in part, is settled with
    money: it is not exchanged as well. Call with the return locked."""
    number = return_request.number
    if return_request.state == State.REFUNDED:
        raise InvalidTransition(f"{number} was refunded; it can't be exchanged as well.",
                                code="return_refunded")
    if return_request.refund_requested_at is not None:
        raise InvalidTransition(
            f"A refund of {return_request.money('refund_amount')} for {number} has been "
            "decided and is being made; it can't be exchanged as well.",
            code="refund_in_progress")
    if GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND, refund_reference=number,
                                  outcome__in=[GatewayCall.Outcome.IN_FLIGHT,
                                               GatewayCall.Outcome.SUCCEEDED]).exists():
        raise InvalidTransition(f"Part of a refund for {number} was already made; it can't be "
                                "exchanged as well. Refund it instead.",
                                code="return_refunded")
