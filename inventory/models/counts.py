"""Cycle counts: counted units against the books, variances approved by the merchant."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kernel.transitions import StateMachine

from .stock import StockLevel, StockMovement, Warehouse


class StockCount(StateMachine, models.Model):
    """A cycle count of a warehouse, one zone (bins starting with ``zone``) or a SKU list.

    Counted quantities are entered against the on-hand figure read at that moment
    (``expected``); approval posts the variance (counted - expected) as a count adjustment,
    so stock that moved between entering and approving is kept. A line whose count would
    leave on hand below what is allocated to orders is flagged for review, never posted.
    """

    class Status(models.TextChoices):
        COUNTING = "counting", "Counting"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        CANCELED = "canceled", "Canceled"

    TRANSITIONS = {
        Status.COUNTING: {Status.IN_REVIEW, Status.APPROVED, Status.CANCELED},
        Status.IN_REVIEW: {Status.IN_REVIEW, Status.APPROVED, Status.CANCELED},
        Status.APPROVED: set(),
        Status.CANCELED: set(),
    }

    warehouse = models.ForeignKey(Warehouse, related_name="counts", on_delete=models.PROTECT)
    zone = models.CharField(max_length=40, blank=True,
                            help_text="Count only bins starting with this (e.g. A-).")
    skus = models.TextField(blank=True, help_text="Count only these SKUs (one a line).")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COUNTING,
                              db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("approve_stockcount", "Can approve count variances")]

    NUMBER_PREFIX = "CC-"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.pk:05d}" if self.pk else "New count"


    state_field = "status"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, related_name="lines", on_delete=models.CASCADE)
    stock_level = models.ForeignKey(StockLevel, related_name="+", on_delete=models.PROTECT)
    expected = models.IntegerField(help_text="On hand when the count was entered.")
    counted = models.IntegerField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    review_note = models.CharField(max_length=255, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    movement = models.ForeignKey(StockMovement, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["count", "stock_level__bin_location", "stock_level__variant__sku"]
        constraints = [
            models.UniqueConstraint(fields=["count", "stock_level"], name="count_line_unique"),
            models.CheckConstraint(
                condition=models.Q(counted__isnull=True) | models.Q(counted__gte=0),
                name="count_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.stock_level} counted {self.counted}"

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
