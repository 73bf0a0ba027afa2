"""Reads for data requests: what still ties a person's orders to money or goods in motion,
and the export document. Each a fixed number of queries."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from fulfillment.models import Shipment
from kernel.money import Money
from kernel.personal_data import Subject, sections
from orders.models import Order, StockShortfall
from payments.models import GatewayCall, Payment
from returns.models import ReturnRequest

PAID = {Order.PaymentStatus.PAID, Order.PaymentStatus.PARTIALLY_REFUNDED}
UNSHIPPED = {Order.FulfillmentStatus.UNFULFILLED, Order.FulfillmentStatus.PARTIALLY_FULFILLED}
SETTLED_SHIPMENTS = {Shipment.State.DELIVERED, Shipment.State.CANCELED}


def open_matters(orders: list[Order]) -> list[str]:
    """Why the person's data can't be erased yet, one sentence per order or return still
    open: money and goods must not part ways, and an erased order can't be followed up.
    Empty when every order is settled. Five queries at most, whatever the number of orders.

    Open means: awaiting payment, or authorized; paid and not all shipped; a cancel being
    settled; a parcel not yet delivered; a return not yet closed; a payment or refund
    still with the gateway; a stock shortfall waiting for a decision."""
    reasons: list[str] = []
    live = [order for order in orders if order.status == Order.Status.OPEN]
    for order in live:
        if order.cancel_requested_at is not None:
            reasons.append(f"Order {order.number} is being canceled and its money settled.")
        elif order.payment_status == Order.PaymentStatus.UNPAID:
            reasons.append(f"Order {order.number} is awaiting payment.")
        elif order.payment_status == Order.PaymentStatus.AUTHORIZED:
            reasons.append(f"Order {order.number} is paid (authorized) and not shipped yet.")
        elif order.payment_status in PAID and order.fulfillment_status in UNSHIPPED:
            reasons.append(f"Order {order.number} is paid and not shipped yet.")
    if not orders:
        return reasons
    ids = [order.pk for order in orders]
    for number in (Shipment.objects.filter(order_id__in=ids)
                   .exclude(state__in=SETTLED_SHIPMENTS)
                   .exclude(order__status=Order.Status.CANCELED)
                   .order_by("order__number").values_list("order__number", flat=True)
                   .distinct()):
        reasons.append(f"Order {number} has a parcel that is not delivered yet.")
    for number, order_number in (ReturnRequest.objects.filter(
            order_id__in=ids, state__in=ReturnRequest.OPEN_STATES)
            .order_by("pk").values_list("number", "order__number")):
        reasons.append(f"Return {number} for order {order_number} is still open.")
    in_flight = set(Payment.objects.filter(order_id__in=ids, state__in=Payment.LIVE_STATES)
                    .exclude(order__status=Order.Status.CANCELED)
                    .values_list("order__number", flat=True))
    in_flight |= set(GatewayCall.objects.filter(payment__order_id__in=ids,
                                                outcome=GatewayCall.Outcome.IN_FLIGHT)
                     .values_list("payment__order__number", flat=True))
    for number in sorted(in_flight):
        reasons.append(f"Order {number} has a payment or refund still being processed.")
    for number in (StockShortfall.objects.filter(order_id__in=ids,
                                                 state__in=StockShortfall.OPEN_STATES)
                   .order_by("pk").values_list("order__number", flat=True)):
        reasons.append(f"Order {number} waits for a decision on items out of stock.")
    return reasons


class ExportEncoder(DjangoJSONEncoder):
    """Money as ``{"amount": "12.50", "currency": "USD"}`` (a string, never a float),
    datetimes as ISO 8601 in UTC (``...Z``), dates as ISO 8601, the rest as Django does."""

    def default(self, value):
        if isinstance(value, Money):
            return {"amount": str(value.amount), "currency": value.currency}
        if isinstance(value, datetime.datetime):
            if timezone.is_naive(value):
                value = timezone.make_aware(value, datetime.UTC)
            return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, uuid.UUID):
            return str(value)
        return super().default(value)


def export_document(subject: Subject, *, now: datetime.datetime | None = None
                    ) -> tuple[dict, list[str]]:
    """Everything the registered sections hold about ``subject``, and the sections'
    names. Each section takes its own fixed number of queries."""
    names, data = [], {}
    for section in sections():
        data[section.name] = section.export(subject)
        names.append(section.name)
    document = {
        "shop": settings.SHOP_NAME,
        "generated_at": now or timezone.now(),
        "about": {"emails": sorted(subject.email_set),
                  "account": subject.user is not None},
        "sections": data,
    }
    return document, names


def export_json(document: dict) -> str:
    return json.dumps(document, cls=ExportEncoder, indent=2, ensure_ascii=False)
