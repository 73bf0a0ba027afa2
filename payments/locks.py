"""Locks: a payment row first, then its order (always in that order)."""

from django.db import router

from kernel.errors import NotFound
from kernel.prepared import PreparedRead
from orders import locks as order_locks
from orders.models import Order

from .models import GatewayCall, Payment

# Paying locks these on every attempt: the locking reads are compiled once per process.
_PAYMENT = PreparedRead(lambda payment_id: Payment.objects.select_for_update(of=("self",))
                        .select_related("order").filter(pk=payment_id))
_PAYMENT_IDS_OF_ORDER = PreparedRead(
    lambda order_id: Payment.objects.select_for_update().filter(order_id=order_id)
    .order_by("pk").values_list("pk", flat=True))
_CALL = PreparedRead(lambda call_id: GatewayCall.objects.select_for_update().filter(pk=call_id))


def payment_for_update(payment_id: int) -> Payment:
    payment = _PAYMENT.first(payment_id, using=router.db_for_write(Payment))
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def gateway_call_for_update(call_id: int) -> GatewayCall:
    """A gateway call locked (after its payment)."""
    call = _CALL.first(call_id, using=router.db_for_write(GatewayCall))
    if call is None:
        raise GatewayCall.DoesNotExist(f"No gateway call {call_id}.")
    return call


def order_with_payments_for_update(order_id: int) -> Order:
    """Lock an order's payment rows (by pk), then the order itself: the order every payment
    service locks in (a webhook or an authentication step holds a payment, then wants the
    order). For a decision about the whole order (pay, capture, cancel) taken under its
    lock."""
    _PAYMENT_IDS_OF_ORDER.rows(order_id, using=router.db_for_write(Payment))
    return order_locks.order_for_update(order_id)
