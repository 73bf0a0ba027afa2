"""What payments holds about a person: the payments of their orders, without card secrets
(never the client secret; the card's brand and last four digits only). Registered with
``kernel.personal_data`` in ``PaymentsConfig.ready``.

Erasure keeps the payment records accounting needs (amounts, states, gateway references,
times) and drops what identifies the card holder: the last four digits and the client
secret. Runs before the orders section, which detaches the orders from the person."""

from __future__ import annotations

from kernel.money import Money
from kernel.personal_data import Subject, register_personal_data
from orders.personal_data import subject_orders

from .models import Payment


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


def erase_payments(subject: Subject) -> None:
    _payments(subject).update(card_last4="", client_secret="")


def register() -> None:
    register_personal_data("payments", export=export_payments, erase=erase_payments,
                           order=60)
