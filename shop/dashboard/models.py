"""The dashboards' own tables: daily roll-ups, per-order facts, funnel counts, rebuild runs.

Everything here is derived: ``rollups`` recomputes it from the orders, payments,
shipments and returns tables (per order on each event, everything nightly), and the
funnel rows come from the cache counters. Links to other apps' rows carry no database
constraint, so a roll-up never blocks a delete elsewhere and is simply rebuilt.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone

from catalog.models import Product
from fulfillment.models import Shipment
from orders.models import MONEY, Cart, Order, OrderEvent
from returns.models import ReturnLine, ReturnRequest

LOOSE = {"on_delete": models.DO_NOTHING, "db_constraint": False, "related_name": "+"}


class Dashboard(models.Model):
    """No table: holds the ``dashboard.view_dashboard`` permission the Merchant role has."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "KPI dashboard"
        verbose_name_plural = "KPI dashboards"

    def __str__(self) -> str:
        return "KPI dashboards"


class DailySales(models.Model):
    """Counted orders placed on ``day`` (in SHOP_TIME_ZONE), and money refunded that day,
    split like the sales: ``refunds`` is merchandise (the same base as gross sales), tax and
    shipping refunded are their own figures."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    gross_sales = models.DecimalField(**MONEY, default=Decimal("0"))
    discounts = models.DecimalField(**MONEY, default=Decimal("0"))
    tax = models.DecimalField(**MONEY, default=Decimal("0"))
    shipping = models.DecimalField(**MONEY, default=Decimal("0"))
    refunds = models.DecimalField(**MONEY, default=Decimal("0"),
                                  help_text="Merchandise refunded (after its discounts).")
    tax_refunds = models.DecimalField(**MONEY, default=Decimal("0"))
    shipping_refunds = models.DecimalField(**MONEY, default=Decimal("0"))
    # For the returns panel, additive by day so a year is 365 rows (the sum of the SKUs'
    # units_delivered, and the returns refunded that day from ReturnFact).
    units_delivered = models.PositiveIntegerField(default=0)
    return_refunds = models.DecimalField(**MONEY, default=Decimal("0"))
    returns_refunded = models.PositiveIntegerField(default=0)
    return_refund_time = models.DurationField(
        null=True, help_text="Sum of request-to-refund times of the returns refunded that day.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "currency"],
                                               name="daily_sales_unique")]

    def __str__(self) -> str:
        return f"Sales {self.day} {self.currency}"


class DailyProductSales(models.Model):
    """Per SKU and day: units sold and their sales (orders placed that day), units and
    merchandise refunded that day (``net_sales`` is sales minus discounts minus refunds, so
    the SKUs of a range add up to the headline net sales), and units delivered that day."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    sku = models.CharField(max_length=64)
    product = models.ForeignKey(Product, null=True, **LOOSE)
    product_name = models.CharField(max_length=200)
    units_sold = models.PositiveIntegerField(default=0)
    gross_sales = models.DecimalField(**MONEY, default=Decimal("0"))
    discounts = models.DecimalField(**MONEY, default=Decimal("0"))
    refunds = models.DecimalField(**MONEY, default=Decimal("0"))
    units_refunded = models.PositiveIntegerField(default=0)
    net_sales = models.DecimalField(**MONEY, default=Decimal("0"))
    units_delivered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "currency", "sku"],
                                               name="daily_product_sales_unique")]
        indexes = [
            models.Index(fields=["sku", "day"]),
            # Covering: top products and categories read it without touching the table.
            models.Index(fields=["day", "currency"],
                         include=["product", "net_sales", "units_sold", "units_delivered"],
                         name="dailyproduct_day_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.day}"


class RefundFact(models.Model):
    """One refund on a counted order (from the order's timeline), by the day it was made."""

    event = models.OneToOneField(OrderEvent, primary_key=True, **LOOSE)
    order = models.ForeignKey(Order, **LOOSE)
    currency = models.CharField(max_length=3)
    refunded_at = models.DateTimeField()
    day = models.DateField(db_index=True)
    amount = models.DecimalField(**MONEY)

    def __str__(self) -> str:
        return f"Refund {self.amount} on {self.day}"


class ShipmentFact(models.Model):
    """One shipment of a counted order, with its lead and delivery times."""

    shipment = models.OneToOneField(Shipment, primary_key=True, on_delete=models.DO_NOTHING,
                                    db_constraint=False, related_name="dashboard_fact")
    order = models.ForeignKey(Order, **LOOSE)
    carrier = models.CharField(max_length=20)
    state = models.CharField(max_length=20)
    paid_at = models.DateTimeField(null=True)
    promised_ship_by = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True)
    ship_day = models.DateField(null=True)
    delivered_at = models.DateTimeField(null=True)
    delivery_day = models.DateField(null=True)
    delivery_latest = models.DateField(null=True)
    lead_time = models.DurationField(null=True, help_text="Paid to shipped.")
    delivery_time = models.DurationField(null=True, help_text="Shipped to delivered.")
    shipped_in_time = models.BooleanField(null=True)
    delivered_on_time = models.BooleanField(null=True)
    # Whole hours of lead_time / delivery_time when not negative: the bucket of
    # DailyShipmentTimes the row is counted in, and the way to it for the exact percentile.
    lead_hour = models.IntegerField(null=True)
    delivery_hour = models.IntegerField(null=True)

    class Meta:
        indexes = [
            # Covering indexes: the fulfillment figures read them without the table.
            models.Index(fields=["ship_day"], include=["lead_time", "shipped_in_time", "carrier"],
                         name="shipmentfact_ship_day_cover"),
            models.Index(fields=["delivery_day"], include=["delivery_time", "delivered_on_time"],
                         name="shipmentfact_delivery_cover"),
            # A percentile's row within its hour: one hour's rows of the period, in order.
            models.Index(fields=["lead_hour", "ship_day", "lead_time"],
                         name="shipmentfact_lead_hour"),
            models.Index(fields=["delivery_hour", "delivery_day", "delivery_time"],
                         name="shipmentfact_delivery_hour"),
        ]

    def __str__(self) -> str:
        return f"Shipment fact {self.shipment_id}"


class DailyShipments(models.Model):
    """Per local day and carrier, from ShipmentFact: shipments shipped that day (and how
    many in the promised time, how many with a payment-to-ship time below zero), and
    shipments delivered that day with a delivery time (how many with an on-time answer,
    how many on time, how many below zero). Additive, so a year is a few thousand rows."""

    day = models.DateField()
    carrier = models.CharField(max_length=20)
    shipped = models.PositiveIntegerField(default=0)
    shipped_known = models.PositiveIntegerField(default=0)
    shipped_in_time = models.PositiveIntegerField(default=0)
    lead_negative = models.PositiveIntegerField(default=0)
    delivered_known = models.PositiveIntegerField(default=0)
    delivered_on_time = models.PositiveIntegerField(default=0)
    delivery_negative = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "carrier"],
                                               name="daily_shipments_unique")]

    def __str__(self) -> str:
        return f"Shipments {self.day} {self.carrier}"


