"""Return requests (RMAs), their lines, their timeline and the emails sent about them.

A return moves ``requested -> approved -> received -> inspected -> refunded | exchanged``,
or ends ``rejected``. Each move is a service in ``returns.services`` that locks the return,
checks ``TRANSITIONS`` and appends a ``ReturnEvent`` (and an event on the order).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from catalog.models import Variant
from inventory.models import StockLevel, Warehouse
from kernel.money import Money
from kernel.storage import UnguessableName, private_storage
from kernel.transitions import StateMachine
from orders.models import MONEY, Order, OrderLine


class ReturnRequest(StateMachine, models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        RECEIVED = "received", "Received"
        INSPECTED = "inspected", "Inspected"
        REFUNDED = "refunded", "Refunded"
        EXCHANGED = "exchanged", "Exchanged"
        REJECTED = "rejected", "Rejected"

    class Resolution(models.TextChoices):
        REFUND = "refund", "Refund"
        EXCHANGE = "exchange", "Exchange for another size or colour"

    class Method(models.TextChoices):
        LABEL = "label", "Prepaid return label"
        DROP_OFF = "drop_off", "Drop off at our store"

    TRANSITIONS = {
        State.REQUESTED: {State.APPROVED, State.REJECTED},
        State.APPROVED: {State.RECEIVED, State.REJECTED},
        State.RECEIVED: {State.INSPECTED},
        # Inspection found nothing to refund (every unit missing): rejected after all.
        State.INSPECTED: {State.REFUNDED, State.EXCHANGED, State.REJECTED},
        State.REFUNDED: set(),
        State.EXCHANGED: set(),
        State.REJECTED: set(),
    }
    OPEN_STATES = {State.REQUESTED, State.APPROVED, State.RECEIVED, State.INSPECTED}

    number = models.CharField("RMA number", max_length=20, unique=True, editable=False)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, related_name="returns", on_delete=models.PROTECT)
    state = models.CharField(max_length=20, choices=State.choices, default=State.REQUESTED)
    resolution = models.CharField(max_length=20, choices=Resolution.choices,
                                  default=Resolution.REFUND)
    customer_note = models.CharField(max_length=500, blank=True)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True,
                              help_text="How the parcel comes back; chosen on approval.")
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="returns", help_text="Where it comes back to.")
    staff_message = models.CharField(max_length=500, blank=True,
                                     help_text="The message sent to the shopper on approval "
                                               "or rejection.")
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True)
    # A private document (names, addresses): private storage, an unguessable name.
    label = models.FileField(storage=private_storage, upload_to=UnguessableName("return-labels"),
                             blank=True)
    # The refund, proposed at inspection and settled by ``refund_return``.
    items_amount = models.DecimalField(**MONEY, default=Decimal("0"),
                                       help_text="Paid price and tax of the accepted units.")
    shipping_refund = models.DecimalField(**MONEY, default=Decimal("0"))
    return_shipping_fee = models.DecimalField(**MONEY, default=Decimal("0"))
    restocking_fee = models.DecimalField(**MONEY, default=Decimal("0"))
    refund_amount = models.DecimalField(**MONEY, null=True, blank=True,
                                        help_text="What staff decided to refund.")
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    refund_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Set while a refund is being made; cleared if it fails.")
    refund_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Each attempt has its own idempotency keys at the gateway.")
    refund_error = models.CharField(max_length=300, blank=True)
    # Above what the return covers, a refund is a goodwill decision: who took it (the
    # goodwill part is made in their name, with their permission) and why.
    refund_note = models.CharField(
        max_length=300, blank=True,
        help_text="Why more than the return covers is refunded (the goodwill part).")
    refund_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    replacement_order = models.OneToOneField(Order, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(refunded_amount__gte=0),
                                   name="return_refunded_not_negative"),
            models.CheckConstraint(condition=models.Q(refund_amount__isnull=True)
                                   | models.Q(refund_amount__gt=0),
                                   name="return_refund_positive"),
        ]
        indexes = [models.Index(fields=["state", "created_at"])]
        permissions = [
            ("approve_returnrequest", "Can approve and reject returns"),
            ("receive_returnrequest", "Can receive returned parcels"),
            ("inspect_returnrequest", "Can inspect and restock returns"),
            ("refund_returnrequest", "Can refund and exchange returns"),
        ]

    def __str__(self) -> str:
        return self.number

    def money(self, field: str) -> Money:
        return Money(getattr(self, field) or Decimal("0"), self.order.currency)

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def covered_refund(self) -> Decimal:
        """The most the return itself refunds: the accepted units as paid (price, discount
        share, tax) and the shipping refunded with them, before fees. Staff may waive the
        fees up to this; anything above is a goodwill refund, a separate decision."""
        return self.items_amount + self.shipping_refund

    @property
    def goodwill_part(self) -> Decimal:
        """The part of the decided refund above what the return covers."""
        return max((self.refund_amount or Decimal("0")) - self.covered_refund, Decimal("0"))

    @property
    def proposed_refund(self) -> Decimal:
        amount = (self.items_amount + self.shipping_refund - self.return_shipping_fee
                  - self.restocking_fee)
        return max(amount, Decimal("0"))

    def transition_subject(self) -> str:
        return f"Return {self.number}"


class ReturnLine(models.Model):
    class Reason(models.TextChoices):
        WRONG_SIZE = "wrong_size", "Wrong size or fit"
        DAMAGED = "damaged", "Arrived damaged or faulty"
        NOT_AS_DESCRIBED = "not_as_described", "Not as described"
        CHANGED_MIND = "changed_mind", "Changed my mind"
        OTHER = "other", "Other (please say)"
        # Staff canceled the order after this unit had shipped: it comes back as a return.
        CANCELED_AFTER_SHIPPING = "canceled_shipped", "Canceled after shipping"

    class Condition(models.TextChoices):
        RESELLABLE = "resellable", "Resellable"
        DAMAGED = "damaged", "Damaged"
        MISSING = "missing", "Missing from the parcel"

    # Reasons that are the shop's fault: shipping is refunded and no fees are charged. A
    # cancel after shipping is the shop's decision: the shopper gets everything back.
    SHOP_FAULT = {Reason.DAMAGED, Reason.NOT_AS_DESCRIBED, Reason.CANCELED_AFTER_SHIPPING}
    # What a shopper may choose on the return form (a cancel after shipping is staff's).
    SHOPPER_REASONS = [*filter(lambda choice: choice[0] != "canceled_shipped", Reason.choices)]

    return_request = models.ForeignKey(ReturnRequest, related_name="lines",
                                       on_delete=models.CASCADE)
    order_line = models.ForeignKey(OrderLine, related_name="return_lines",
                                   on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reason_note = models.CharField(max_length=300, blank=True)
    exchange_variant = models.ForeignKey(Variant, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    # Inspection
    condition = models.CharField(max_length=20, choices=Condition.choices, blank=True)
    restock = models.BooleanField(default=False)
    restock_level = models.ForeignKey(StockLevel, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+",
                                      help_text="Where the units go back on the shelf (or "
                                                "are written off).")
    restocked_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the ledger took the units in.")
    refund_amount = models.DecimalField(**MONEY, default=Decimal("0"),
                                        help_text="This line's paid price and tax, for the "
                                                  "units accepted at inspection.")

    class Meta:
        ordering = ["return_request", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="return_line_quantity_positive"),
            models.UniqueConstraint(fields=["return_request", "order_line"],
                                    name="return_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"

    @property
    def is_shop_fault(self) -> bool:
        return self.reason in self.SHOP_FAULT


class ReturnEvent(models.Model):
    """The return's timeline, shown to the shopper and to staff. Append-only."""

    return_request = models.ForeignKey(ReturnRequest, related_name="events",
                                       on_delete=models.CASCADE)
    state = models.CharField(max_length=20, choices=ReturnRequest.State.choices, blank=True)
    message = models.CharField(max_length=500)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.message


class ReturnNotification(models.Model):
    """An email about a return, at most one per return and kind (claimed before sending)."""

    class Kind(models.TextChoices):
        APPROVED = "approved", "Return approved"
        REJECTED = "rejected", "Return rejected"
        RECEIVED = "received", "Return received"
        REFUNDED = "refunded", "Refund sent"
        EXCHANGE_SHIPPED = "exchange_shipped", "Exchange shipped"

    return_request = models.ForeignKey(ReturnRequest, related_name="notifications",
                                       on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["return_request", "kind"],
                                    name="return_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.return_request_id}"
