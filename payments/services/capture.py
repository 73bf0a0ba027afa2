"""Capturing and voiding a payment: by staff (a payment, or an order's authorized payment)
and at shipment."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.db import transaction

from kernel.errors import InvalidTransition, NotFound
from orders import locks as order_locks
from orders.models import Order

from .. import locks
from ..exceptions import PaymentError
from ..models import GatewayCall, Payment
from .recording import call_gateway, move_payment_to, other_payments_cover, record_result

State = Payment.State
VOIDABLE = {State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED}


def capture_payment(*, payment: Payment, amount: Decimal | None = None, actor=None) -> Payment:
    """Capture an authorized payment (manual capture, at shipment or by staff).

    The capture is recorded as an intent first: its ``GatewayCall`` is committed, with the
    payment and then its order locked (the order every payment service takes), and only
    then is the gateway called, with no lock held. Refused while the order has a cancel
    requested or is canceled (the cancel voids the payment instead); a cancel, in turn,
    is refused while a capture is in flight. Refused too while a void of the payment is in
    flight (and a void while a capture is)."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        order = order_locks.order_for_update(payment.order_id)
        if order.cancel_requested or order.status == Order.Status.CANCELED:
            raise InvalidTransition(f"Order {order.number} is being canceled or canceled; "
                                    "its payment is not captured.")
        payment.ensure_can_become(State.CAPTURED)
        if payment.state != State.AUTHORIZED:
            raise PaymentError("Only an authorized payment can be captured.", code="not_authorized")
        if payment.calls.filter(kind=GatewayCall.Kind.VOID,
                                outcome=GatewayCall.Outcome.IN_FLIGHT).exists():
            raise PaymentError("A void of this payment is under way; it is not captured.",
                               code="void_in_progress")
        amount = payment.amount if amount is None else Decimal(amount)
        if not Decimal("0") < amount <= payment.amount:
            raise PaymentError(f"Capture between 0 and {payment.money('amount')}.")
        call, _ = GatewayCall.objects.get_or_create(
            idempotency_key=f"{payment.token}:capture",
            defaults={"payment": payment, "kind": GatewayCall.Kind.CAPTURE, "amount": amount,
                      "currency": payment.currency})
    result = call_gateway(call, lambda gw: gw.capture(
        reference=payment.gateway_reference, amount=call.amount, currency=payment.currency,
        idempotency_key=call.idempotency_key))
    payment = record_result(call, result, actor=actor)
    if not result.success:
        raise PaymentError(f"The capture failed: {result.error}")
    return payment


def void_payment(*, payment: Payment, actor=None) -> Payment:
    """Cancel a payment that has not been captured (releases the hold on the card).

    Checked with the order's payments and the order locked, before any gateway call:
    no capture of the payment is in flight; and an authorization the order lives on is
    not voided while the order is open with no cancel requested (its goods would ship
    unpaid): staff cancel the order instead, and the cancel voids it. An authorization
    another payment already covers, or of a canceled order or one being canceled, is
    voided."""
    return _void(payment.pk, actor=actor)


def void_canceled_order_payment(*, payment_id: int, actor=None) -> Payment | None:
    """The void a canceled order's receiver queued (``payments.tasks.void_open_payments``):
    made only if, under the locks, the order is still canceled and the payment still
    uncaptured; None, with nothing done, otherwise (a late payment reopened the order
    meanwhile, or the payment moved on)."""
    return _void(payment_id, actor=actor, only_if_order_canceled=True)


def _void(payment_id: int, *, actor, only_if_order_canceled: bool = False) -> Payment | None:
    with transaction.atomic():
        payment = Payment.objects.filter(pk=payment_id).only("order_id").first()
        if payment is None:
            raise NotFound("No such payment.")
        order = locks.order_with_payments_for_update(payment.order_id)
        payment = locks.payment_for_update(payment_id)
        if only_if_order_canceled and (order.status != Order.Status.CANCELED
                                       or payment.state not in VOIDABLE):
            return None
        payment.ensure_can_become(State.CANCELED)
        if payment.calls.filter(kind=GatewayCall.Kind.CAPTURE,
                                outcome=GatewayCall.Outcome.IN_FLIGHT).exists():
            raise PaymentError("A capture of this payment is under way; it can't be voided "
                               "now. Refund it once captured, or try again in a minute.",
                               code="capture_in_progress")
        if payment.state == State.AUTHORIZED and not _order_may_lose(order, payment):
            raise InvalidTransition(
                f"Order {order.number} lives on this authorization: voiding it would leave "
                "the order open with no money, and its goods would still ship. Cancel the "
                "order instead; the cancel voids the payment.")
        if not payment.gateway_reference:
            return move_payment_to(payment, State.CANCELED, actor=actor,
                                   message="Payment canceled.")
        call, _ = GatewayCall.objects.get_or_create(
            idempotency_key=f"{payment.token}:void",
            defaults={"payment": payment, "kind": GatewayCall.Kind.VOID, "amount": payment.amount,
                      "currency": payment.currency})
    result = call_gateway(call, lambda gw: gw.void(reference=payment.gateway_reference,
                                                   idempotency_key=call.idempotency_key))
    payment = record_result(
        call, replace(result, state=State.CANCELED) if result.success else result, actor=actor)
    if not result.success:
        raise PaymentError(f"The void failed: {result.error}")
    return payment


def _order_may_lose(order: Order, payment: Payment) -> bool:
    """Whether the locked order can do without ``payment``'s authorization: it is canceled
    or being canceled, or its other payments hold its total."""
    if order.status == Order.Status.CANCELED or order.cancel_requested:
        return True
    return other_payments_cover(order, payment)


def capture_order_payment(*, order_id: int, actor=None) -> Payment:
    """Staff capture an order's authorized payment (the order back office).

    The order must have an authorized payment: checked with its payments and the order
    locked, before any gateway call; the capture itself is ``capture_payment``, which
    checks the payment again under its own lock.
    """
    order, payment = _authorized_payment(order_id)
    if payment is None:
        raise PaymentError(f"Order {order.number} has no authorized payment to capture (its "
                           f"payment is {order.get_payment_status_display().lower()}).",
                           code="not_authorized")
    return capture_payment(payment=payment, actor=actor)


def capture_at_shipment(*, order_id: int) -> Payment | None:
    """Manual-capture orders are charged when their first parcel leaves: capture the
    order's authorized payment; None when there is none (captured already, or captured at
    once when paid)."""
    _, payment = _authorized_payment(order_id)
    return None if payment is None else capture_payment(payment=payment)


def _authorized_payment(order_id: int) -> tuple[Order, Payment | None]:
    """The order's first authorized payment, looked up with its payments and the order
    locked (the lock ends here: the gateway is called outside it)."""
    with transaction.atomic():
        order = locks.order_with_payments_for_update(order_id)
        return order, order.payments.filter(state=State.AUTHORIZED).order_by("pk").first()
