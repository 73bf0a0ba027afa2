"""Putting an order's money right when the money consistency check (``shop.moneycheck``)
finds it wrong: the order's payment status brought back to what its payments say, the money
a canceled order still holds refunded, a refund's reason recorded, a payment stuck in a live
state settled. Each re-checks under the locks and does nothing when there is nothing to do,
so a repair run twice repairs once.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kernel.errors import InvalidTransition, NotFound
from kernel.money import Money
from orders import services as order_services
from orders.models import Order, OrderEvent

from .. import locks
from ..exceptions import PaymentError
from ..models import DECISION_REASONS, GatewayCall, Payment, RefundReason
from .capture import void_payment
from .refunds import ensure_may_refund, refund_payment
from .starting import sync_payment

State = Payment.State
LIVE = {State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED}
ZERO = Decimal("0")
# The status a repair sets when more than one would agree with the payments.
TARGET_PREFERENCE = [Order.PaymentStatus.PARTIALLY_REFUNDED, Order.PaymentStatus.AUTHORIZED,
                     Order.PaymentStatus.REFUNDED, Order.PaymentStatus.UNPAID,
                     Order.PaymentStatus.PAID, Order.PaymentStatus.VOIDED]


def authorization_deadline(payment: Payment):
    """When an uncaptured authorization lapses at the card network
    (SHOP_AUTHORIZATION_HOLD_DAYS after the payment started, 7 by default)."""
    days = getattr(settings, "SHOP_AUTHORIZATION_HOLD_DAYS", 7)
    return payment.created_at + timedelta(days=days)


def live_payment_deadline(payment: Payment, order: Order):
    """Past this a payment should no longer be live: the order's payment deadline for a
    payment still pending or authenticating, the authorization's lapse for an authorized
    one (None: no deadline)."""
    if payment.state == State.AUTHORIZED:
        return authorization_deadline(payment)
    return order.payment_due_by


def expected_payment_status(*, total: Decimal, captured: Decimal, refunded: Decimal,
                            authorized: int) -> set[str]:
    """The payment statuses an order may show for what its payments hold. Money given
    back that the order never counted as its payment (a capture it did not owe, refunded:
    ``recording.move_payment_to``) leaves its status as it was: paid when what it still
    holds is its total, unpaid, voided or authorized when it holds nothing captured."""
    if captured > 0:
        if refunded <= 0:
            return {Order.PaymentStatus.PAID}
        if refunded >= captured:
            return {Order.PaymentStatus.REFUNDED} | (
                {Order.PaymentStatus.AUTHORIZED} if authorized
                else {Order.PaymentStatus.UNPAID, Order.PaymentStatus.VOIDED})
        if captured - refunded >= total:
            return {Order.PaymentStatus.PARTIALLY_REFUNDED, Order.PaymentStatus.PAID}
        return {Order.PaymentStatus.PARTIALLY_REFUNDED}
    if authorized:
        return {Order.PaymentStatus.AUTHORIZED}
    allowed = {Order.PaymentStatus.UNPAID, Order.PaymentStatus.VOIDED}
    if total == 0:
        allowed.add(Order.PaymentStatus.PAID)  # a zero-total order is paid without a gateway
    return allowed


def order_money(order_id: int) -> dict:
    return Payment.objects.filter(order_id=order_id).aggregate(
        captured=Sum("captured_amount", default=ZERO),
        refunded=Sum("refunded_amount", default=ZERO),
        authorized=Count("pk", filter=Q(state=State.AUTHORIZED)))


def reconcile_payment_status(*, order_id: int, actor=None) -> str:
    """Move the order's payment status to what its payments hold (captured, refunded,
    authorized), with an event saying what it was. Returns what was done; raises
    ``InvalidTransition`` when the order's state machine refuses the move."""
    with transaction.atomic():
        order = locks.order_with_payments_for_update(order_id)
        money = order_money(order_id)
        allowed = expected_payment_status(total=order.total, **money)
        if order.payment_status in allowed:
            return ""
        target = next(status for status in TARGET_PREFERENCE if status in allowed)
        if Order.PaymentStatus.VOIDED in allowed and order.payment_status in {
                Order.PaymentStatus.AUTHORIZED}:
            target = Order.PaymentStatus.VOIDED
        was = order.get_payment_status_display().lower()
        message = (f"Money check: payment status was “{was}” but the payments hold captured "
                   f"{Money(money['captured'], order.currency)}, refunded "
                   f"{Money(money['refunded'], order.currency)}; set to "
                   f"“{Order.PaymentStatus(target).label.lower()}”.")
        order_services.record_order_payment(order_id=order_id, payment_status=target,
                                            event_type=OrderEvent.Type.NOTE, message=message,
                                            actor=actor)
        return message


