"""Orders, their lines, and the allocations that say which warehouse holds what for which line.

Orders carry three separate statuses (``status``, ``payment_status``,
``fulfillment_status``); each move is a service in ``orders.services`` that locks the
order, checks the allowed transitions declared here, and appends an ``OrderEvent``."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from catalog.models import Variant
from inventory.models import StockLevel, Warehouse
from kernel.errors import InvalidTransition
from kernel.money import MONEY, Money, quantize
from kernel.transitions import ensure_transition

from .addresses import Address
from .discounts import Voucher
from .shipping import ShippingMethod


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
    # Payment statuses of an order whose goods are owed (it ships, a stock shortfall of it
    # may be allocated): paid or authorized, or partly refunded (a price adjustment or
    # goodwill with "refund and still ship", a return of shipped units). Every path that
    # refunds units that have not shipped also cancels them and releases their allocations
    # (a cancel, a cancel after shipping, "refund and cancel the rest"), so a unit still
    # allocated to a partly refunded order is owed.
    SHIPPABLE_PAYMENT = frozenset({PaymentStatus.PAID, PaymentStatus.AUTHORIZED,
                                   PaymentStatus.PARTIALLY_REFUNDED})

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
    # A cancel is recorded first, under the order's lock, as an intent: from then on nothing
    # of the order is picked, packed, labelled or shipped, while its money is settled with
    # the gateway outside the transaction (payments.services.settlement); the order is
    # canceled once the money is settled (or the intent withdrawn if the gateway refuses).
    cancel_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancel_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    cancel_reason = models.CharField(max_length=300, blank=True)
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
            # email__iexact (a customer's timeline, data requests, the contact form) is
            # UPPER(email) = UPPER(%s) on PostgreSQL: this index serves it.
            models.Index(Upper("email"), name="order_email_upper"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)

    @property
    def is_held(self) -> bool:
        return self.risk == self.Risk.HELD

    @property
    def cancel_requested(self) -> bool:
        """A cancel is recorded and its money is being settled (cleared once canceled)."""
        return self.cancel_requested_at is not None

    def ensure_no_cancel_requested(self, doing: str) -> None:
        """Refuse fulfillment work (``doing``: "picked", "shipped", ...) on an order being
        canceled or canceled; checked by fulfillment with the order locked."""
        if self.cancel_requested:
            raise InvalidTransition(f"Order {self.number} has a cancel requested, so it can't "
                                    f"be {doing}.")
        if self.status == self.Status.CANCELED:
            raise InvalidTransition(f"Order {self.number} is canceled, so it can't be {doing}.")

    def ensure_can_be_fulfilled(self, doing: str) -> None:
        """Refuse fulfillment work (``doing``: "picked", "packed", "labelled", "shipped")
        on an order being canceled or canceled, or held for review (fraud screening or a
        dispute): a held order's parcels wait, wherever they are, until staff release it.
        Checked by fulfillment with the order locked, so a hold and a step are serialized."""
        self.ensure_no_cancel_requested(doing)
        if self.risk == self.Risk.HELD:
            why = "; ".join(str(reason) for reason in self.risk_reasons or []) or "risk review"
            raise InvalidTransition(f"Order {self.number} is held for review ({why}), so it "
                                    f"can't be {doing}: release the hold first, or cancel it.")

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
    quantity_canceled = models.PositiveIntegerField(
        default=0, help_text="Units canceled before they left a warehouse, when the rest of "
                             "the order had already shipped (never shipped, not owed).")
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
            models.CheckConstraint(
                condition=models.Q(quantity_canceled__lte=models.F("quantity")
                                   - models.F("quantity_fulfilled")),
                name="order_line_canceled_within_unshipped"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def quantity_to_ship(self) -> int:
        """Units sold that have neither left a warehouse nor been canceled."""
        return self.quantity - self.quantity_fulfilled - self.quantity_canceled

    @property
    def share_to_ship(self) -> Decimal:
        """What the shopper paid (price, discount share, tax) for the units still to ship:
        the other units are priced pro rata, these take what is left, so this share and a
        later refund of every other unit add up to exactly the line's total. What canceling
        the units that have not left refunds."""
        to_ship = self.quantity_to_ship
        if to_ship <= 0:
            return Decimal("0")
        kept = self.quantity - to_ship
        return self.total - quantize(self.total * kept / self.quantity, self.order.currency)

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
