"""Vouchers and each order's use of one."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from kernel.money import MONEY, Money


class Voucher(models.Model):
    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off"
        FIXED = "fixed", "Fixed amount off"
        FREE_SHIPPING = "free_shipping", "Free shipping"

    code = models.CharField(max_length=40, unique=True, help_text="Stored upper case.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.DecimalField(**MONEY, default=Decimal("0"),
                                validators=[MinValueValidator(Decimal("0"))],
                                help_text="Percent for percentage vouchers, an amount for fixed.")
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    min_subtotal = models.DecimalField(**MONEY, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0"))])
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True,
                                              help_text="Total uses allowed; empty for no limit.")
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usage_limit__isnull=True)
                | models.Q(used_count__lte=models.F("usage_limit")),
                name="voucher_used_within_limit"),
            models.CheckConstraint(
                condition=~models.Q(kind="percentage") | models.Q(value__lte=100),
                name="voucher_percentage_at_most_100"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    def describe(self) -> str:
        if self.kind == self.Kind.PERCENTAGE:
            return f"{self.value.normalize():f}% off"
        if self.kind == self.Kind.FIXED:
            return f"{Money(self.value, self.currency)} off"
        return "Free shipping"


class VoucherUse(models.Model):
    """One use of a voucher by one order; per-customer limits count these by email."""

    voucher = models.ForeignKey(Voucher, related_name="uses", on_delete=models.PROTECT)
    order = models.OneToOneField("Order", related_name="voucher_use", on_delete=models.CASCADE)
    email = models.EmailField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["voucher", "email"])]

    def __str__(self) -> str:
        return f"{self.voucher_id} by {self.email}"
