"""What the stock check found and what its repairs changed.

``StockCheck`` has no table: it holds the permissions (see the screen, run repairs) the
Merchant role gets. ``StockRepair`` is the audit trail of every repair, with who, why and
the numbers before and after. ``StockCheckRun`` is one row a day for the nightly check, so
the merchant's email goes out once however often the task runs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from inventory.models import StockLevel, StockMovement
from orders.models import Order


class Problem(models.TextChoices):
    """The invariants the check proves, one kind of violation each (in repair order: the
    counters first, so the order-side repairs release and allocate against true numbers)."""

    LEDGER_DRIFT = "ledger_drift", "Ledger does not sum to on hand"
    ALLOCATED_DRIFT = "allocated_drift", "Allocated differs from the order allocations"
    NEGATIVE_AVAILABLE = "negative_available", "Available below zero"
    CLOSED_ORDER_ALLOCATION = "closed_order_allocation", "Stock held for a closed order"
    SHIPPED_ALLOCATION = "shipped_allocation", "Stock held for units already shipped"
    UNALLOCATED_LINE = "unallocated_line", "Paid line without stock"


class StockCheck(models.Model):
    """No table: holds ``view_stockcheck`` (the consistency screen) and
    ``repair_stockcheck`` (its repair buttons and ``check_stock --repair``'s rights)."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [("repair_stockcheck", "Can repair stock inconsistencies")]
        verbose_name = "Stock consistency check"
        verbose_name_plural = "Stock consistency check"

    def __str__(self) -> str:
        return "Stock consistency check"


class StockRepair(models.Model):
    """One repair the stock check made: append-only."""

    problem = models.CharField(max_length=30, choices=Problem.choices)
    subject = models.CharField(max_length=200, help_text="SKU and warehouse, or the order.")
    message = models.CharField(max_length=500, help_text="What was wrong and what was done.")
    changes = models.JSONField(default=dict, blank=True,
                               help_text="The numbers before and after.")
    stock_level = models.ForeignKey(StockLevel, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    movement = models.ForeignKey(StockMovement, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 help_text="The correcting ledger line, for ledger repairs.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.get_problem_display()}: {self.subject}"


class StockCheckRun(models.Model):
    """The nightly check of one day: claimed under this row's lock, so the email listing
    the violations is sent once a day, and never when the check is clean."""

    day = models.DateField(unique=True)
    checked_at = models.DateTimeField()
    violations = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0, help_text="Lines waiting on a stock "
                                                               "exception (not violations).")
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"Stock check {self.day}"
