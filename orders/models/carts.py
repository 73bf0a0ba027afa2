"""Carts: what a shopper means to buy, before an order exists."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from catalog.models import Variant

from .addresses import Address
from .discounts import Voucher
from .shipping import ShippingMethod


class Cart(models.Model):
    """A shopper's cart, which is also their checkout: the checkout steps fill in email,
    addresses, shipping method and voucher on it. ``token`` is the checkout token: placing
    an order twice with the same token gives the same order."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ORDERED = "ordered", "Ordered"
        MERGED = "merged", "Merged into another cart"

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="carts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    email = models.EmailField(blank=True)
    shipping_address = models.ForeignKey(Address, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    billing_address = models.ForeignKey(Address, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    billing_same_as_shipping = models.BooleanField(default=True)
    shipping_method = models.ForeignKey(ShippingMethod, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    customer_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(status="open"),
                                    name="one_open_cart_per_user"),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            # email__iexact (data requests: a person's carts) is UPPER(email) = UPPER(%s).
            models.Index(Upper("email"), name="cart_email_upper"),
        ]

    def __str__(self) -> str:
        return f"Cart {self.token}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="+", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × variant {self.variant_id}"
