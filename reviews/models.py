"""Reviews from verified buyers, the invitation sent once per delivered order.

A review moves ``pending -> approved | rejected``, and an approved one may still be taken
down (``approved -> rejected``). Only approved reviews count in the product's rating
(``Product.rating_average`` / ``rating_count``, kept by ``reviews.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from catalog.models import Product
from kernel.transitions import StateMachine
from orders.models import Order, OrderLine

TITLE_MAX = 120
BODY_MIN = 10
BODY_MAX = 5000
AUTHOR_MAX = 60
ANONYMOUS_AUTHOR = "A customer"


class Review(StateMachine, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for moderation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    TRANSITIONS = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.REJECTED},
        Status.REJECTED: set(),
    }
    state_field = "status"

    product = models.ForeignKey(Product, related_name="reviews", on_delete=models.CASCADE)
    # The purchase that makes the reviewer a verified buyer: one review per order line.
    order_line = models.ForeignKey(OrderLine, null=True, blank=True, related_name="reviews",
                                   on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             related_name="reviews", on_delete=models.SET_NULL)
    # The order's address, so a guest's reviews are found for a data request; blank once
    # erased.
    email = models.EmailField(blank=True, db_index=True)
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    body = models.TextField()
    author_name = models.CharField(max_length=AUTHOR_MAX)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    rejection_reason = models.TextField(blank=True)
    reply = models.TextField(blank=True, help_text="The shop's public answer, shown under "
                                                   "the review.")
    replied_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     related_name="+", on_delete=models.SET_NULL)
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5),
                                   name="review_rating_1_to_5"),
            models.UniqueConstraint(fields=["order_line"],
                                    condition=models.Q(order_line__isnull=False),
                                    name="review_one_per_order_line"),
            models.UniqueConstraint(fields=["product", "user"],
                                    condition=models.Q(user__isnull=False),
                                    name="review_one_per_customer_and_product"),
        ]
        indexes = [models.Index(fields=["product", "status", "-created_at"],
                                name="review_product_listing")]
        permissions = [("moderate_review", "Can approve, reject and reply to reviews")]

    def __str__(self) -> str:
        return f"Review {self.pk} of {self.product_id}: {self.rating}/5"

    def transition_subject(self) -> str:
        return f"Review {self.pk}"


class ReviewInvitation(models.Model):
    """The one "review what you bought" email per order; ``sent_at`` is set under the row's
    lock when it is sent (``orders.notifications.claim_notification``)."""

    order = models.OneToOneField(Order, related_name="review_invitation",
                                 on_delete=models.CASCADE)
    recipient = models.EmailField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why none was sent ("unsubscribed", "nothing to review"): the sweep leaves it alone.
    skipped_reason = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"Review invitation for order {self.order_id}"
