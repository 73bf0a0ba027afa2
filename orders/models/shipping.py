"""Where the shop ships, how, for how much, and the tax rates that apply there."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from inventory.models import Warehouse
from kernel.money import MONEY


class ShippingZone(models.Model):
    """Countries that share shipping methods. A zone marked ``rest_of_world`` covers every
    country no other zone names."""

    name = models.CharField(max_length=100)
    countries = models.CharField(
        max_length=1000, blank=True,
        help_text="ISO country codes separated by commas, e.g. US, CA.",
    )
    rest_of_world = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def country_codes(self) -> set[str]:
        return {code.strip().upper() for code in self.countries.split(",") if code.strip()}


class ShippingMethod(models.Model):
    class Kind(models.TextChoices):
        FLAT = "flat", "Flat rate"
        WEIGHT = "weight", "By weight (tiers)"
        PICKUP = "pickup", "Store pickup"

    zone = models.ForeignKey(ShippingZone, related_name="methods", on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FLAT)
    price = models.DecimalField(**MONEY, default=Decimal("0"),
                                validators=[MinValueValidator(Decimal("0"))],
                                help_text="Flat rate and store pickup price.")
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    free_above = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))],
        help_text="Free when the subtotal after discounts reaches this amount.",
    )
    min_subtotal = models.DecimalField(**MONEY, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0"))])
    min_delivery_days = models.PositiveSmallIntegerField(default=2)
    max_delivery_days = models.PositiveSmallIntegerField(default=5)
    pickup_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"allows_store_pickup": True},
        help_text="Store pickup only: the warehouse the shopper collects from.",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(max_delivery_days__gte=models.F(
                "min_delivery_days")), name="shipping_delivery_window_ordered"),
            models.CheckConstraint(
                condition=~models.Q(kind="pickup") | models.Q(pickup_warehouse__isnull=False),
                name="shipping_pickup_has_warehouse"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.zone})"

    @property
    def is_pickup(self) -> bool:
        return self.kind == self.Kind.PICKUP


class ShippingWeightTier(models.Model):
    """For weight-based methods: parcels up to ``up_to_grams`` cost ``price``; a cart
    heavier than the last tier is not offered the method."""

    method = models.ForeignKey(ShippingMethod, related_name="tiers", on_delete=models.CASCADE)
    up_to_grams = models.PositiveIntegerField()
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["method", "up_to_grams"]
        constraints = [
            models.UniqueConstraint(fields=["method", "up_to_grams"], name="weight_tier_unique"),
        ]

    def __str__(self) -> str:
        return f"up to {self.up_to_grams} g"


# --- Tax ------------------------------------------------------------------------------------


class TaxRate(models.Model):
    """A sales tax / VAT rate for a country, or for one region of it when ``region`` is set
    (a region rate wins over the country rate)."""

    country = models.CharField(max_length=2)
    region = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=60, default="Tax")
    rate = models.DecimalField(max_digits=6, decimal_places=3,
                               validators=[MinValueValidator(Decimal("0")),
                                           MaxValueValidator(Decimal("100"))],
                               help_text="Percent, e.g. 20 for 20%.")

    class Meta:
        ordering = ["country", "region"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region"], name="tax_rate_unique"),
        ]

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} {self.rate}% ({where})"



