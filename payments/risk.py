"""Fraud screening at payment: a score from simple signals, each with a reason staff can
read. An order scoring SHOP_RISK_HOLD_SCORE or more is held for review."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Avg, Count
from django.utils import timezone

from kernel import best_effort_cache
from orders.models import Order
from orders.selectors import orders_from_ip_or_email_last_hour

GATEWAY_RISK_POINTS = {"elevated": 30, "highest": 70}
RECENT_ORDERS_LIMIT = 3
HIGH_VALUE_FACTOR = 5
MIN_ORDERS_FOR_AVERAGE = 10


# The shop's average moves slowly: one aggregate over 90 days of orders per currency every
# few minutes, not one per payment (it would grow with the order history).
AVERAGE_CACHE_SECONDS = 300


def paid_order_stats(order: Order) -> dict:
    """The average total and count of paid or authorized orders in the order's currency
    over 90 days, other than this one; kept in the shared cache a few minutes."""
    key = f"payments:risk:paid-order-stats:{order.currency}"
    stats = best_effort_cache.get(key)
    if stats is None:
        stats = Order.objects.filter(
            payment_status__in=[Order.PaymentStatus.PAID, Order.PaymentStatus.AUTHORIZED],
            currency=order.currency, placed_at__gte=timezone.now() - timedelta(days=90),
        ).exclude(pk=order.pk).aggregate(average=Avg("total"), count=Count("pk"))
        best_effort_cache.set(key, stats, AVERAGE_CACHE_SECONDS)
    return stats


def assess(order: Order, *, gateway_risk_level: str = "") -> tuple[int, list[str]]:
    """(score 0-100, reasons)."""
    score, reasons = 0, []
    recent = orders_from_ip_or_email_last_hour(email=order.email, ip=order.customer_ip,
                                               exclude_order_id=order.pk)
    if recent >= RECENT_ORDERS_LIMIT:
        score += 30
        reasons.append(f"{recent} other orders from this email or IP address in the last hour")
    shipping, billing = order.shipping_address, order.billing_address
    if shipping is not None and billing is not None and shipping.country != billing.country:
        score += 25
        reasons.append(f"Billing country {billing.country} differs from shipping country "
                       f"{shipping.country}")
    stats = paid_order_stats(order)
    average = stats["average"]
    if (stats["count"] >= MIN_ORDERS_FOR_AVERAGE and average
            and order.total > Decimal(average) * HIGH_VALUE_FACTOR):
        score += 30
        reasons.append(f"Order value {order.money('total')} is over {HIGH_VALUE_FACTOR}× the "
                       "shop's average")
    points = GATEWAY_RISK_POINTS.get(gateway_risk_level, 0)
    if points:
        score += points
        reasons.append(f"The payment gateway rated the payment {gateway_risk_level} risk")
    return min(score, 100), reasons
