"""The order's timeline and the emails sent about it (each sent once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .orders import Order


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
        # Sent when the order is placed and still waits for its payment.
        RECEIVED = "received", "Order received, awaiting payment"
        # Once, shortly before an unpaid order's deadline.
        PAYMENT_REMINDER = "payment_reminder", "Payment reminder"
        # Sent when the order is paid: "confirmed" means paid.
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
