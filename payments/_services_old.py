"""Every change to a payment. Gateways are never called inside a transaction or while a
row lock is held: each call is first committed as a ``GatewayCall`` with an idempotency
key, then made, then its result recorded in a new short transaction. A retry with the
same key reuses the row, so the gateway sees one request.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kernel.errors import InvalidTransition, NotFound
from kernel.money import Money
from orders import locks as order_locks
from orders import services as order_services
from orders.models import Order, OrderEvent, StockShortfall

from . import locks, risk
from .exceptions import GatewayUnavailable, PaymentDeclined, PaymentError
from .gateways import get_gateway
from .gateways.base import GatewayError, GatewayResult
from .models import GatewayCall, Payment

logger = logging.getLogger(__name__)

State = Payment.State
# A call still in flight after this long is taken as lost (the process died mid-call); a
# new attempt may start. Its own idempotency key keeps the lost one from charging twice.
IN_FLIGHT_BLOCKS_FOR = timedelta(minutes=2)

# Money is held in these states, so the order has been screened for fraud; a risk level
# the gateway reports later screens it again.
SCREENED_STATES = {State.AUTHORIZED, State.CAPTURED, State.PARTIALLY_REFUNDED}
# What the order's payment status becomes when a payment reaches a state.
ORDER_STATUS_FOR = {
    State.AUTHORIZED: Order.PaymentStatus.AUTHORIZED,
    State.CAPTURED: Order.PaymentStatus.PAID,
    State.PARTIALLY_REFUNDED: Order.PaymentStatus.PARTIALLY_REFUNDED,
    State.REFUNDED: Order.PaymentStatus.REFUNDED,
}
EVENT_FOR = {
    State.REQUIRES_ACTION: OrderEvent.Type.PAYMENT_ACTION_REQUIRED,
    State.AUTHORIZED: OrderEvent.Type.PAYMENT_AUTHORIZED,
    State.CAPTURED: OrderEvent.Type.PAYMENT_CAPTURED,
    State.PARTIALLY_REFUNDED: OrderEvent.Type.REFUNDED,
    State.REFUNDED: OrderEvent.Type.REFUNDED,
    State.FAILED: OrderEvent.Type.PAYMENT_FAILED,
    State.CANCELED: OrderEvent.Type.PAYMENT_VOIDED,
}


def _capture_automatically(gateway: str) -> bool:
    return gateway != Payment.Gateway.STRIPE or settings.STRIPE_CAPTURE_METHOD != "manual"


# --- Starting a payment ---------------------------------------------------------------------

def start_payment(*, order: Order, payment_data: dict | None = None,
                  gateway: str | None = None) -> Payment:
    """Pay an order: create the payment, call the gateway, record what it said.

    Preconditions: the order is open and not yet paid; no other attempt is in flight.
    Guarantees: a declined card leaves the order unpaid with its stock still allocated
    (until the unpaid-order deadline) and raises PaymentDeclined with the bank's reason;
    a successful one marks the order paid (or authorized) and screens it for fraud.
    For Stripe the payment comes back pending with a client secret for the browser.
    """
    gateway = gateway or settings.PAYMENT_GATEWAY
    with transaction.atomic():
        # Payment rows before the order row, the order every other payment service locks
        # in (a webhook or an authentication step holds a payment, then wants the order).
        list(Payment.objects.select_for_update().filter(order_id=order.pk)
             .order_by("pk").values_list("pk", flat=True))
        order = order_locks.order_for_update(order.pk)
        _ensure_payable(order)
        if gateway == Payment.Gateway.STRIPE:
            live = order.payments.filter(gateway=gateway, state__in=Payment.LIVE_STATES,
                                         amount=order.total).exclude(client_secret="").first()
            if live is not None:  # the same PaymentIntent serves every attempt
                return live
        elif order.payments.filter(
                calls__outcome=GatewayCall.Outcome.IN_FLIGHT,
                calls__created_at__gte=timezone.now() - IN_FLIGHT_BLOCKS_FOR).exists():
            raise PaymentError("A payment for this order is already being processed.",
                               code="payment_in_progress")
        order.payments.filter(gateway=gateway, state__in=Payment.LIVE_STATES).update(
            state=State.CANCELED, updated_at=timezone.now())
        payment = Payment.objects.create(
            order=order, gateway=gateway, amount=order.total, currency=order.currency,
            manual_capture=not _capture_automatically(gateway),
        )
        call = GatewayCall.objects.create(
            payment=payment, kind=GatewayCall.Kind.AUTHORIZE, amount=payment.amount,
            currency=payment.currency, idempotency_key=f"{payment.token}:authorize",
        )
        order_services.extend_payment_deadline(
            order_id=order.pk,
            until=timezone.now() + timedelta(minutes=settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES))
    result = _call(call, lambda gw: gw.authorize(
        amount=payment.amount, currency=payment.currency, idempotency_key=call.idempotency_key,
        capture=not payment.manual_capture, payment_data=payment_data or {},
        metadata={"order": order.number, "order_token": str(order.token)},
    ))
    payment = _record(call, result)
    if payment.state == State.FAILED:
        raise PaymentDeclined(payment.error or "The payment was declined.")
    return payment


def _ensure_payable(order: Order) -> None:
    if order.status != Order.Status.OPEN:
        raise PaymentError(f"Order {order.number} is {order.get_status_display().lower()} and "
                           "can't be paid.", code="order_not_payable")
    if order.payment_status != Order.PaymentStatus.UNPAID:
        raise PaymentError(f"Order {order.number} is already "
                           f"{order.get_payment_status_display().lower()}.", code="already_paid")


def confirm_authentication(*, payment: Payment, authenticated: bool) -> Payment:
    """The shopper finished (or failed) the extra authentication step."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        if payment.state != State.REQUIRES_ACTION:
            raise PaymentError("This payment is not waiting for authentication.",
                               code="not_requires_action")
        call, _ = GatewayCall.objects.get_or_create(
            idempotency_key=f"{payment.token}:confirm",
            defaults={"payment": payment, "kind": GatewayCall.Kind.CONFIRM,
                      "amount": payment.amount, "currency": payment.currency})
    result = _call(call, lambda gw: gw.confirm(
        reference=payment.gateway_reference, idempotency_key=call.idempotency_key,
        payment_data={"authenticated": authenticated, "capture": not payment.manual_capture}))
    payment = _record(call, result)
    if payment.state == State.FAILED:
        raise PaymentDeclined(payment.error or "Authentication failed.")
    return payment


