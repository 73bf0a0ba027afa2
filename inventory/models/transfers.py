"""Transfers of stock between warehouses."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from catalog.models import Variant
from kernel.transitions import StateMachine

from .stock import Warehouse


class StockTransfer(StateMachine, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        CANCELED = "canceled", "Canceled"

    TRANSITIONS = {
        Status.DRAFT: {Status.IN_TRANSIT, Status.CANCELED},
        Status.IN_TRANSIT: {Status.RECEIVED},
        Status.RECEIVED: set(),
        Status.CANCELED: set(),
    }

    source = models.ForeignKey(Warehouse, related_name="transfers_out", on_delete=models.PROTECT)
    destination = models.ForeignKey(Warehouse, related_name="transfers_in",
                                    on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("dispatch_stocktransfer", "Can send stock transfers on their way"),
            ("receive_stocktransfer", "Can receive stock transfers"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(source=models.F("destination")),
                                   name="transfer_between_two_warehouses"),
        ]

    NUMBER_PREFIX = "TR-"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.pk:05d}" if self.pk else "New transfer"


    state_field = "status"


class StockTransferLine(models.Model):
    transfer = models.ForeignKey(StockTransfer, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="+", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["transfer", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transfer_line_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1),
                                   name="transfer_line_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} × {self.quantity}"
