"""Locks: a payment row first, then its order (always in that order)."""

from kernel.errors import NotFound
from orders import locks as order_locks
from orders.models import Order

from .models import Payment


def payment_for_update(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update(of=("self",)).select_related("order").get(
            pk=payment_id)
    except Payment.DoesNotExist:
        raise NotFound("No such payment.") from None


def order_with_payments_for_update(order_id: int) -> Order:
    """Lock an order's payment rows (by pk), then the order itself: the order every payment
    service locks in (a webhook or an authentication step holds a payment, then wants the
    order). For a decision about the whole order (pay, capture, cancel) taken under its
    lock."""
    list(Payment.objects.select_for_update().filter(order_id=order_id)
         .order_by("pk").values_list("pk", flat=True))
    return order_locks.order_for_update(order_id)