class DailyShipmentTimes(models.Model):
    """A histogram per local day: how many shipments' payment-to-ship (``measure`` "lead",
    by ship day) or delivery time ("delivery", by delivery day) fell in each whole hour.
    Summed over a period it ranks the times; the percentile's own value is then read from
    ShipmentFact within its hour, so the figure is exact, not rounded to the hour."""

    day = models.DateField()
    measure = models.CharField(max_length=8)
    hour = models.IntegerField()
    shipments = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "measure", "hour"],
                                               include=["shipments"],
                                               name="daily_shipment_times_unique")]

    def __str__(self) -> str:
        return f"{self.measure} {self.day} {self.hour} h: {self.shipments}"


class ReturnFact(models.Model):
    """One return request on a counted order."""

    return_request = models.OneToOneField(ReturnRequest, primary_key=True, **LOOSE)
    order = models.ForeignKey(Order, **LOOSE)
    state = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    requested_at = models.DateTimeField()
    request_day = models.DateField(db_index=True)
    refunded_at = models.DateTimeField(null=True)
    refund_day = models.DateField(null=True, db_index=True)
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0"))

    def __str__(self) -> str:
        return f"Return fact {self.return_request_id}"


class DailyCartReminders(models.Model):
    """Per local day: cart reminders sent (MarketingEmail of the cart-reminder kind, status
    sent, by ``sent_at``) and how many of them are a cart's first reminder (their
    CartReminder is number 1). Kept by ``rollups.refresh_reminder_days`` when a reminder is
    sent or deleted, and by the nightly rebuild."""

    day = models.DateField(primary_key=True)
    sent = models.PositiveIntegerField(default=0)
    first_sent = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Cart reminders {self.day}"


