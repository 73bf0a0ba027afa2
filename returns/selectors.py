"""What a shopper may send back, read in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Variant
from fulfillment.models import Shipment, ShipmentLine
from inventory.selectors import with_variant_availability
from orders.models import Order, OrderLine

from .models import ReturnLine, ReturnRequest


@dataclass
class ReturnableLine:
    """One order line as the return form shows it."""

    line: OrderLine
    delivered: int = 0
    requested: int = 0  # units on returns that are not rejected
    returnable: int = 0
    deadline: datetime | None = None
    refusal: str = ""  # why nothing on this line can be returned
    exchange_options: list[Variant] = field(default_factory=list)


def returnable_lines(order: Order, *, now: datetime | None = None) -> list[ReturnableLine]:
    """Every line of the order with how many units may still be returned, and why not
    when none may: not delivered yet, final sale, the window closed, already returned.

    Units count as delivered once their shipment is delivered; each delivered shipment
    opens a window of SHOP_RETURN_WINDOW_DAYS from its delivery. Four queries, whatever
    the order's size.
    """
    now = now or timezone.now()
    window = timedelta(days=settings.SHOP_RETURN_WINDOW_DAYS)
    lines = list(order.lines.select_related("variant").order_by("pk"))
    delivered: dict[int, int] = defaultdict(int)
    in_window: dict[int, int] = defaultdict(int)
    deadline: dict[int, datetime] = {}
    shipped = (ShipmentLine.objects.filter(shipment__order=order,
                                           shipment__state=Shipment.State.DELIVERED)
               .values_list("order_line_id", "quantity", "shipment__delivered_at"))
    for line_id, quantity, delivered_at in shipped:
        delivered[line_id] += quantity
        closes = (delivered_at or now) + window
        deadline[line_id] = max(deadline.get(line_id, closes), closes)
        if closes >= now:
            in_window[line_id] += quantity
    requested = dict(ReturnLine.objects.filter(order_line__order=order)
                     .exclude(return_request__state=ReturnRequest.State.REJECTED)
                     .values_list("order_line_id").annotate(total=Sum("quantity")))
    product_ids = {line.variant.product_id for line in lines if line.variant is not None}
    siblings: dict[int, list[Variant]] = defaultdict(list)
    # Exchanges are for variants that can be sent now: a sold-out one is not offered.
    for variant in (with_variant_availability(Variant.objects.filter(
                        product_id__in=product_ids, is_active=True, product__is_published=True))
                    .filter(available__gt=0)
                    .order_by("product_id", "position", "pk")):
        siblings[variant.product_id].append(variant)
    rows = []
    for line in lines:
        row = ReturnableLine(line=line, delivered=delivered[line.pk],
                             requested=requested.get(line.pk, 0),
                             deadline=deadline.get(line.pk))
        row.returnable = max(0, min(row.delivered - row.requested, in_window[line.pk]))
        if line.final_sale:
            row.returnable, row.refusal = 0, "Final sale: this item can't be returned."
        elif not row.delivered:
            row.refusal = "Not delivered yet: it can be returned once it arrives."
        elif row.requested >= row.delivered:
            row.refusal = "Already returned (or on a return in progress)."
        elif not in_window[line.pk]:
            row.refusal = (f"The return window closed on {row.deadline:%B %-d, %Y}."
                           if row.deadline else "The return window has closed.")
        if line.variant is not None:
            row.exchange_options = [v for v in siblings[line.variant.product_id]
                                    if v.pk != line.variant_id]
        rows.append(row)
    return rows


def can_start_return(order: Order) -> bool:
    return order.status != Order.Status.CANCELED and any(
        row.returnable for row in returnable_lines(order))
