"""Payments, every call made to a gateway, and the Stripe events received.

A payment moves ``pending -> requires_action -> authorized -> captured ->
partially_refunded -> refunded``, or ends ``failed`` / ``canceled``. Moves happen in
``payments.services`` under a row lock; a state never moves backwards (an event that
arrives late or twice cannot undo a capture).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from kernel.money import Money
from kernel.transitions import StateMachine
from orders.models import MONEY, Order


class RefundReason(models.TextChoices):
    """Why money went back, in terms the system acts on. A return or a cancellation has the
    goods side behind it; a price adjustment or goodwill is a decision by staff allowed to
    make it (``payments.refund_adjustment``), with their words on the order's timeline."""

    RETURN = "return", "Return"
    CANCELLATION = "cancellation", "Cancellation"
    PRICE_ADJUSTMENT = "price_adjustment", "Price adjustment"
    GOODWILL = "goodwill", "Goodwill"


# Refunds with no goods coming back: only roles with this permission may make them.
DECISION_REASONS = {RefundReason.PRICE_ADJUSTMENT, RefundReason.GOODWILL}
REFUND_ADJUSTMENT_PERMISSION = "payments.refund_adjustment"


class Payment(StateMachine, models.Model):
    class Gateway(models.TextChoices):
        OFFLINE = "offline", "Offline test gateway"
        STRIPE = "stripe", "Stripe"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        REQUIRES_ACTION = "requires_action", "Requires authentication"
        AUTHORIZED = "authorized", "Authorized"
        CAPTURED = "captured", "Captured"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    # Where each state may go. Terminal states go nowhere; nothing goes back to pending.
    TRANSITIONS = {
        State.PENDING: {State.REQUIRES_ACTION, State.AUTHORIZED, State.CAPTURED, State.FAILED,
                        State.CANCELED},
        State.REQUIRES_ACTION: {State.AUTHORIZED, State.CAPTURED, State.FAILED, State.CANCELED},
        State.AUTHORIZED: {State.CAPTURED, State.CANCELED},
        State.CAPTURED: {State.PARTIALLY_REFUNDED, State.REFUNDED},
        State.PARTIALLY_REFUNDED: {State.PARTIALLY_REFUNDED, State.REFUNDED},
        State.REFUNDED: set(),
        State.FAILED: set(),
        State.CANCELED: set(),
    }
    LIVE_STATES = {State.PENDING, State.REQUIRES_ACTION}

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, related_name="payments", on_delete=models.PROTECT)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    captured_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    gateway_reference = models.CharField(
        max_length=100, blank=True, db_index=True,
        help_text="The gateway's id for this payment (a Stripe PaymentIntent id).")
    client_secret = models.CharField(max_length=200, blank=True, editable=False)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    error = models.CharField(max_length=300, blank=True,
                             help_text="Why the last attempt failed, in words a shopper can read.")
    risk_level = models.CharField(max_length=20, blank=True,
                                  help_text="The gateway's own risk assessment, when it gives one.")
    manual_capture = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_adjustment",
                        "Can refund a price adjustment or goodwill (no return behind it)")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(captured_amount__lte=models.F("amount")),
                                   name="payment_captured_within_amount"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("captured_amount")),
                name="payment_refunded_within_captured"),
            models.UniqueConstraint(fields=["gateway", "gateway_reference"],
                                    condition=~models.Q(gateway_reference=""),
                                    name="payment_gateway_reference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_gateway_display()} {self.money('amount')} ({self.get_state_display()})"

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)

    @property
    def refunds_in_flight(self) -> Decimal:
        """Refunds sent to the gateway (committed with their key) and not yet answered."""
        return self.calls.filter(
            kind=GatewayCall.Kind.REFUND, outcome=GatewayCall.Outcome.IN_FLIGHT,
        ).aggregate(total=models.Sum("amount"))["total"] or Decimal("0")

    @property
    def refundable_amount(self) -> Decimal:
        """What may still be refunded: captured, less refunded, less refunds in flight
        (each counts as soon as it is committed, so two refunds at once never return more
        than was captured). ``payments.services.refund_payment`` refuses above this."""
        return max(self.captured_amount - self.refunded_amount - self.refunds_in_flight,
                   Decimal("0"))

    @property
    def card_label(self) -> str:
        return f"{self.card_brand.title()} •••• {self.card_last4}" if self.card_last4 else ""

    def transition_subject(self) -> str:
        return "This payment"


class GatewayCall(models.Model):
    """One request to a payment gateway, written (and committed) before the call with its
    idempotency key, and completed with the result after it. A retry reuses the row and its
    key, so the gateway sees one request."""

    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", "Authorize"
        CONFIRM = "confirm", "Confirm authentication"
        CAPTURE = "capture", "Capture"
        VOID = "void", "Void"
        REFUND = "refund", "Refund"

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, related_name="calls", on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=100, unique=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.IN_FLIGHT)
    success = models.BooleanField(null=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Refunds only: why the money goes back, what it answers (a return's number), and for a
    # decision (adjustment, goodwill) who took it and their words. Blank on older refunds.
    refund_reason = models.CharField(max_length=20, choices=RefundReason.choices, blank=True)
    refund_reference = models.CharField(max_length=40, blank=True,
                                        help_text="The return (RMA) number, for a return.")
    refund_note = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["payment", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {Money(self.amount, self.currency)} ({self.outcome})"


class StripeEvent(models.Model):
    """A Stripe webhook event, stored by its id so that each is processed once."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