def refund_canceled_order(*, order_id: int, actor=None) -> Decimal:
    """A canceled order still holds captured money: refund it to the shopper as a
    cancellation, payment by payment (idempotent: keyed on what was refunded before).
    Returns the amount refunded now."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    if order.status != Order.Status.CANCELED:
        raise InvalidTransition(f"Order {order.number} is not canceled.")
    refunded = ZERO
    for payment in Payment.objects.filter(order_id=order_id).order_by("pk"):
        if payment.state not in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
            continue
        in_flight = payment.calls.filter(kind=GatewayCall.Kind.REFUND,
                                         outcome=GatewayCall.Outcome.IN_FLIGHT)
        rest = (payment.captured_amount - payment.refunded_amount
                - in_flight.aggregate(total=Sum("amount", default=ZERO))["total"])
        if rest <= 0:
            continue
        refund_payment(payment=payment, amount=rest, actor=actor,
                       reason="Money check: the order is canceled but still held this money",
                       refund_reason=RefundReason.CANCELLATION,
                       idempotency_key=f"{payment.token}:moneycheck-refund:"
                                       f"{payment.refunded_amount}")
        refunded += rest
    return refunded


def record_refund_reason(*, call_id: int, refund_reason: str, note: str, actor=None
                         ) -> GatewayCall:
    """Record why a refund made without a reason was made (a refund from before reasons
    existed, or made at the gateway). A price adjustment or goodwill needs the
    permission to make one when a person records it. Never changes an existing reason."""
    if refund_reason not in RefundReason.values:
        raise PaymentError(f"Unknown refund reason: {refund_reason}.")
    if actor is not None and refund_reason in DECISION_REASONS:
        ensure_may_refund(refund_reason=refund_reason, actor=actor)
    with transaction.atomic():
        call = GatewayCall.objects.select_for_update().filter(
            pk=call_id, kind=GatewayCall.Kind.REFUND).first()
        if call is None:
            raise NotFound("No such refund.")
        if call.refund_reason:
            return call
        call.refund_reason, call.refund_note = refund_reason, note[:300]
        call.save(update_fields=["refund_reason", "refund_note"])
    order_services.record_order_event(
        order_id=call.payment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
        message=f"Refund of {Money(call.amount, call.currency)} recorded as "
                f"{RefundReason(refund_reason).label.lower()}: {note}",
        data={"call": call.pk, "refund_reason": refund_reason})
    return call


def settle_stuck_payment(*, payment_id: int, actor=None, now=None) -> Payment:
    """A payment live past its deadline: ask the gateway where it stands (it may have
    succeeded or failed meanwhile), and if it is still live, void it so no hold stays on
    the shopper's card. A payment no longer live or not yet due is left alone. The void is
    ``void_payment``'s: a lapsed authorization an open order still lives on is refused
    (the order would ship unpaid): staff capture it or cancel the order."""
    now = now or timezone.now()
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No such payment.")
    deadline = live_payment_deadline(payment, payment.order)
    if payment.state not in LIVE or deadline is None or deadline > now:
        return payment
    if payment.state != State.AUTHORIZED:
        payment = sync_payment(payment=payment)
        payment.refresh_from_db()
        if payment.state not in LIVE:
            return payment
    return void_payment(payment=payment, actor=actor)
