"""What the money check found and what its repairs did.

``MoneyCheck`` has no table: it holds the permissions (see the screen, run repairs) the
Merchant role gets. ``MoneyRepair`` is the audit trail of every repair. ``MoneyCheckRun`` is
one row a day for the nightly check, so the merchant's email goes out once a day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orders.models import Order


class Problem(models.TextChoices):
    """The invariants the check proves, one kind of violation each."""

    PAYMENT_STATUS = "payment_status", "Order's payment status disagrees with its payments"
    CANCELED_HOLDS_MONEY = "canceled_holds_money", "Canceled order holds captured money"
    UNEXPLAINED_REFUND = "unexplained_refund", "Shipped goods refunded without a reason"
    STUCK_PAYMENT = "stuck_payment", "Payment live past its deadline"


class MoneyCheck(models.Model):
    """No table: holds ``view_moneycheck`` (the screen) and ``repair_moneycheck`` (its
    repair buttons)."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [("repair_moneycheck", "Can repair money inconsistencies")]
        verbose_name = "Money consistency check"
        verbose_name_plural = "Money consistency check"

    def __str__(self) -> str:
        return "Money consistency check"


class MoneyRepair(models.Model):
    """One repair the money check made: append-only."""

    problem = models.CharField(max_length=30, choices=Problem.choices)
    subject = models.CharField(max_length=200)
    message = models.CharField(max_length=500, help_text="What was wrong and what was done.")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.get_problem_display()}: {self.subject}"


class MoneyCheckRun(models.Model):
    """The nightly check of one day, claimed under this row's lock: one email a day at
    most, none when the check is clean."""

    day = models.DateField(unique=True)
    checked_at = models.DateTimeField()
    violations = models.PositiveIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"Money check {self.day}"
