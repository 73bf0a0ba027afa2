"""Stock shortfalls: paid orders whose stock was gone, waiting for the merchant's decision."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from catalog.models import Variant
from kernel.money import MONEY

from .orders import Order, OrderLine


class StockShortfall(models.Model):
    """An order whose payment arrived after its stock was released (the unpaid order was
    canceled, or a webhook came hours late) and whose items could not all be allocated
    again. It waits here, paid and unshipped, until staff backorder it, fulfil it from
    another warehouse, substitute an item with the shopper's consent, or cancel and refund.
    Fulfillment never ships short: the order has no allocations until this is resolved."""

    class State(models.TextChoices):
        OPEN = "open", "Needs a decision"
        BACKORDERED = "backordered", "Backordered"
        AWAITING_SHOPPER = "awaiting_shopper", "Substitute offered"
        RESOLVED = "resolved", "Resolved"
        CANCELED = "canceled", "Canceled and refunded"

    class Resolution(models.TextChoices):
        REALLOCATED = "reallocated", "Stock allocated"
        OTHER_WAREHOUSE = "other_warehouse", "Fulfilled from another warehouse"
        SUBSTITUTED = "substituted", "Substituted with the shopper's consent"
        CANCELED = "canceled", "Canceled and refunded"

    OPEN_STATES = {State.OPEN, State.BACKORDERED, State.AWAITING_SHOPPER}

    order = models.ForeignKey(Order, related_name="stock_shortfalls", on_delete=models.PROTECT)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    reason = models.CharField(max_length=500)
    short_lines = models.JSONField(default=list, blank=True,
                                   help_text="What could not be allocated: SKU, wanted, free.")
    value_at_risk = models.DecimalField(**MONEY, help_text="What the shopper paid.")
    expected_on = models.DateField(null=True, blank=True,
                                   help_text="When a backordered order should have its stock.")
    substitute_line = models.ForeignKey(OrderLine, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    substitute_variant = models.ForeignKey(Variant, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One open exception per order at a time.
            models.UniqueConstraint(fields=["order"], condition=models.Q(
                state__in=["open", "backordered", "awaiting_shopper"]),
                name="one_open_stock_shortfall_per_order"),
        ]
        permissions = [("resolve_stockshortfall", "Can resolve stock shortfalls")]

    def __str__(self) -> str:
        return f"Stock shortfall for order {self.order_id}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES
