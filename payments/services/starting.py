"""Starting a payment: the shopper pays an order, finishes an authentication step, comes
back from Stripe; and unpaid orders keep their stock while their payment is under way."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import router, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kernel.errors import ShopError
from kernel.prepared import NO_MOMENT, SENTINEL, PreparedRead
from orders import services as order_services
from orders.models import Order

from .. import locks
from ..exceptions import GatewayUnavailable, PaymentDeclined, PaymentError
from ..models import GatewayCall, Payment
from .capture import void_payment
from .recording import call_gateway, record_result

logger = logging.getLogger(__name__)

State = Payment.State
# A call still in flight after this long is taken as lost (the process died mid-call); a
# new attempt may start. Its own idempotency key keeps the lost one from charging twice.
IN_FLIGHT_BLOCKS_FOR = timedelta(minutes=2)


def _capture_automatically(gateway: str) -> bool:
    return gateway != Payment.Gateway.STRIPE or settings.STRIPE_CAPTURE_METHOD != "manual"


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
        order = locks.order_with_payments_for_update(order.pk)
        _ensure_payable(order)
        # Read after the order's lock, so an attempt another tab committed meanwhile is
        # seen (its call still in flight refuses this one). One query; none more on a
        # first attempt.
        earlier = _earlier_attempts(order)
        if gateway == Payment.Gateway.STRIPE:
            live = next((p for p in earlier if p.gateway == gateway and p.client_secret
                         and p.state in Payment.LIVE_STATES and p.amount == order.total), None)
            if live is not None:  # the same PaymentIntent serves every attempt
                return live
        elif any(p.in_flight for p in earlier):
            raise PaymentError("A payment for this order is already being processed.",
                               code="payment_in_progress")
        # An earlier live attempt stays live until it is voided at the gateway, after
        # commit (marking it canceled here would leave a Stripe intent open that the
        # shopper may still complete).
        superseded = [p for p in earlier if p.gateway == gateway
                      and p.state in Payment.LIVE_STATES]
        payment = Payment.objects.create(
            order=order, gateway=gateway, amount=order.total, currency=order.currency,
            manual_capture=not _capture_automatically(gateway),
        )
        call = GatewayCall.objects.create(
            payment=payment, kind=GatewayCall.Kind.AUTHORIZE, amount=payment.amount,
            currency=payment.currency, idempotency_key=f"{payment.token}:authorize",
        )
        order_services.extend_payment_deadline(
            order_id=order.pk, locked_order=order,
            until=timezone.now() + timedelta(minutes=settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES))
    _void_superseded(superseded)
    result = call_gateway(call, lambda gw: gw.authorize(
        amount=payment.amount, currency=payment.currency, idempotency_key=call.idempotency_key,
        capture=not payment.manual_capture, payment_data=payment_data or {},
        metadata={"order": order.number, "order_token": str(order.token)},
    ))
    payment = record_result(call, result)
    if payment.state == State.FAILED:
        raise PaymentDeclined(payment.error or "The payment was declined.")
    return payment


def _void_superseded(payments: list[Payment]) -> None:
    """Void the attempts a new one replaces (outside any transaction). One the gateway
    won't void now stays live: the stuck-payment check settles it, and should the shopper
    still complete it, its capture is recorded and refunded when the order does not owe
    it (``recording.move_payment_to``)."""
    for earlier in payments:
        try:
            void_payment(payment=earlier)
        except ShopError as error:
            logger.info("Earlier attempt %s not voided: %s", earlier.pk, error.message)


def _earlier_attempts(order: Order) -> list[Payment]:
    """The order's payments, newest first, each with ``in_flight``: a gateway call made
    less than IN_FLIGHT_BLOCKS_FOR ago and not yet answered."""
    return _ATTEMPTS.objects(order.pk, timezone.now() - IN_FLIGHT_BLOCKS_FOR,
                             using=router.db_for_write(Payment))


def _attempts(order_id: int, since):
    calls_in_flight = GatewayCall.objects.filter(
        payment=OuterRef("pk"), outcome=GatewayCall.Outcome.IN_FLIGHT, created_at__gte=since)
    return Payment.objects.filter(order_id=order_id).annotate(in_flight=Exists(calls_in_flight))


# Read on every attempt to pay, under the order's lock: compiled once per process.
_ATTEMPTS = PreparedRead(_attempts, sentinels=(SENTINEL, NO_MOMENT))


def _ensure_payable(order: Order) -> None:
    if order.status != Order.Status.OPEN:
        raise PaymentError(f"Order {order.number} is {order.get_status_display().lower()} and "
                           "can't be paid.", code="order_not_payable")
    if order.payment_status != Order.PaymentStatus.UNPAID:
        raise PaymentError(f"Order {order.number} is already "
                           f"{order.get_payment_status_display().lower()}.", code="already_paid")
    if order.total <= 0:
        # A gateway can't charge nothing (and a payment row is never for zero): the orders
        # service settles such an order with no payment (``settle_zero_total_order``).
        raise PaymentError(f"Order {order.number} has nothing to pay.", code="nothing_to_pay")


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
    result = call_gateway(call, lambda gw: gw.confirm(
        reference=payment.gateway_reference, idempotency_key=call.idempotency_key,
        payment_data={"authenticated": authenticated, "capture": not payment.manual_capture}))
    payment = record_result(call, result)
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
    result = call_gateway(call, lambda gw: gw.confirm(reference=payment.gateway_reference,
                                                      idempotency_key=key, payment_data={}))
    return record_result(call, result)


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