def sync_payment(*, payment: Payment) -> Payment:
    """Ask the gateway for the payment's current state and record it (Stripe's return URL
    after the Payment Element, and the sweep for payments stuck in flight)."""
    if not payment.gateway_reference:
        return payment
    # A read changes nothing at the gateway; the key only has to be unique (two syncs in
    # the same second, a double-clicked return link, must not collide).
    key = f"{payment.token}:sync:{uuid.uuid4().hex}"
    with transaction.atomic():
        call = GatewayCall.objects.create(
            payment=payment, kind=GatewayCall.Kind.CONFIRM, amount=payment.amount,
            currency=payment.currency, idempotency_key=key)
    result = _call(call, lambda gw: gw.confirm(reference=payment.gateway_reference,
                                               idempotency_key=key, payment_data={}))
    return _record(call, result)


# --- Capture, void, refund ------------------------------------------------------------------

def capture_payment(*, payment: Payment, amount: Decimal | None = None, actor=None) -> Payment:
    """Capture an authorized payment (manual capture, at shipment or by staff)."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        payment.ensure_can_become(State.CAPTURED)
        if payment.state != State.AUTHORIZED:
            raise PaymentError("Only an authorized payment can be captured.", code="not_authorized")
        amount = payment.amount if amount is None else Decimal(amount)
        if not Decimal("0") < amount <= payment.amount:
            raise PaymentError(f"Capture between 0 and {payment.money('amount')}.")
        call, _ = GatewayCall.objects.get_or_create(
            idempotency_key=f"{payment.token}:capture",
            defaults={"payment": payment, "kind": GatewayCall.Kind.CAPTURE, "amount": amount,
                      "currency": payment.currency})
    result = _call(call, lambda gw: gw.capture(
        reference=payment.gateway_reference, amount=call.amount, currency=payment.currency,
        idempotency_key=call.idempotency_key))
    payment = _record(call, result, actor=actor)
    if not result.success:
        raise PaymentError(f"The capture failed: {result.error}")
    return payment


def void_payment(*, payment: Payment, actor=None) -> Payment:
    """Cancel a payment that has not been captured (releases the hold on the card)."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        payment.ensure_can_become(State.CANCELED)
        if not payment.gateway_reference:
            return _move(payment, State.CANCELED, actor=actor, message="Payment canceled.")
        call, _ = GatewayCall.objects.get_or_create(
            idempotency_key=f"{payment.token}:void",
            defaults={"payment": payment, "kind": GatewayCall.Kind.VOID, "amount": payment.amount,
                      "currency": payment.currency})
    result = _call(call, lambda gw: gw.void(reference=payment.gateway_reference,
                                            idempotency_key=call.idempotency_key))
    payment = _record(call, replace(result, state=State.CANCELED) if result.success else result,
                      actor=actor)
    if not result.success:
        raise PaymentError(f"The void failed: {result.error}")
    return payment


