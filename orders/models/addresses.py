"""Postal addresses: a shopper's saved addresses and the snapshots orders keep."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orders.countries import country_name


class Address(models.Model):
    """A postal address. Carts and orders hold their own copies (an order's address never
    changes when the customer edits their address book); rows with ``user`` set and
    ``saved`` true are the customer's address book."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="addresses")
    saved = models.BooleanField(default=False, help_text="Shown in the customer's address book.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    company = models.CharField(max_length=120, blank=True)
    line1 = models.CharField("Address", max_length=200)
    line2 = models.CharField("Apartment, suite, etc.", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("State / province / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2)
    phone = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    FIELDS = ("first_name", "last_name", "company", "line1", "line2", "city", "region",
              "postal_code", "country", "phone")

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "saved"])]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.full_name, self.line1, self.city,
                                           self.country) if part)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def lines(self) -> list[str]:
        """The address as printed on a label, one line each."""
        locality = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        return [p for p in (self.full_name, self.company, self.line1, self.line2, locality,
                            country_name(self.country)) if p]
