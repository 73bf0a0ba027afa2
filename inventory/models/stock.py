"""Warehouses, stock levels per variant and warehouse, units on quality hold, and the stock
ledger."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import validate_comma_separated_integer_list
from django.db import models

from catalog.models import Variant


def validate_iso_dates(value: str) -> None:
    """Closed dates as ISO dates separated by commas (2026-12-25, 2027-01-01)."""
    from django.core.exceptions import ValidationError

    for part in value.split(","):
        if part.strip():
            try:
                date.fromisoformat(part.strip())
            except ValueError:
                raise ValidationError(
                    f"{part.strip()} is not a date: write dates as YYYY-MM-DD, separated by "
                    "commas.") from None


class Warehouse(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country_code = models.CharField(max_length=2, default="US")
    is_active = models.BooleanField(default=True)
    allows_store_pickup = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Lower ships first when several warehouses can."
    )
    ship_cutoff = models.TimeField(
        default=time(14, 0),
        help_text="Daily ship-by cutoff in the shop's time zone: orders placed before it on a "
                  "working day leave that day, later ones the next working day.")
    closed_weekdays = models.CharField(
        max_length=20, blank=True, default="5,6",
        validators=[validate_comma_separated_integer_list],
        help_text="Days nothing ships, 0 = Monday ... 6 = Sunday, e.g. 5,6 for weekends.")
    closed_dates = models.TextField(
        blank=True, default="", validators=[validate_iso_dates],
        help_text="Holidays nothing ships, ISO dates separated by commas (2026-12-25, ...).")

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_working_day(self, day: date) -> bool:
        closed = {int(part) for part in self.closed_weekdays.split(",") if part.strip()}
        holidays = {part.strip() for part in self.closed_dates.split(",") if part.strip()}
        return day.weekday() not in closed and day.isoformat() not in holidays

    def next_cutoff(self, now: datetime) -> datetime:
        """The cutoff an order placed at ``now`` makes: today's when it is a working day and
        the cutoff has not passed (in SHOP_TIME_ZONE), else the next working day's. Its date
        is the day the parcel leaves."""
        zone = ZoneInfo(settings.SHOP_TIME_ZONE)
        local = now.astimezone(zone)
        day = local.date()
        for _ in range(366):  # a warehouse closed every day never ships: give up after a year
            cutoff = datetime.combine(day, self.ship_cutoff, tzinfo=zone)
            if self.is_working_day(day) and local < cutoff:
                return cutoff
            day += timedelta(days=1)
        raise ValueError(f"{self} has no working day in the coming year.")


class StockLevel(models.Model):
    """How many units of a variant a warehouse holds (``on_hand``) and how many of those
    are promised to orders (``allocated``). The database keeps 0 <= allocated <= on_hand.

    ``on_hand`` changes only through ``inventory.services``, each change with a
    ``StockMovement``; ``allocated`` moves with conditional updates at checkout.
    """

    variant = models.ForeignKey(Variant, related_name="stock_levels", on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, related_name="stock_levels", on_delete=models.PROTECT)
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    unsellable = models.PositiveIntegerField(
        default=0, help_text="Units on hand that can't be sold: damaged or on quality hold.")
    safety_stock = models.PositiveIntegerField(
        default=0, help_text="A buffer the storefront never sells from this warehouse.")
    bin_location = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_level_unique"),
            models.CheckConstraint(condition=models.Q(allocated__gte=0),
                                   name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=models.F("allocated")),
                                   name="stock_allocated_within_on_hand"),
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=models.F("allocated") + models.F("unsellable")),
                name="stock_held_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} @ {self.warehouse.code}"

    @property
    def free(self) -> int:
        """Units here neither promised to orders nor held back as unsellable (the database
        keeps this at zero or more)."""
        return self.on_hand - self.allocated - self.unsellable

    @property
    def available(self) -> int:
        """What the storefront may still sell from here: free units above the safety stock.
        ``inventory.selectors.level_available_expression`` is the same rule in SQL."""
        return max(self.free - self.safety_stock, 0)


class UnsellableChange(models.Model):
    """Units moved onto or off quality hold (``StockLevel.unsellable``), or written off
    from it: who, why, how many. On hand moves only for write-offs, with their own ledger
    line."""

    class Kind(models.TextChoices):
        HOLD = "hold", "Put on quality hold"
        RELEASE = "release", "Released as sellable"
        WRITE_OFF = "write_off", "Written off from hold"

    stock_level = models.ForeignKey(StockLevel, related_name="unsellable_changes",
                                    on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.PositiveIntegerField()
    unsellable_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.quantity}"


class StockMovement(models.Model):
    """One line of the stock ledger: every change to ``on_hand`` writes one.

    The movements of a stock level sum to its ``on_hand``; `manage.py check_stock_ledger`
    proves it.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SHIPMENT = "shipment", "Shipment"
        RETURN_RESTOCK = "return_restock", "Return restock"
        COUNT_ADJUSTMENT = "count_adjustment", "Count adjustment"
        WRITE_OFF = "write_off", "Write-off"
        TRANSFER_IN = "transfer_in", "Transfer in"
        TRANSFER_OUT = "transfer_out", "Transfer out"

    stock_level = models.ForeignKey(StockLevel, related_name="movements", on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Signed: positive adds to on hand.")
    on_hand_after = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="movement_not_zero"),
        ]
        indexes = [models.Index(fields=["stock_level", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} ({self.reference or self.reason})"