class RecoveredOrderFact(models.Model):
    """A counted order placed from a restored cart (its ``checkout_token`` is the token of a
    ``CartRecovery``'s restored cart), with the abandoned cart it recovered (the earliest
    such recovery's): what the marketing panel counts, read by period without probing every
    recovery ever made."""

    order = models.OneToOneField(Order, primary_key=True, **LOOSE)
    currency = models.CharField(max_length=3)
    placed_at = models.DateTimeField()
    number = models.CharField(max_length=20)
    total = models.DecimalField(**MONEY)
    recovered_cart = models.ForeignKey(Cart, null=True, **LOOSE)

    class Meta:
        indexes = [models.Index(fields=["currency", "placed_at"],
                                include=["number", "total", "recovered_cart"],
                                name="recoveredorder_placed")]

    def __str__(self) -> str:
        return f"Recovered order fact {self.order_id}"


class ReturnLineFact(models.Model):
    """Units asked back on one return line (rejected returns are left out)."""

    return_line = models.OneToOneField(ReturnLine, primary_key=True, **LOOSE)
    return_request = models.ForeignKey(ReturnRequest, **LOOSE)
    order = models.ForeignKey(Order, **LOOSE)
    currency = models.CharField(max_length=3, default="", help_text="The order's.")
    request_day = models.DateField(db_index=True)
    sku = models.CharField(max_length=64)
    product_name = models.CharField(max_length=200)
    reason = models.CharField(max_length=20)
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku} back"


class CustomerFact(models.Model):
    """A customer's whole history of counted orders. A customer is an account, or an
    email address for guest orders."""

    key = models.CharField(max_length=260, unique=True, help_text="u:<user id> or e:<email>")
    email = models.EmailField()
    user_id = models.BigIntegerField(null=True)
    currency = models.CharField(max_length=3)
    first_order_day = models.DateField(db_index=True)
    last_order_day = models.DateField()
    orders = models.PositiveIntegerField()
    net_sales = models.DecimalField(**MONEY, db_index=True)

    def __str__(self) -> str:
        return self.key


class CustomerOrder(models.Model):
    """One counted order in the shop's currency with its customer (``key`` as in
    CustomerFact), its local day and the days of that customer's orders just before and
    after it (FIRST / LAST when there is none). With these, "customers with an order in a
    period" and "with two or more" are counts of rows in index ranges, no distinct count
    over a year of orders: see selectors.customers."""

    FIRST = dt.date(1, 1, 1)
    LAST = dt.date(9999, 12, 31)

    order = models.OneToOneField(Order, primary_key=True, **LOOSE)
    key = models.CharField(max_length=260, db_index=True)
    day = models.DateField()
    previous_day = models.DateField()
    next_day = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["previous_day", "day"], include=["next_day"],
                         name="customerorder_previous"),
            models.Index(fields=["next_day", "day"], include=["previous_day"],
                         name="customerorder_next"),
            models.Index(fields=["day"], include=["previous_day"], name="customerorder_day"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ordered on {self.day}"


class DailyFunnel(models.Model):
    """Browser-days that reached each step on ``day``: counted in the cache by
    ``tracking``, written here by a beat task. No personal data: counts only."""

    day = models.DateField(unique=True)
    sessions = models.PositiveIntegerField(default=0)
    product_views = models.PositiveIntegerField(default=0)
    add_to_carts = models.PositiveIntegerField(default=0)
    checkouts_started = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Funnel {self.day}"


class RollupRun(models.Model):
    """A nightly rebuild: how many roll-up rows it checked and how many the incremental
    refreshes had got wrong (then fixed)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_differing = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list, blank=True,
                                   help_text="The first few rows that differed.")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Rebuild {self.started_at:%Y-%m-%d %H:%M}: {self.rows_differing} differing"


class KpiRefresh(models.Model):
    """An order whose dashboard rows are due for a refresh: queued by its events (paid,
    canceled, refunded, a shipment or return moved) and taken by the next flush, which
    refreshes every queued order together (``refresh_queue.flush_queue``)."""

    order_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["queued_at", "order_id"], name="kpirefresh_queued")]

    def __str__(self) -> str:
        return f"Dashboard refresh of order {self.order_id}"
