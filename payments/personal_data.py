"""What payments holds about a person: the payments of their orders, without card secrets
(never the client secret; the card's brand and last four digits only). Registered with
``kernel.personal_data`` in ``PaymentsConfig.ready``.

Erasure keeps the payment records accounting needs (amounts, states, gateway references,
times) and drops what identifies the card holder: the last four digits, the client
secret, and the names, emails and addresses in the Stripe webhook payloads stored about
those payments. Runs before the orders section, which detaches the orders from the
person."""

from __future__ import annotations

from django.db.models import Q

from kernel.money import Money
from kernel.personal_data import Subject, register_personal_data
from orders.personal_data import subject_orders

from .models import Payment, StripeEvent

# Keys of a Stripe object that name or reach the card holder; their values are erased from
# the stored webhook payloads (amounts, states and ids stay, for the books).
PERSONAL_KEYS = {"billing_details", "shipping", "receipt_email", "email", "name", "phone",
                 "address", "customer_email", "customer_details", "customer_name"}


def _payments(subject: Subject):
    return Payment.objects.filter(order__in=subject_orders(subject).values("pk"))


def export_payments(subject: Subject) -> list[dict]:
    """One query."""
    return [{"order": payment.order.number, "method": payment.get_gateway_display(),
             "state": payment.state, "amount": Money(payment.amount, payment.currency),
             "captured": Money(payment.captured_amount, payment.currency),
             "refunded": Money(payment.refunded_amount, payment.currency),
             "card_brand": payment.card_brand, "card_last4": payment.card_last4,
             "created_at": payment.created_at, "updated_at": payment.updated_at}
            for payment in _payments(subject).select_related("order")
            .only("order__number", "gateway", "state", "amount", "currency",
                  "captured_amount", "refunded_amount", "card_brand", "card_last4",
                  "created_at", "updated_at").order_by("created_at", "pk")]


def redacted(value):
    """A webhook payload with the values of ``PERSONAL_KEYS`` erased, at any depth."""
    if isinstance(value, dict):
        return {key: ("[erased]" if key in PERSONAL_KEYS and item not in (None, "", {}, [])
                      else redacted(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value


def erase_payments(subject: Subject) -> None:
    """Card digits and client secrets cleared; the Stripe events received about the
    person's payments keep their ids, types and amounts but not who paid (one query per
    such event: a handful per order)."""
    payments = _payments(subject)
    references = [ref for ref in payments.values_list("gateway_reference", flat=True) if ref]
    payments.update(card_last4="", client_secret="")
    if not references:
        return
    for event in StripeEvent.objects.filter(
            Q(object_id__in=references)
            | Q(payload__data__object__payment_intent__in=references)).order_by("pk"):
        event.payload = redacted(event.payload)
        event.save(update_fields=["payload"])


def register() -> None:
    register_personal_data("payments", export=export_payments, erase=erase_payments,
                           order=60)