def refund_payment(*, payment: Payment, amount: Decimal, reason: str = "", actor=None,
                   idempotency_key: str | None = None) -> GatewayCall:
    """Refund part or all of a captured payment, never more than captured and not yet
    refunded (counting refunds still in flight).

    Pass the same ``idempotency_key`` to retry a refund: it is made once.
    """
    try:
        amount = Decimal(str(amount))
    except ArithmeticError:
        raise PaymentError("Enter the refund as an amount.") from None
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        if idempotency_key:
            existing = GatewayCall.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None and existing.outcome != GatewayCall.Outcome.IN_FLIGHT:
                return existing
        else:
            existing = None
        if existing is None:
            if payment.state not in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
                raise PaymentError("Only a captured payment can be refunded.",
                                   code="not_captured")
            in_flight = payment.calls.filter(
                kind=GatewayCall.Kind.REFUND, outcome=GatewayCall.Outcome.IN_FLIGHT,
            ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            refundable = payment.refundable_amount - in_flight
            if not (amount > 0 and amount.as_tuple().exponent >= -2):
                raise PaymentError("Enter a refund amount above zero.")
            if amount > refundable:
                raise PaymentError(f"At most {Money(refundable, payment.currency)} can be "
                                   "refunded on this payment.", code="refund_too_large")
            number = payment.calls.filter(kind=GatewayCall.Kind.REFUND).count() + 1
            existing = GatewayCall.objects.create(
                payment=payment, kind=GatewayCall.Kind.REFUND, amount=amount,
                currency=payment.currency,
                idempotency_key=idempotency_key or f"{payment.token}:refund:{number}")
    call = existing
    result = _call(call, lambda gw: gw.refund(
        reference=payment.gateway_reference, amount=call.amount, currency=payment.currency,
        idempotency_key=call.idempotency_key))
    _record(call, result, actor=actor, reason=reason)
    call.refresh_from_db()
    if not result.success:
        raise PaymentError(f"The refund failed: {result.error}")
    return call


def cancel_and_settle(*, order: Order, reason: str = "", actor=None) -> Order:
    """Cancel an order the way staff expect: void uncaptured payments, refund captured
    ones in full, then cancel the order and release its stock."""
    for payment in order.payments.order_by("pk"):
        if payment.state in {State.AUTHORIZED, State.PENDING, State.REQUIRES_ACTION}:
            void_payment(payment=payment, actor=actor)
        elif payment.state in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
            payment.refresh_from_db()
            if payment.refundable_amount > 0:
                refund_payment(payment=payment, amount=payment.refundable_amount,
                               reason=reason or "Order canceled", actor=actor,
                               idempotency_key=f"{payment.token}:cancel-refund")
    return order_services.cancel_order(order_id=order.pk, reason=reason or "Canceled by staff.",
                                       actor=actor)


def cancel_stock_shortfall(*, exception_id: int, actor=None):
    """A paid order in the stock shortfalls queue can't be filled: refund it in full,
    cancel it (its stock, if any, is released) and close the exception; the shopper gets
    the apology email. A refund the gateway refuses leaves everything as it was."""
    exception = StockShortfall.objects.select_related("order").filter(pk=exception_id).first()
    if exception is None:
        raise NotFound("No such stock shortfall.")
    if not exception.is_open:
        raise InvalidTransition(f"This exception is already "
                                f"{exception.get_state_display().lower()}.")
    cancel_and_settle(order=exception.order, actor=actor,
                      reason="Canceled and refunded: the payment came after the stock was "
                             "released, and no stock could be found.")
    return order_services.close_canceled_exception(exception_id=exception.pk, actor=actor)


def keep_live_holds(*, now=None) -> int:
    """Unpaid orders about to reach their deadline keep their stock while their payment is
    still live at the gateway (a 3-D Secure step under way, a Stripe PaymentIntent still
    open or processing), for at most SHOP_PAYMENT_HOLD_MAX_MINUTES after placing. Stripe is
    asked (outside any transaction); a gateway that doesn't answer leaves the deadline as
    it is. Returns how many orders were extended."""
    now = now or timezone.now()
    cap = timedelta(minutes=settings.SHOP_PAYMENT_HOLD_MAX_MINUTES)
    payments = (Payment.objects.filter(
        state__in=Payment.LIVE_STATES, order__status=Order.Status.OPEN,
        order__payment_status=Order.PaymentStatus.UNPAID,
        order__payment_due_by__lt=now + timedelta(minutes=2),
        order__placed_at__gt=now - cap,
    ).select_related("order").order_by("order_id", "-pk"))
    extended, seen = 0, set()
    for payment in payments[:500]:
        if payment.order_id in seen:
            continue
        seen.add(payment.order_id)
        if payment.gateway == Payment.Gateway.STRIPE and payment.gateway_reference:
            try:
                payment = sync_payment(payment=payment)
            except GatewayUnavailable:
                continue
        if payment.state in Payment.LIVE_STATES:
            until = min(now + timedelta(minutes=settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES),
                        payment.order.placed_at + cap)
            order_services.extend_payment_deadline(order_id=payment.order_id, until=until)
            extended += 1
    return extended


# --- Recording results ----------------------------------------------------------------------

def _call(call: GatewayCall, request) -> GatewayResult:
    """Make the gateway request (outside any transaction). A gateway that can't be reached
    leaves the call in flight for a retry and raises GatewayUnavailable."""
    gateway = get_gateway(call.payment.gateway)
    try:
        return request(gateway)
    except GatewayError as error:
        logger.warning("Gateway %s failed for call %s: %s", gateway.name, call.pk, error)
        with transaction.atomic():
            GatewayCall.objects.filter(pk=call.pk).update(error=str(error)[:300])
        raise GatewayUnavailable("The payment service is not answering. Nothing was charged "
                                 "twice; please try again in a minute.") from error


def _record(call: GatewayCall, result: GatewayResult, *, actor=None, reason: str = "") -> Payment:
    """Store a gateway's answer and move the payment (and its order) accordingly."""
    with transaction.atomic():
        payment = locks.payment_for_update(call.payment_id)
        call = GatewayCall.objects.select_for_update().get(pk=call.pk)
        if call.outcome != GatewayCall.Outcome.IN_FLIGHT:
            return payment  # already recorded (a retry, or the webhook got here first)
        call.outcome = (GatewayCall.Outcome.SUCCEEDED if result.success
                        else GatewayCall.Outcome.FAILED)
        call.success = result.success
        call.gateway_reference = result.reference[:100]
        call.error, call.error_code = result.error[:300], result.error_code[:60]
        call.completed_at = timezone.now()
        call.save()
        # Stripe rates a payment when it is charged, which may be after our first screening
        # (a webhook secured it, or the shopper's return link synced it before the charge).
        risk_changed = bool(result.risk_level) and result.risk_level != payment.risk_level
        screened_before = payment.state in SCREENED_STATES
        if result.reference and not payment.gateway_reference and call.kind != "refund":
            payment.gateway_reference = result.reference[:100]
        for field in ("card_brand", "card_last4", "client_secret", "risk_level"):
            value = getattr(result, field)
            if value:
                setattr(payment, field, value)
        if not result.success:
            payment.error = result.error[:300]
        payment.save()
        if call.kind == GatewayCall.Kind.REFUND:
            if result.success:
                _add_refund(payment, call.amount, actor=actor, reason=reason)
            return payment
        if call.kind in {GatewayCall.Kind.CAPTURE, GatewayCall.Kind.VOID} and not result.success:
            order_services.record_order_event(
                order_id=payment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
                message=f"{call.get_kind_display()} failed: {result.error}")
            return payment
        payment = _move(payment, result.state, actor=actor,
                        amount=call.amount if result.state == State.CAPTURED else None,
                        message=result.error)
        if risk_changed and screened_before:
            _screen(payment)
        return payment


def _move(payment: Payment, state: str, *, actor=None, amount: Decimal | None = None,
          message: str = "") -> Payment:
    """Move a locked payment to ``state`` if that is forward; a repeated or late answer
    that would move it backwards is ignored. Updates the order and screens for fraud."""
    if state == payment.state or not payment.can_become(state):
        return payment
    first_secured = payment.state in Payment.LIVE_STATES and state in {State.AUTHORIZED,
                                                                       State.CAPTURED}
    payment.state = state
    if state == State.CAPTURED:
        payment.captured_amount = amount if amount is not None else payment.amount
    payment.save(update_fields=["state", "captured_amount", "updated_at"])
    text = _describe(payment, state, message)
    order_status = ORDER_STATUS_FOR.get(state)
    if state == State.CANCELED and payment.order.payment_status == Order.PaymentStatus.AUTHORIZED:
        order_status = Order.PaymentStatus.VOIDED
    if order_status:
        order_services.record_order_payment(
            order_id=payment.order_id, payment_status=order_status,
            event_type=EVENT_FOR[state], message=text, actor=actor,
            data={"payment": str(payment.token), "amount": str(payment.captured_amount)})
    elif state in EVENT_FOR:
        order_services.record_order_event(order_id=payment.order_id,
                                          event_type=EVENT_FOR[state], message=text,
                                          actor=actor, data={"payment": str(payment.token)})
    if first_secured:
        _screen(payment)
    return payment


def _describe(payment: Payment, state: str, message: str) -> str:
    card = f" ({payment.card_label})" if payment.card_label else ""
    amount = payment.money("captured_amount" if state == State.CAPTURED else "amount")
    return {
        State.REQUIRES_ACTION: f"Payment of {amount}{card} needs the shopper to authenticate.",
        State.AUTHORIZED: f"Payment of {amount}{card} authorized.",
        State.CAPTURED: f"Payment of {amount}{card} captured.",
        State.FAILED: f"Payment of {amount}{card} failed: {message or 'declined'}",
        State.CANCELED: f"Payment of {amount}{card} canceled.",
    }.get(state, f"Payment {state}.")


def _add_refund(payment: Payment, amount: Decimal, *, actor=None, reason: str = "") -> None:
    payment.refunded_amount += amount
    state = State.REFUNDED if payment.refunded_amount >= payment.captured_amount \
        else State.PARTIALLY_REFUNDED
    payment.state = state
    payment.save(update_fields=["refunded_amount", "state", "updated_at"])
    text = f"Refunded {Money(amount, payment.currency)}" + (f": {reason}" if reason else ".")
    order = Order.objects.get(pk=payment.order_id)
    order_status = _order_refund_status(order, payment)
    order_services.record_order_payment(
        order_id=payment.order_id, payment_status=order_status, event_type=EVENT_FOR[state],
        message=text, actor=actor, data={"payment": str(payment.token), "amount": str(amount)})


def _order_refund_status(order: Order, payment: Payment) -> str:
    captured = order.payments.aggregate(c=Sum("captured_amount"), r=Sum("refunded_amount"))
    if (captured["r"] or 0) >= (captured["c"] or 0):
        return Order.PaymentStatus.REFUNDED
    return Order.PaymentStatus.PARTIALLY_REFUNDED


def set_refunded_total(*, payment: Payment, refunded_total: Decimal, reason: str = "") -> Payment:
    """The gateway reports a refunded total (a Stripe ``charge.refunded``); add what we had
    not recorded. Refunds made through us are already counted, so a repeated report adds
    nothing. A refund of ours still in flight is left out too: its report can overtake our
    own record of the answer, which will count it (counting it here as well would refund
    twice on paper). Every refund brings a new report with the new total, so a refund made
    elsewhere meanwhile is counted by the next one."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        in_flight = payment.calls.filter(
            kind=GatewayCall.Kind.REFUND, outcome=GatewayCall.Outcome.IN_FLIGHT,
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        missing = (min(refunded_total, payment.captured_amount) - payment.refunded_amount
                   - in_flight)
        if missing > 0 and payment.state in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
            _add_refund(payment, missing, reason=reason or "refunded at the gateway")
        return payment


def record_gateway_risk(*, payment: Payment, risk_level: str) -> Payment:
    """The gateway rated a payment (Stripe's charge outcome, reported by a webhook or a
    sync): store the rating and, if the order was already screened without it, screen the
    order again so an elevated or highest rating can still hold it.

    Guarantees: a repeated or empty rating changes nothing; a payment not yet secured is
    screened with the stored rating when it is.
    """
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        risk_level = risk_level[:20]
        if not risk_level or risk_level == payment.risk_level:
            return payment
        payment.risk_level = risk_level
        payment.save(update_fields=["risk_level", "updated_at"])
        if payment.state in SCREENED_STATES:
            _screen(payment)
        return payment


def _screen(payment: Payment) -> None:
    order = Order.objects.select_related("shipping_address", "billing_address").get(
        pk=payment.order_id)
    score, reasons = risk.assess(order, gateway_risk_level=payment.risk_level)
    if score >= settings.SHOP_RISK_HOLD_SCORE:
        order_services.hold_for_review(order_id=order.pk, score=score, reasons=reasons)
    else:
        order_services.record_risk(order_id=order.pk, score=score, reasons=reasons)


def move_payment(*, payment: Payment, state: str, amount: Decimal | None = None,
                 message: str = "", risk_level: str = "") -> Payment:
    """Move a payment as a gateway notification says (webhooks); forward moves only.
    ``risk_level``, when the notification carries the gateway's rating, is stored first so
    the fraud screening that comes with securing the payment uses it."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        risk_changed = bool(risk_level) and risk_level[:20] != payment.risk_level
        if risk_changed:
            payment.risk_level = risk_level[:20]
            payment.save(update_fields=["risk_level", "updated_at"])
        screened_before = payment.state in SCREENED_STATES
        if state == State.FAILED and payment.gateway == Payment.Gateway.STRIPE:
            # A failed attempt leaves a Stripe PaymentIntent open for another try.
            if payment.state in Payment.LIVE_STATES:
                payment.error = message[:300]
                payment.save(update_fields=["error", "updated_at"])
                order_services.record_order_event(
                    order_id=payment.order_id, event_type=OrderEvent.Type.PAYMENT_FAILED,
                    message=_describe(payment, State.FAILED, message))
            return payment
        payment = _move(payment, state, amount=amount, message=message)
        if risk_changed and screened_before:
            _screen(payment)
        return payment
