"""Invoices: issued once per paid order, numbered without gaps."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from kernel.errors import InvalidTransition

from .. import locks
from ..models import Invoice, InvoiceSequence, Order

INVOICEABLE = {Order.PaymentStatus.PAID, Order.PaymentStatus.PARTIALLY_REFUNDED,
               Order.PaymentStatus.REFUNDED, Order.PaymentStatus.AUTHORIZED}


def issue_invoice(*, order_id: int) -> Invoice:
    """The order's invoice, issued now if it has none. Refused for an unpaid order."""
    existing = Invoice.objects.filter(order_id=order_id).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        existing = Invoice.objects.filter(order=order).first()
        if existing is not None:
            return existing
        if order.payment_status not in INVOICEABLE:
            raise InvalidTransition(f"Order {order.number} is not paid; it has no invoice yet.")
        # The UPDATE locks the sequence row until this commits, so numbers are handed out
        # one transaction at a time and a rollback leaves no gap. The migration makes the
        # row; should it be missing (a flushed database), the first invoice makes it.
        if not InvoiceSequence.objects.filter(pk=1).update(last_number=F("last_number") + 1):
            try:
                with transaction.atomic():
                    InvoiceSequence.objects.create(pk=1, last_number=1)
            except IntegrityError:  # made by a parallel first invoice: take the next one
                InvoiceSequence.objects.filter(pk=1).update(
                    last_number=F("last_number") + 1)
        sequence = InvoiceSequence.objects.select_for_update().get(pk=1)
        return Invoice.objects.create(order=order, number=f"INV-{sequence.last_number:06d}")
