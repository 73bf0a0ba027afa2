"""Customers: RFM segments (derived, rebuilt nightly), voucher campaigns to a segment, staff
notes and the contact form's messages.

A customer is an email address, lower-cased: a guest's orders and an account's orders
placed with the same address are one customer (``CustomerSegment.user`` is the account
seen on the latest of them, when there is one). See ``customers.rfm`` for the rules.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from kernel.money import MONEY, Money
from kernel.transitions import ensure_transition


class Segment(models.TextChoices):
    BEST = "best", "Best customers"
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    AT_RISK = "at_risk", "At risk"
    LAPSED = "lapsed", "Lapsed"


class CustomerSegment(models.Model):
    """One customer's recency, frequency and monetary value, scored 1-5 each, and the
    segment they put the customer in. Derived from orders by ``refresh_customer_segments``;
    never edited by hand."""

    email = models.EmailField(max_length=254, unique=True, help_text="Lower case.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    first_order_at = models.DateTimeField()
    last_order_at = models.DateTimeField()
    recency_days = models.PositiveIntegerField(help_text="Days since the last paid order.")
    frequency = models.PositiveIntegerField(help_text="Paid orders, fully refunded ones not "
                                                      "counted.")
    monetary = models.DecimalField(**MONEY, help_text="Paid totals less refunds.")
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    r_score = models.PositiveSmallIntegerField("R")
    f_score = models.PositiveSmallIntegerField("F")
    m_score = models.PositiveSmallIntegerField("M")
    segment = models.CharField(max_length=10, choices=Segment.choices, db_index=True)
    refreshed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-monetary", "email"]
        verbose_name = "customer segment"
        permissions = [("refresh_customersegment", "Can refresh customer segments")]
        indexes = [models.Index(fields=["segment", "email"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_segment_display()})"

    @property
    def monetary_money(self) -> Money:
        return Money(self.monetary, self.currency)


class VoucherCampaign(models.Model):
    """Single-use voucher codes emailed to the customers of one segment, once each.

    Counts are kept by ``send_campaign_vouchers``: ``eligible`` customers in the segment,
    ``sent`` emails, ``skipped_no_consent`` customers who may not be sent marketing."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off"
        FIXED = "fixed", "Fixed amount off"

    segment = models.CharField(max_length=10, choices=Segment.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    min_subtotal = models.DecimalField(**MONEY, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0"))])
    ends_at = models.DateTimeField(help_text="The codes stop working at this time.")
    subject = models.CharField(max_length=150)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    eligible = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped_no_consent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("send_vouchercampaign", "Can send vouchers to a segment")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="percentage")
                                   | models.Q(value__lte=100),
                                   name="campaign_percentage_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"Campaign {self.pk}: {self.get_segment_display()}"


class CampaignRecipient(models.Model):
    """One customer of a campaign, fixed when the campaign is made: their voucher (made
    once, only for a customer who may be emailed) and when it was queued to them."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        NO_CONSENT = "no_consent", "Skipped: no marketing consent"

    campaign = models.ForeignKey(VoucherCampaign, related_name="recipients",
                                 on_delete=models.CASCADE)
    email = models.EmailField(max_length=254)
    voucher = models.OneToOneField("orders.Voucher", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "email"]
        constraints = [models.UniqueConstraint(fields=["campaign", "email"],
                                               name="campaign_recipient_once")]

    def __str__(self) -> str:
        return f"{self.email} in campaign {self.campaign_id}"


class CustomerNote(models.Model):
    """A staff note about a customer (by email, and account when known), optionally about
    one of their orders."""

    email = models.EmailField(max_length=254, db_index=True, help_text="Lower case.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="customer_notes")
    order = models.ForeignKey("orders.Order", null=True, blank=True,
                              on_delete=models.CASCADE, related_name="customer_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                               on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Note on {self.email}"


class ContactMessage(models.Model):
    """A message sent through the storefront's contact form."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    TRANSITIONS = {
        Status.OPEN: {Status.ANSWERED, Status.CLOSED},
        Status.ANSWERED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: {Status.OPEN},
    }

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, db_index=True, help_text="Lower case.")
    order = models.ForeignKey("orders.Order", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="contact_messages",
                              help_text="Set only when the order number matched the email.")
    order_number = models.CharField(max_length=20, blank=True,
                                    help_text="As typed by the shopper.")
    subject = models.CharField(max_length=150)
    message = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    merchant_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.email})"

    def ensure_can_become(self, new: str) -> None:
        ensure_transition(subject="This message", current=self.status, new=new,
                          transitions=self.TRANSITIONS, labels=dict(self.Status.choices))
