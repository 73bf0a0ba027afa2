"""Marketing data: consent records, the email suppression list, the log of marketing
emails sent, and abandoned-checkout reminders and recoveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orders.models import Cart


class ConsentRecord(models.Model):
    """One grant or withdrawal of consent to marketing email, never edited: the current
    status of an address is its latest record. ``wording`` is the exact text the person
    saw (what they agreed to is part of the proof)."""

    class Source(models.TextChoices):
        CHECKOUT = "checkout", "Checkout"
        ACCOUNT = "account", "Account settings"
        UNSUBSCRIBE_LINK = "unsubscribe_link", "Unsubscribe link"
        ONE_CLICK = "one_click", "One-click unsubscribe (mail client)"
        STAFF = "staff", "Staff, on the person's request"
        API = "api", "Checkout through the REST API"

    email = models.EmailField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    granted = models.BooleanField()
    wording = models.TextField()
    source = models.CharField(max_length=20, choices=Source.choices)
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["email", "-recorded_at", "-id"],
                                name="consent_latest_by_email")]

    def __str__(self) -> str:
        return f"{self.email}: {'granted' if self.granted else 'withdrawn'} ({self.source})"


class EmailSuppression(models.Model):
    """An address never to mail again, kept as a SHA-256 of the normalised address so an
    erased person's address itself is not kept. Only a new, explicit grant lifts it."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email_hash[:12]}… ({self.reason})"


class MarketingEmail(models.Model):
    """The log of marketing emails: one row per ``dedupe_key`` (unique), so a key is
    mailed at most once. ``template`` and ``context`` (JSON) are kept until it is sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"

    dedupe_key = models.CharField(max_length=200, unique=True)
    to = models.EmailField(db_index=True)
    kind = models.CharField(max_length=50, db_index=True)
    subject = models.CharField(max_length=200)
    template = models.CharField(max_length=200)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    skipped_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


class CartReminder(models.Model):
    """An abandoned-checkout reminder for a cart: the first, or the optional second.
    ``prices`` holds the unit prices the email showed (variant id -> price), so a restored
    cart can tell the shopper what changed since."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    email = models.OneToOneField(MarketingEmail, on_delete=models.PROTECT,
                                 related_name="cart_reminder")
    prices = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "number"], name="one_reminder_per_number"),
            models.CheckConstraint(condition=models.Q(number__in=[1, 2]),
                                   name="reminder_number_first_or_second"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.number} for cart {self.cart_id}"


class CartRecovery(models.Model):
    """A reminder's link opened: ``cart`` is the abandoned cart, ``restored_cart`` the one
    the shopper went on with (the same, or a copy). An order placed from ``restored_cart``
    (``Order.checkout_token == restored_cart.token``) is recovered revenue."""

    reminder = models.ForeignKey(CartReminder, on_delete=models.CASCADE,
                                 related_name="recoveries")
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="+")
    restored_cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="+")
    changes = models.JSONField(default=list, blank=True)
    restored_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-restored_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "restored_cart"],
                                    name="one_recovery_per_restored_cart"),
        ]

    def __str__(self) -> str:
        return f"Cart {self.cart_id} recovered as {self.restored_cart_id}"
