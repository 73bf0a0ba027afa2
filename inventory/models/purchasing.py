"""Purchasing: suppliers, their prices, reorder rules, purchase orders and the low-stock digest."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from catalog.models import Variant
from kernel.transitions import StateMachine

from .stock import Warehouse


class Supplier(models.Model):
    name = models.CharField(max_length=120, unique=True)
    contact_email = models.EmailField(help_text="Purchase orders are emailed here.")
    lead_time_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days from sending a purchase order to the goods arriving.")
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SupplierPrice(models.Model):
    """What a supplier charges for one unit of a variant, and how it must be ordered."""

    supplier = models.ForeignKey(Supplier, related_name="prices", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="supplier_prices", on_delete=models.CASCADE)
    cost = models.DecimalField(max_digits=12, decimal_places=2,
                               help_text="Per unit, in the supplier's currency.")
    minimum_order_quantity = models.PositiveIntegerField(default=1)
    pack_size = models.PositiveIntegerField(
        default=1, help_text="Units per case; orders are rounded up to whole cases.")
    supplier_sku = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["variant", "cost", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "variant"],
                                    name="supplier_price_unique"),
            models.CheckConstraint(condition=models.Q(cost__gte=0),
                                   name="supplier_cost_not_negative"),
            models.CheckConstraint(condition=models.Q(minimum_order_quantity__gte=1),
                                   name="supplier_moq_at_least_one"),
            models.CheckConstraint(condition=models.Q(pack_size__gte=1),
                                   name="supplier_pack_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} · {self.variant.sku} at {self.cost} {self.supplier.currency}"


class ReorderRule(models.Model):
    """When to reorder a variant for a warehouse, and how much.

    ``fixed``: reorder when available + incoming is at or below ``reorder_point``.
    ``velocity``: the point is average daily sales over ``velocity_window_days`` times
    (the supplier's lead time + ``safety_days``), rounded up. Either way the order tops the
    position up to point + quantity, where quantity is ``reorder_quantity`` or, for a
    velocity rule with none set, the units sold in one window.
    """

    class Method(models.TextChoices):
        FIXED = "fixed", "Fixed reorder point"
        VELOCITY = "velocity", "From sales velocity"

    variant = models.ForeignKey(Variant, related_name="reorder_rules", on_delete=models.CASCADE)
    warehouse = models.ForeignKey(Warehouse, related_name="reorder_rules",
                                  on_delete=models.CASCADE)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.FIXED)
    reorder_point = models.PositiveIntegerField(default=0)
    reorder_quantity = models.PositiveIntegerField(default=0)
    velocity_window_days = models.PositiveSmallIntegerField(default=30)
    safety_days = models.PositiveSmallIntegerField(default=7)
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Empty: the cheapest active supplier with a price for the variant.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["variant", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="reorder_rule_unique"),
            models.CheckConstraint(condition=models.Q(velocity_window_days__gte=1),
                                   name="reorder_window_at_least_one_day"),
            models.CheckConstraint(
                condition=~models.Q(method="fixed", reorder_quantity=0),
                name="reorder_fixed_needs_quantity"),
        ]

    def __str__(self) -> str:
        return f"Reorder {self.variant.sku} @ {self.warehouse.code}"


class PurchaseOrder(StateMachine, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELED = "canceled", "Canceled"

    TRANSITIONS = {
        Status.DRAFT: {Status.SENT, Status.CANCELED},
        Status.SENT: {Status.PARTIALLY_RECEIVED, Status.RECEIVED, Status.CANCELED},
        Status.PARTIALLY_RECEIVED: {Status.PARTIALLY_RECEIVED, Status.RECEIVED},
        Status.RECEIVED: set(),
        Status.CANCELED: set(),
    }
    # Goods may still arrive against these (incoming stock).
    OPEN = (Status.SENT, Status.PARTIALLY_RECEIVED)
    # Counted as incoming by the reorder check, so it never orders the same need twice.
    PENDING = (Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED)

    supplier = models.ForeignKey(Supplier, related_name="purchase_orders",
                                 on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, related_name="purchase_orders",
                                  on_delete=models.PROTECT, help_text="Deliver to.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    currency = models.CharField(max_length=3)
    expected_on = models.DateField(null=True, blank=True,
                                   help_text="When the goods should arrive.")
    note = models.TextField(blank=True)
    drafted_automatically = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the PDF went to the supplier.")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("send_purchaseorder", "Can send purchase orders to suppliers"),
            ("receive_purchaseorder", "Can receive goods against purchase orders"),
        ]

    NUMBER_PREFIX = "PO-"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """Shown to suppliers and written on every receipt's ledger line."""
        return f"{self.NUMBER_PREFIX}{self.pk:05d}" if self.pk else "New purchase order"


    state_field = "status"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, related_name="lines",
                                       on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="+", on_delete=models.PROTECT)
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["purchase_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "variant"],
                                    name="purchase_order_line_unique"),
            models.CheckConstraint(condition=models.Q(quantity_ordered__gte=1),
                                   name="po_line_ordered_at_least_one"),
            models.CheckConstraint(condition=models.Q(unit_cost__gte=0),
                                   name="po_line_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} × {self.quantity_ordered}"

    @property
    def quantity_outstanding(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)


class PurchaseOrderEvent(models.Model):
    """The purchase order's timeline: drafted, sent, emailed, each receipt (with over- and
    under-receipts named), closed short, canceled."""

    class Type(models.TextChoices):
        DRAFTED = "drafted", "Drafted"
        SENT = "sent", "Sent"
        EMAILED = "emailed", "Emailed to supplier"
        RECEIVED = "received", "Goods received"
        OVER_RECEIVED = "over_received", "Over-receipt"
        UNDER_RECEIVED = "under_received", "Under-receipt"
        CANCELED = "canceled", "Canceled"

    purchase_order = models.ForeignKey(PurchaseOrder, related_name="events",
                                       on_delete=models.CASCADE)
    type = models.CharField(max_length=20, choices=Type.choices)
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.message


class LowStockDigest(models.Model):
    """One low-stock email per day: claimed under this row's lock, so a reorder check run
    twice sends it once."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    lines = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Low-stock digest {self.day}"
