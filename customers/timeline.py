"""One customer's history for customer service, newest first, in a fixed number of queries.

A customer is an email (a guest) or an account (with its email): their orders are those
placed with that email or by that account. Each source is one query, at most ``LIMIT``
rows (the newest), whatever the length of the history: orders, payments, shipments,
returns, the order/shipment/return emails, marketing emails, reviews, staff notes and
contact messages. The merged list is sorted by time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from fulfillment.models import Shipment, ShipmentNotification
from kernel.money import Money
from marketing.selectors import emails_sent_to
from orders.models import Order, OrderNotification
from payments.models import Payment
from returns.models import ReturnNotification, ReturnRequest
from reviews.models import Review

from .models import ContactMessage, CustomerNote

LIMIT = 100


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # order, payment, shipment, return, email, review, note, message
    title: str
    detail: str = ""
    url: str = ""


@dataclass(frozen=True)
class Timeline:
    email: str
    user: object
    entries: list[Entry]
    order_count: int


def _admin_url(name: str, pk) -> str:
    try:
        return reverse(f"admin:{name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def customer_orders(*, email: str, user=None):
    query = Q(email__iexact=email) if email else Q(pk__in=[])
    if user is not None:
        query |= Q(user=user)
    return Order.objects.filter(query)


def customer_timeline(*, email: str = "", user=None) -> Timeline:
    email = (email or (user.email if user is not None else "")).strip().lower()
    orders = customer_orders(email=email, user=user)
    order_ids = orders.values("pk")
    entries: list[Entry] = []
    order_rows = list(orders.order_by("-placed_at", "-pk")[:LIMIT])
    for order in order_rows:
        entries.append(Entry(order.placed_at, "order", f"Order {order.number} placed",
                             f"{order.money('total')} · {order.get_payment_status_display()}"
                             f" · {order.get_fulfillment_status_display()}",
                             _admin_url("orders_order", order.pk)))
    for payment in (Payment.objects.filter(order__in=order_ids).select_related("order")
                    .order_by("-created_at", "-pk")[:LIMIT]):
        detail = f"{payment.money('amount')} · {payment.get_state_display()}"
        if payment.refunded_amount:
            detail += f" · refunded {Money(payment.refunded_amount, payment.currency)}"
        entries.append(Entry(payment.created_at, "payment",
                             f"Payment for {payment.order.number}", detail,
                             _admin_url("payments_payment", payment.pk)))
    for shipment in (Shipment.objects.filter(order__in=order_ids).select_related("order")
                     .order_by("-created_at", "-pk")[:LIMIT]):
        entries.append(Entry(shipment.shipped_at or shipment.created_at, "shipment",
                             f"Shipment {shipment.number} ({shipment.order.number})",
                             shipment.get_state_display(),
                             _admin_url("fulfillment_shipment", shipment.pk)))
    for rma in (ReturnRequest.objects.filter(order__in=order_ids).select_related("order")
                .order_by("-created_at", "-pk")[:LIMIT]):
        entries.append(Entry(rma.created_at, "return",
                             f"Return {rma.number} ({rma.order.number})",
                             rma.get_state_display(),
                             _admin_url("returns_returnrequest", rma.pk)))
    entries += _emails(order_ids, email)
    entries += review_entries(email=email, user=user)
    entries += _notes(email=email, user=user, order_ids=order_ids)
    for contact in (ContactMessage.objects.filter(email=email).order_by("-created_at", "-pk")
                    [:LIMIT] if email else []):
        entries.append(Entry(contact.created_at, "message", f"Contact form: {contact.subject}",
                             contact.get_status_display(),
                             _admin_url("customers_contactmessage", contact.pk)))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return Timeline(email=email, user=user, entries=entries, order_count=len(order_rows))


def _emails(order_ids, email: str) -> list[Entry]:
    entries = []
    for row in (OrderNotification.objects.filter(order__in=order_ids, sent_at__isnull=False)
                .select_related("order").order_by("-sent_at", "-pk")[:LIMIT]):
        entries.append(Entry(row.sent_at, "email", f"Email: {row.get_kind_display()}",
                             f"Order {row.order.number}"))
    for row in (ShipmentNotification.objects.filter(shipment__order__in=order_ids,
                                                    sent_at__isnull=False)
                .select_related("shipment").order_by("-sent_at", "-pk")[:LIMIT]):
        entries.append(Entry(row.sent_at, "email", f"Email: {row.get_kind_display()}",
                             f"Shipment {row.shipment.number}"))
    for row in (ReturnNotification.objects.filter(return_request__order__in=order_ids,
                                                  sent_at__isnull=False)
                .select_related("return_request").order_by("-sent_at", "-pk")[:LIMIT]):
        entries.append(Entry(row.sent_at, "email", f"Email: {row.get_kind_display()}",
                             f"Return {row.return_request.number}"))
    if email:
        for row in emails_sent_to(email)[:LIMIT]:
            entries.append(Entry(row.sent_at or row.created_at, "email",
                                 f"Marketing email: {row.subject}", row.kind))
    return entries


def review_entries(*, email: str, user=None) -> list[Entry]:
    """The customer's product reviews (``reviews.models.Review``, by account or email)."""
    query = Q(email__iexact=email) if email else Q(pk__in=[])
    if user is not None:
        query |= Q(user=user)
    return [Entry(review.created_at, "review",
                  f"Review of {review.product.title}: {review.rating}/5",
                  review.get_status_display(), _admin_url("reviews_review", review.pk))
            for review in Review.objects.filter(query).select_related("product")
            .order_by("-created_at", "-pk")[:LIMIT]]


def _notes(*, email: str, user, order_ids) -> list[Entry]:
    query = Q(order__in=order_ids)
    if email:
        query |= Q(email=email)
    if user is not None:
        query |= Q(user=user)
    return [Entry(note.created_at, "note",
                  f"Note by {note.author.get_username() if note.author_id else 'staff'}"
                  + (f" on order {note.order.number}" if note.order_id else ""), note.text)
            for note in CustomerNote.objects.filter(query).select_related("author", "order")
            .order_by("-created_at", "-pk")[:LIMIT]]
