"""Locks: a payment row first, then its order (always in that order)."""

from kernel.errors import NotFound

from .models import Payment


def payment_for_update(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update(of=("self",)).select_related("order").get(
            pk=payment_id)
    except Payment.DoesNotExist:
        raise NotFound("No such payment.") from None
