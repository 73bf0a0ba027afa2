"""Row locks for reviews, taken in one order: the order line (writing), the review, then
its product (the rating)."""

from __future__ import annotations

from catalog.models import Product
from kernel.errors import NotFound
from orders.models import OrderLine

from .models import Review


def order_line_for_update(order_line_id: int) -> OrderLine:
    line = (OrderLine.objects.select_for_update(of=("self",))
            .select_related("order", "variant__product").filter(pk=order_line_id).first())
    if line is None:
        raise NotFound("That purchase was not found.")
    return line


def review_for_update(review_id: int) -> Review:
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotFound("That review was not found.")
    return review


def product_for_update(product_id: int) -> Product:
    return Product.objects.select_for_update().only("pk").get(pk=product_id)
