"""Carts, checkout, orders, order lines, allocations, the order timeline, shipping methods,
vouchers and tax rates.

Orders carry three separate statuses (``status``, ``payment_status``,
``fulfillment_status``); each move is a service in ``orders.services`` that locks the
order, checks the allowed transitions declared here, and appends an ``OrderEvent``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.models import Variant
from inventory.models import StockLevel, Warehouse
from kernel.money import Money
from kernel.transitions import ensure_transition

MONEY = {"max_digits": 12, "decimal_places": 2}


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
        from .countries import country_name

        locality = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        return [p for p in (self.full_name, self.company, self.line1, self.line2, locality,
                            country_name(self.country)) if p]


# --- Shipping -------------------------------------------------------------------------------

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


# --- Vouchers -------------------------------------------------------------------------------

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


# --- Cart and checkout ----------------------------------------------------------------------

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
        indexes = [models.Index(fields=["status", "updated_at"])]

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


# --- Orders ---------------------------------------------------------------------------------

class Order(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CANCELED = "canceled", "Canceled"
        CLOSED = "closed", "Closed"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        AUTHORIZED = "authorized", "Authorized"
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        VOIDED = "voided", "Voided"

    class FulfillmentStatus(models.TextChoices):
        UNFULFILLED = "unfulfilled", "Unfulfilled"
        PARTIALLY_FULFILLED = "partially_fulfilled", "Partially fulfilled"
        FULFILLED = "fulfilled", "Fulfilled"
        DELIVERED = "delivered", "Delivered"
        PARTIALLY_RETURNED = "partially_returned", "Partially returned"
        RETURNED = "returned", "Returned"

    class Risk(models.TextChoices):
        NORMAL = "normal", "Normal"
        HELD = "held", "Held for review"
        RELEASED = "released", "Released after review"

    STATUS_TRANSITIONS = {
        Status.OPEN: {Status.CANCELED, Status.CLOSED},
        # Only a payment that succeeds after the order was canceled reopens it
        # (orders.services.stock_shortfalls.record_late_payment).
        Status.CANCELED: {Status.OPEN},
        Status.CLOSED: set(),
    }
    PAYMENT_TRANSITIONS = {
        PaymentStatus.UNPAID: {PaymentStatus.AUTHORIZED, PaymentStatus.PAID},
        PaymentStatus.AUTHORIZED: {PaymentStatus.PAID, PaymentStatus.VOIDED},
        PaymentStatus.PAID: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
        PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED,
                                           PaymentStatus.REFUNDED},
        PaymentStatus.REFUNDED: set(),
        PaymentStatus.VOIDED: set(),
    }

    number = models.CharField(max_length=20, unique=True, editable=False)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                             help_text="Used in links; order numbers are guessable, tokens not.")
    checkout_token = models.UUIDField(unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="orders")
    email = models.EmailField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices,
                                      default=PaymentStatus.UNPAID)
    fulfillment_status = models.CharField(max_length=20, choices=FulfillmentStatus.choices,
                                          default=FulfillmentStatus.UNFULFILLED)
    currency = models.CharField(max_length=3)
    prices_include_tax = models.BooleanField()
    subtotal = models.DecimalField(**MONEY, help_text="Lines before discount, as priced.")
    discount_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    shipping_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY)
    shipping_address = models.ForeignKey(Address, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    billing_address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="+")
    shipping_method = models.ForeignKey(ShippingMethod, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="orders")
    shipping_method_name = models.CharField(max_length=100)
    pickup_warehouse = models.ForeignKey(Warehouse, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="pickup_orders")
    delivery_earliest = models.DateField(null=True, blank=True)
    delivery_latest = models.DateField(null=True, blank=True)
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="orders")
    voucher_code = models.CharField(max_length=40, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replacements",
        help_text="A replacement (exchange) order, sent at no charge, for this earlier order.")
    customer_note = models.CharField(max_length=500, blank=True)
    customer_ip = models.GenericIPAddressField(null=True, blank=True)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.NORMAL)
    risk_score = models.PositiveSmallIntegerField(default=0)
    risk_reasons = models.JSONField(default=list, blank=True)
    payment_due_by = models.DateTimeField(
        null=True, blank=True,
        help_text="An order still unpaid at this time is canceled and its stock released.",
    )
    placed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0),
                                   name="order_total_not_negative"),
            models.CheckConstraint(condition=models.Q(discount_amount__gte=0),
                                   name="order_discount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "payment_status", "payment_due_by"]),
            models.Index(fields=["user", "placed_at"]),
            models.Index(fields=["risk"]),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)

    @property
    def is_held(self) -> bool:
        return self.risk == self.Risk.HELD

    @property
    def is_paid(self) -> bool:
        return self.payment_status in {self.PaymentStatus.PAID,
                                       self.PaymentStatus.PARTIALLY_REFUNDED}

    def ensure_status(self, new: str) -> None:
        ensure_transition(subject=f"Order {self.number}", current=self.status, new=new,
                          transitions=self.STATUS_TRANSITIONS,
                          labels=dict(self.Status.choices))

    def ensure_payment_status(self, new: str) -> None:
        ensure_transition(subject=f"Order {self.number}", current=self.payment_status, new=new,
                          transitions=self.PAYMENT_TRANSITIONS,
                          labels=dict(self.PaymentStatus.choices), what="its payment")


class OrderLine(models.Model):
    """A snapshot of what was bought: later catalog edits never change it.

    Amounts: ``unit_price`` as the shop priced it (tax included or not, per
    ``Order.prices_include_tax``); ``discount_amount`` is this line's share of the order
    discount; ``tax_amount`` the tax on what was paid for the line; ``total`` what the
    customer paid for the line including tax. Returns refund from these.
    """

    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="order_lines")
    product_name = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=200, blank=True)
    sku = models.CharField("SKU", max_length=64)
    quantity = models.PositiveIntegerField()
    quantity_fulfilled = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(
        default=0, help_text="Units that came back on a return and were received.")
    final_sale = models.BooleanField(default=False, help_text="Not returnable (as sold).")
    unit_price = models.DecimalField(**MONEY)
    discount_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY)
    weight_grams = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(quantity_fulfilled__lte=models.F("quantity")),
                name="order_line_fulfilled_within_quantity"),
            models.CheckConstraint(
                condition=models.Q(quantity_returned__lte=models.F("quantity_fulfilled")),
                name="order_line_returned_within_fulfilled"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def description(self) -> str:
        if self.variant_name:
            return f"{self.product_name} — {self.variant_name}"
        return self.product_name


class Allocation(models.Model):
    """Units of an order line held in one warehouse. A stock level's ``allocated`` equals
    the sum of its allocations."""

    order_line = models.ForeignKey(OrderLine, related_name="allocations",
                                   on_delete=models.CASCADE)
    stock_level = models.ForeignKey(StockLevel, related_name="allocations",
                                    on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_line", "stock_level"],
                                    name="allocation_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="allocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id} at level {self.stock_level_id}"


class OrderEvent(models.Model):
    """The order's timeline: one append-only row per thing that happened."""

    class Type(models.TextChoices):
        PLACED = "placed", "Order placed"
        PAYMENT_STARTED = "payment_started", "Payment started"
        PAYMENT_ACTION_REQUIRED = "payment_action_required", "Payment needs authentication"
        PAYMENT_AUTHORIZED = "payment_authorized", "Payment authorized"
        PAYMENT_CAPTURED = "payment_captured", "Payment captured"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        PAYMENT_VOIDED = "payment_voided", "Payment voided"
        REFUNDED = "refunded", "Refunded"
        DISPUTE_OPENED = "dispute_opened", "Dispute opened"
        HELD = "held", "Held for fraud review"
        RELEASED = "released", "Released after review"
        CANCELED = "canceled", "Order canceled"
        STOCK_RELEASED = "stock_released", "Stock released"
        SHIPMENT_CREATED = "shipment_created", "Shipment created"
        SHIPPED = "shipped", "Shipped"
        TRACKING = "tracking", "Tracking update"
        DELIVERED = "delivered", "Delivered"
        RETURN_REQUESTED = "return_requested", "Return requested"
        RETURN_APPROVED = "return_approved", "Return approved"
        RETURN_REJECTED = "return_rejected", "Return rejected"
        RETURN_RECEIVED = "return_received", "Return received"
        RETURN_INSPECTED = "return_inspected", "Return inspected"
        RETURN_RESTOCKED = "return_restocked", "Returned items restocked"
        EXCHANGE_CREATED = "exchange_created", "Exchange order created"
        LATE_PAYMENT = "late_payment", "Paid after it was canceled"
        STOCK_SHORTFALL = "stock_shortfall", "Stock shortfall"
        EMAIL_SENT = "email_sent", "Email sent"
        NOTE = "note", "Note"

    order = models.ForeignKey(Order, related_name="events", on_delete=models.CASCADE)
    type = models.CharField(max_length=30, choices=Type.choices)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self) -> str:
        return self.message or self.get_type_display()


class OrderNotification(models.Model):
    """An email sent about an order. Unique per order and kind, so a task that runs twice
    sends once: the row is claimed before sending and marked sent after."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Order confirmation"
        RECEIPT = "receipt", "Payment receipt"
        CANCELLATION = "cancellation", "Cancellation"
        BACKORDER = "backorder", "Backorder notice"
        SUBSTITUTE_OFFER = "substitute_offer", "Substitute offer"
        STOCK_APOLOGY = "stock_apology", "Canceled for lack of stock"

    order = models.ForeignKey(Order, related_name="notifications", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="order_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for order {self.order_id}"


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
