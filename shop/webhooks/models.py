"""Endpoints merchants register, the events the shop emits, one delivery per endpoint and
event, and one attempt row per HTTP request (the delivery log)."""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from inventory.models import StockLevel


class EventType(models.TextChoices):
    ORDER_PLACED = "order.placed", "Order placed"
    ORDER_PAID = "order.paid", "Order paid"
    ORDER_CANCELED = "order.canceled", "Order canceled"
    SHIPMENT_SHIPPED = "shipment.shipped", "Shipment shipped"
    SHIPMENT_IN_TRANSIT = "shipment.in_transit", "Shipment in transit"
    SHIPMENT_OUT_FOR_DELIVERY = "shipment.out_for_delivery", "Shipment out for delivery"
    SHIPMENT_DELIVERED = "shipment.delivered", "Shipment delivered"
    SHIPMENT_EXCEPTION = "shipment.exception", "Shipment delivery problem"
    RETURN_REQUESTED = "return.requested", "Return requested"
    RETURN_APPROVED = "return.approved", "Return approved"
    RETURN_REJECTED = "return.rejected", "Return rejected"
    RETURN_RECEIVED = "return.received", "Return received"
    RETURN_REFUNDED = "return.refunded", "Return refunded"
    RETURN_EXCHANGED = "return.exchanged", "Return exchanged"
    STOCK_LOW = "stock.low", "Stock low"


def new_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500,
                          help_text="Where events are POSTed as JSON. Use https.")
    events = models.JSONField(default=list, help_text="The event types sent here.")
    secret = models.CharField(max_length=80, default=new_secret,
                              help_text="Deliveries are signed with this (HMAC-SHA256).")
    contact_email = models.EmailField(help_text="Told when the endpoint is disabled.")
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text="First failure since the last success.")
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in (self.events or [])


class WebhookEvent(models.Model):
    """Something that happened, as sent to every endpoint: the same ``event_id`` and body
    on every attempt and every redelivery."""

    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField()
    # Events with the same key reach an endpoint in occurred_at order ("order:<id>").
    ordering_key = models.CharField(max_length=60, blank=True, db_index=True)
    # "order.paid:order:17": the same happening emitted twice is stored once.
    source_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Given up"

    endpoint = models.ForeignKey(WebhookEndpoint, related_name="deliveries",
                                 on_delete=models.CASCADE)
    event = models.ForeignKey(WebhookEvent, related_name="deliveries", on_delete=models.CASCADE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    ordering_key = models.CharField(max_length=60, blank=True)
    occurred_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    # Retries run until window_started_at + SHOP_WEBHOOK_RETRY_HOURS (a redelivery restarts it).
    window_started_at = models.DateTimeField()
    window_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Set while a worker is sending; a crashed worker's claim runs out and the sweep retries.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-occurred_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"],
                                               name="one_delivery_per_endpoint_and_event")]
        indexes = [models.Index(fields=["endpoint", "ordering_key", "state"],
                                name="webhook_delivery_chain"),
                   models.Index(fields=["state", "next_attempt_at"],
                                name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event.type} to {self.endpoint.name}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, related_name="attempt_log",
                                 on_delete=models.CASCADE)
    number = models.PositiveIntegerField()
    manual = models.BooleanField(default=False, help_text="Started by a redelivery.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error or 'in flight'}"


class LowStockMark(models.Model):
    """A stock level at or below the threshold that stock.low was already emitted for; it
    goes when availability rises above it again, so the next drop is reported once more."""

    stock_level = models.OneToOneField(StockLevel, primary_key=True, on_delete=models.CASCADE,
                                       related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"stock level {self.stock_level_id} low since {self.marked_at:%Y-%m-%d %H:%M}"
