"""Reads of reviews, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from fulfillment.models import Shipment, ShipmentLine
from orders.models import Order, OrderLine

from .models import Review

# Reviews shown on the product page; the rest are on the product's reviews page.
PRODUCT_PAGE_REVIEWS = 10


def approved_reviews(product_id: int):
    """The product's published reviews, newest first (a queryset: slice or paginate it)."""
    return (Review.objects.filter(product_id=product_id, status=Review.Status.APPROVED)
            .only("pk", "product_id", "rating", "title", "body", "author_name", "reply",
                  "replied_at", "created_at", "status")
            .order_by("-created_at", "-pk"))


def latest_reviews(product_id: int, limit: int = PRODUCT_PAGE_REVIEWS) -> list[Review]:
    """One query, whatever the number of reviews."""
    return list(approved_reviews(product_id)[:limit])


@dataclass
class ReviewableItem:
    line: OrderLine
    delivered: bool
    review: Review | None

    @property
    def can_review(self) -> bool:
        return self.delivered and self.review is None


def reviewable_items(order: Order) -> list[ReviewableItem]:
    """Each product of the order once (its first line), whether it was delivered and the
    review already written for it. Two queries."""
    delivered = ShipmentLine.objects.filter(order_line=OuterRef("pk"),
                                            shipment__state=Shipment.State.DELIVERED)
    lines = list(order.lines.filter(variant__isnull=False)
                 .select_related("variant__product")
                 .annotate(delivered=Exists(delivered)).order_by("pk"))
    product_ids = {line.variant.product_id for line in lines}
    reviews = Review.objects.filter(product_id__in=product_ids).order_by("pk")
    if order.user_id:
        reviews = reviews.filter(user_id=order.user_id) | reviews.filter(order_line__order=order)
    else:
        reviews = reviews.filter(order_line__order=order)
    by_product = {review.product_id: review for review in reviews}
    items, seen = [], set()
    for line in lines:
        product_id = line.variant.product_id
        if product_id in seen:
            continue
        seen.add(product_id)
        items.append(ReviewableItem(line=line, delivered=line.delivered,
                                    review=by_product.get(product_id)))
    return items


def pending_count() -> int:
    return Review.objects.filter(status=Review.Status.PENDING).count()
