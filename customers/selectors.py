"""Reads: the grouped RFM query behind the segments, and the members of a segment."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Lower

from orders.models import Order
from payments.models import Payment

from .models import CustomerSegment

ZERO = Decimal("0")


def counted_orders():
    """The orders RFM counts (see ``customers.rfm``): paid, not fully refunded, not a free
    replacement, in the shop's currency."""
    return (Order.objects.filter(paid_at__isnull=False, replaces__isnull=True,
                                 currency=settings.SHOP_CURRENCY)
            .exclude(payment_status=Order.PaymentStatus.REFUNDED))


def customer_totals():
    """One grouped query over the counted orders, a row per lower-cased email: first and
    last order time, order count, paid totals, refunds, and the latest account id.

    Refunds come from the order's payments in a correlated subquery summed per customer
    (a join would count an order's total once per payment)."""
    refunded = (Payment.objects.filter(order=OuterRef("pk")).values("order")
                .annotate(total=Sum("refunded_amount")).values("total"))
    money = DecimalField(max_digits=14, decimal_places=2)
    return (counted_orders()
            .annotate(customer=Lower("email"),
                      order_refunded=Coalesce(Subquery(refunded, output_field=money), ZERO,
                                              output_field=money))
            .values("customer")
            .annotate(first_order_at=Min("placed_at"), last_order_at=Max("placed_at"),
                      frequency=Count("pk"), gross=Sum("total"),
                      refunded=Sum(F("order_refunded"), output_field=money),
                      user_id=Max("user_id", filter=Q(user__isnull=False)))
            .order_by())


def segment_members(segment: str):
    return CustomerSegment.objects.filter(segment=segment).order_by("email")
