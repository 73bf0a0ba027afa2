"""Invoices: numbered without gaps, one per paid order."""

from __future__ import annotations

from django.db import models

from .orders import Order


class Invoice(models.Model):
    """An order's invoice. Numbers run without gaps (INV-000001, ...): each is taken from
    ``InvoiceSequence`` under its row lock in the transaction that issues the invoice."""

    order = models.OneToOneField(Order, related_name="invoice", on_delete=models.PROTECT)
    number = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class InvoiceSequence(models.Model):
    """One row holding the last invoice number issued."""

    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Last invoice {self.last_number}"
