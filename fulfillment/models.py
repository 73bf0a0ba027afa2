"""Shipments, pick lists, labels, tracking events and the local carrier's rates.

A shipment moves ``pending -> picking -> packed -> label_purchased -> shipped ->
in_transit -> out_for_delivery -> delivered``, with ``exception`` and ``canceled`` as
exits. Store pickup skips the label: ``packed`` is "ready for pickup" and collecting it
ships and delivers it at once. Each move is a service in ``fulfillment.services`` that locks
the shipment, checks ``TRANSITIONS`` and appends a tracking event and an order event.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from inventory.models import StockLevel, Warehouse
from kernel.storage import UnguessableName, private_storage
from kernel.transitions import StateMachine
from orders.models import MONEY, Order, OrderLine


def pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class Shipment(StateMachine, models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PICKING = "picking", "Picking"
        PACKED = "packed", "Packed"
        LABEL_PURCHASED = "label_purchased", "Label purchased"
        SHIPPED = "shipped", "Shipped"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Delivery problem"
        CANCELED = "canceled", "Canceled"

    class Carrier(models.TextChoices):
        LOCAL = "local", "Our couriers"
        EASYPOST = "easypost", "EasyPost"
        PICKUP = "pickup", "Store pickup"

    TRANSITIONS = {
        State.PENDING: {State.PICKING, State.CANCELED},
        State.PICKING: {State.PACKED, State.CANCELED},
        State.PACKED: {State.LABEL_PURCHASED, State.DELIVERED, State.CANCELED},
        State.LABEL_PURCHASED: {State.SHIPPED, State.CANCELED},
        State.SHIPPED: {State.IN_TRANSIT, State.OUT_FOR_DELIVERY, State.DELIVERED,
                        State.EXCEPTION},
        State.IN_TRANSIT: {State.OUT_FOR_DELIVERY, State.DELIVERED, State.EXCEPTION},
        State.OUT_FOR_DELIVERY: {State.DELIVERED, State.EXCEPTION},
        State.EXCEPTION: {State.IN_TRANSIT, State.OUT_FOR_DELIVERY, State.DELIVERED},
        State.DELIVERED: set(),
        State.CANCELED: set(),
    }
    # How far along the road each state is: tracking events never move a shipment back.
    PROGRESS = {State.SHIPPED: 1, State.IN_TRANSIT: 2, State.EXCEPTION: 2,
                State.OUT_FOR_DELIVERY: 3, State.DELIVERED: 4}
    UNSHIPPED = {State.PENDING, State.PICKING, State.PACKED, State.LABEL_PURCHASED}

    order = models.ForeignKey(Order, related_name="shipments", on_delete=models.PROTECT)
    number = models.CharField(max_length=30, unique=True)
    warehouse = models.ForeignKey(Warehouse, related_name="shipments", on_delete=models.PROTECT)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    carrier = models.CharField(max_length=20, choices=Carrier.choices, default=Carrier.LOCAL)
    service = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True)
    # A private document (names, addresses): private storage, an unguessable name.
    label = models.FileField(storage=private_storage, upload_to=UnguessableName("labels"),
                             blank=True)
    label_cost = models.DecimalField(**MONEY, null=True, blank=True)
    weight_grams = models.PositiveIntegerField(null=True, blank=True,
                                               validators=[MinValueValidator(1)])
    length_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    width_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    promised_ship_by = models.DateTimeField(db_index=True)
    estimated_delivery = models.DateField(null=True, blank=True)
    pickup_code = models.CharField(max_length=6, blank=True, default="")
    pick_list = models.ForeignKey("PickList", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="shipments")
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_to = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["promised_ship_by", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"],
                                    condition=~models.Q(tracking_number=""),
                                    name="shipment_tracking_unique"),
        ]
        indexes = [models.Index(fields=["state", "warehouse", "promised_ship_by"])]
        permissions = [
            ("pick_shipment", "Can pick shipments and make pick lists"),
            ("pack_shipment", "Can pack shipments"),
            ("buy_label", "Can buy and print shipping labels"),
            ("ship_shipment", "Can mark shipments shipped"),
            ("deliver_shipment", "Can record courier deliveries"),
        ]

    def __str__(self) -> str:
        return f"Shipment {self.number}"

    @property
    def is_pickup(self) -> bool:
        return self.carrier == self.Carrier.PICKUP

    @property
    def is_late(self) -> bool:
        from django.utils import timezone

        return self.state in self.UNSHIPPED and self.promised_ship_by < timezone.now()

    @property
    def status_label(self) -> str:
        """The state as staff read it: a shipment stays "picking" in the state machine until
        packed, but once its pick list is marked picked it is waiting at the packing bench."""
        if self.state == self.State.PICKING and self.pick_list_id and \
                self.pick_list.picked_at is not None:
            return "Picked, ready to pack"
        return self.get_state_display()

    def transition_subject(self) -> str:
        return f"Shipment {self.number}"


class ShipmentLine(models.Model):
    """Units of one order line in a shipment, taken from one stock level."""

    shipment = models.ForeignKey(Shipment, related_name="lines", on_delete=models.CASCADE)
    order_line = models.ForeignKey(OrderLine, related_name="shipment_lines",
                                   on_delete=models.PROTECT)
    stock_level = models.ForeignKey(StockLevel, related_name="+", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    quantity_scanned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["shipment", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="shipment_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(quantity_scanned__lte=models.F("quantity")),
                                   name="shipment_line_scanned_within_quantity"),
            models.UniqueConstraint(fields=["shipment", "order_line"],
                                    name="shipment_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"


class PickList(models.Model):
    """One walk through a warehouse: the shipments' lines merged by SKU, in bin order."""

    warehouse = models.ForeignKey(Warehouse, related_name="pick_lists", on_delete=models.PROTECT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    picked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Pick list {self.pk} ({self.warehouse.code})"


class LabelPurchase(models.Model):
    """The one label bought for a shipment. One row per shipment (a unique key), written
    and committed before the carrier is called, so a task that runs twice or twice at once
    buys one label; a retry reuses the idempotency key."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    shipment = models.OneToOneField(Shipment, related_name="label_purchase",
                                    on_delete=models.CASCADE)
    carrier = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=100, unique=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices,
                               default=Outcome.IN_FLIGHT)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(help_text="When a worker last started buying it.")
    reference = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True,
                                     help_text="The label was canceled at the carrier.")

    def __str__(self) -> str:
        return f"Label for {self.shipment_id} ({self.outcome})"


class TrackingEvent(models.Model):
    """What the carrier (or our courier) said happened, once per carrier event id."""

    shipment = models.ForeignKey(Shipment, related_name="tracking_events",
                                 on_delete=models.CASCADE)
    event_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Shipment.State.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "event_id"],
                                    name="tracking_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ShipmentNotification(models.Model):
    """An email about a shipment, at most one per shipment and kind."""

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Shipped"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        READY_FOR_PICKUP = "ready_for_pickup", "Ready for pickup"
        EXCEPTION = "exception", "Delivery problem"
        DELAYED = "delayed", "Delayed"

    shipment = models.ForeignKey(Shipment, related_name="notifications",
                                 on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "kind"], name="shipment_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.shipment_id}"


class CourierZone(models.Model):
    """Where the shop's own couriers deliver, by country and optional postal-code prefixes,
    with weight-based rates."""

    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, default="US")
    postal_prefixes = models.CharField(
        max_length=500, blank=True,
        help_text="Postal code prefixes separated by commas (e.g. 970, 971); empty for the "
                  "whole country.")
    transit_days = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return self.name

    def covers(self, country: str, postal_code: str) -> bool:
        if country.upper() != self.country.upper():
            return False
        prefixes = [p.strip().upper() for p in self.postal_prefixes.split(",") if p.strip()]
        return not prefixes or any(postal_code.upper().startswith(p) for p in prefixes)


class CourierRate(models.Model):
    zone = models.ForeignKey(CourierZone, related_name="rates", on_delete=models.CASCADE)
    up_to_grams = models.PositiveIntegerField()
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["zone", "up_to_grams"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "up_to_grams"], name="courier_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.zone}: up to {self.up_to_grams} g"
